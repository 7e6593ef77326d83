//! Incremental rebuilds (`qi serve`): after each edit of a copy of the good
//! fixture site, the previous output plus what the rebuild wrote must equal,
//! file for file, a fresh full build of the edited site; and a body edit
//! must re-render only the edited page.
// Test and benchmark scaffolding outside #[test] functions: a failure here is
// a failed run with its message, as in the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use qi_site::{build, Incremental, MemorySink, Options, Rebuild};

type Files = HashMap<String, Arc<Vec<u8>>>;

struct Fixture {
    _dir: tempfile::TempDir,
    root: PathBuf,
    inc: Incremental,
    files: Files,
}

fn copy_dir(from: &Path, to: &Path) {
    for item in walkdir::WalkDir::new(from) {
        let item = item.unwrap();
        let target = to.join(item.path().strip_prefix(from).unwrap());
        if item.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(item.path(), &target).unwrap();
        }
    }
}

impl Fixture {
    fn new() -> Fixture {
        Fixture::of("good")
    }

    fn of(site: &str) -> Fixture {
        let repo = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf();
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("site");
        copy_dir(&repo.join("tests/sites").join(site), &root);
        // The fixture finds its theme relative to itself: point at it.
        let theme = repo.join("tests/sites/_theme");
        let toml = std::fs::read_to_string(root.join("site.toml")).unwrap();
        let toml = toml
            .replace("\"../_theme/templates\"", &format!("{:?}", theme.join("templates").display().to_string()))
            .replace("\"../_theme/static\"", &format!("{:?}", theme.join("static").display().to_string()));
        std::fs::write(root.join("site.toml"), toml).unwrap();
        let mut inc = Incremental::new(Options::new(&root));
        let sink = MemorySink::default();
        inc.build(&sink).unwrap_or_else(|p| panic!("first build failed:\n{p}"));
        Fixture { _dir: dir, root, inc, files: sink.0.into_inner().unwrap() }
    }

    fn path(&self, key: &str) -> PathBuf {
        self.root.join("content").join(key)
    }

    /// Replace `from` by `to` in a content file and rebuild.
    fn edit(&mut self, key: &str, from: &str, to: &str) -> Result<Rebuild, qi_site::Problems> {
        let path = self.path(key);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{key} does not contain {from:?}");
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
        self.rebuild(&[path])
    }

    fn rebuild(&mut self, changed: &[PathBuf]) -> Result<Rebuild, qi_site::Problems> {
        let sink = MemorySink::default();
        let result = self.inc.rebuild(changed, &sink)?;
        let written = sink.0.into_inner().unwrap();
        match &result {
            Rebuild::Full { .. } => self.files = written,
            Rebuild::Partial { files, .. } => {
                assert_eq!(*files, written.len(), "the rebuild counts what it writes");
                self.files.extend(written);
            }
        }
        Ok(result)
    }

    /// The kept output equals a fresh full build, file for file.
    fn assert_current(&self) {
        let sink = MemorySink::default();
        build(&Options::new(&self.root), &sink).unwrap_or_else(|p| panic!("full build failed:\n{p}"));
        let fresh = sink.0.into_inner().unwrap();
        let mut kept: Vec<&String> = self.files.keys().collect();
        let mut want: Vec<&String> = fresh.keys().collect();
        kept.sort();
        want.sort();
        assert_eq!(kept, want, "the same files");
        for (path, bytes) in &fresh {
            assert!(
                self.files[path] == *bytes,
                "{path} is stale after the incremental rebuild:\n--- kept\n{}\n--- fresh\n{}",
                String::from_utf8_lossy(&self.files[path]),
                String::from_utf8_lossy(bytes)
            );
        }
    }
}

fn pages(r: &Rebuild) -> usize {
    match r {
        Rebuild::Partial { pages, .. } => *pages,
        Rebuild::Full { reason, .. } => panic!("expected a partial rebuild, got a full one ({reason})"),
    }
}

fn is_full(r: &Rebuild) -> bool {
    matches!(r, Rebuild::Full { .. })
}

#[test]
fn a_body_edit_re_renders_only_that_page() {
    let mut f = Fixture::new();
    let text = std::fs::read_to_string(f.path("guide/third.md")).unwrap();
    std::fs::write(f.path("guide/third.md"), format!("{text}\nAn added sentence with *emphasis*.\n")).unwrap();
    let path = f.path("guide/third.md");
    let r = f.rebuild(&[path]).unwrap();
    assert_eq!(pages(&r), 1, "{r}");
    f.assert_current();
    assert!(String::from_utf8_lossy(&f.files["guide/third/index.html"]).contains("An added sentence"));
}

#[test]
fn a_news_edit_updates_the_feed_and_search_index() {
    let mut f = Fixture::new();
    let r = f.edit("news/newer.md", "Something happened in March.", "Something else happened in March.").unwrap();
    assert_eq!(pages(&r), 1, "{r}");
    f.assert_current();
    let feed = String::from_utf8_lossy(&f.files["news/atom.xml"]).to_string();
    assert!(feed.contains("Something else happened"), "{feed}");
    assert!(String::from_utf8_lossy(&f.files["search/index.json"]).contains("Something else happened"));
}

#[test]
fn a_title_edit_re_renders_its_section_and_neighbours() {
    let mut f = Fixture::new();
    let r = f.edit("guide/second.md", "title = \"Second steps\"", "title = \"The second steps\"").unwrap();
    let n = pages(&r);
    // The page, its section's list, and the pages whose side navigation or
    // previous/next links name it; not the whole site.
    assert!((3..10).contains(&n), "{r}");
    f.assert_current();
}

#[test]
fn a_weight_edit_reorders_previous_and_next() {
    let mut f = Fixture::new();
    let r = f.edit("guide/first.md", "weight = 1", "weight = 3").unwrap();
    assert!(pages(&r) >= 3, "{r}");
    f.assert_current();
}

#[test]
fn a_section_title_in_the_navigation_re_renders_every_page() {
    let mut f = Fixture::new();
    let total = f.files.keys().filter(|k| k.ends_with("index.html")).count();
    let r = f.edit("guide/_index.md", "title = \"Guide\"", "title = \"The guide\"").unwrap();
    assert!(pages(&r) + 3 >= total, "{r} (of {total})");
    f.assert_current();
}

#[test]
fn a_broken_anchor_is_reported_and_fixing_it_recovers() {
    let mut f = Fixture::new();
    // guide/first.md links to @/guide/second.md#details.
    let problems = f.edit("guide/second.md", "## Details", "## Particulars").unwrap_err().to_string();
    assert!(problems.contains("content/guide/first.md:") && problems.contains("has no heading with id `details`"), "{problems}");
    let r = f.edit("guide/second.md", "## Particulars", "## Details").unwrap();
    assert!(is_full(&r), "after a failed rebuild the next one is full: {r}");
    f.assert_current();
}

#[test]
fn structural_changes_rebuild_everything() {
    let mut f = Fixture::new();
    let r = f.edit("guide/second.md", "slug = \"second-page\"", "slug = \"second-steps\"").unwrap();
    assert!(is_full(&r), "{r}");
    f.assert_current();

    let new = f.path("guide/fifth.md");
    std::fs::write(&new, "+++\ntitle = \"Fifth\"\nweight = 5\n+++\n\nNew page.\n").unwrap();
    let r = f.rebuild(&[new]).unwrap();
    assert!(is_full(&r), "{r}");
    f.assert_current();

    let template = f.root.join("site.toml");
    let r = f.rebuild(&[template]).unwrap();
    assert!(is_full(&r), "{r}");
}

#[test]
fn an_unchanged_file_re_renders_nothing() {
    let mut f = Fixture::new();
    let path = f.path("about.md");
    let r = f.rebuild(&[path]).unwrap();
    assert_eq!(pages(&r), 0, "{r}");
    f.assert_current();
}

#[test]
fn translations_follow_each_others_edits() {
    let mut f = Fixture::of("bilingual");
    // A French title shows on the English page too (its alternates and
    // switcher name each version): both are re-rendered, nothing else.
    let r = f.edit("guide/measure.fr.md", "title = \"Mesurer\"", "title = \"Mesurer les progrès\"").unwrap();
    assert!(pages(&r) >= 2, "{r}");
    f.assert_current();
    assert!(String::from_utf8_lossy(&f.files["fr/parcours/mesurer/index.html"]).contains("<h1>Mesurer les progrès</h1>"));
    // An English body edit leaves the French pages alone.
    let r = f.edit("guide/measure.md", "Back [home]", "Go back [home]").unwrap();
    assert_eq!(pages(&r), 1, "{r}");
    f.assert_current();
    // A new translation is structural: everything is rebuilt, and it is linked.
    std::fs::write(f.path("news/second.md"), "+++\ntitle = \"Second\"\ndate = 2026-12-02\n+++\nMore.\n").unwrap();
    std::fs::write(f.path("news/second.fr.md"), "+++\ntitle = \"Deuxième\"\nslug = \"deuxieme\"\ndate = 2026-12-02\n+++\nEncore.\n")
        .unwrap();
    let (en, fr) = (f.path("news/second.md"), f.path("news/second.fr.md"));
    let r = f.rebuild(&[en, fr]).unwrap();
    assert!(is_full(&r), "{r}");
    f.assert_current();
    assert!(String::from_utf8_lossy(&f.files["news/second/index.html"]).contains("href=\"/fr/nouvelles/deuxieme/\""));
}
