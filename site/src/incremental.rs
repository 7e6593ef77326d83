//! Rebuilding after an edit (`qi serve`): when only the text or the front
//! matter of existing pages changed, re-render those pages' Markdown and then
//! only the pages whose output can differ (the edited page, its section's
//! list, its neighbours' previous/next links, everything when it is in the
//! main navigation), plus the sitemap, the feed and the search index.
//! Anything else (a template, a static file, `site.toml`, a new, deleted or
//! moved page, a changed slug, alias, draft flag or template) rebuilds
//! everything, as does the first change after a failed build.
//!
//! Which pages an edit touches is decided by a hash per page of everything
//! its template context reads (`dependencies`, which mirrors
//! `render::context`): a page is re-rendered when its hash changed.
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::build::{self, Summary};
use crate::error::{fail, Problems, SourceText};
use crate::front_matter;
use crate::library::Library;
use crate::links::check_links;
use crate::markdown::Rendered;
use crate::prepare::{render_markdown, Options, Prepared};
use crate::render::{Shared, SIDE_NAV_LIMIT};
use crate::sink::Sink;
use crate::write::{page_problems, write_alias, write_listings, write_page, write_specials};

/// A site kept in memory between builds.
pub struct Incremental {
    opts: Options,
    state: Option<State>,
}

struct State {
    p: Prepared,
    rendered: Vec<Option<Rendered>>,
    /// Per entry: a hash of its own front matter and rendered Markdown.
    own: Vec<u64>,
    deps: Vec<u64>,
    nav: u64,
}

/// What a rebuild did.
#[derive(Debug, Clone)]
pub enum Rebuild {
    /// Everything was built again: the sink holds the whole site, which
    /// replaces the previous one.
    Full { summary: Summary, reason: String },
    /// Only these outputs were written to the sink; every other file of the
    /// previous build is still current.
    Partial { pages: usize, files: usize, elapsed: Duration },
}

impl std::fmt::Display for Rebuild {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Rebuild::Full { summary, reason } => write!(f, "rebuilt everything ({reason}): {summary}"),
            Rebuild::Partial { pages, files, elapsed } => write!(
                f,
                "rebuilt {pages} page{} ({files} file{}) in {:.1} ms",
                if *pages == 1 { "" } else { "s" },
                if *files == 1 { "" } else { "s" },
                elapsed.as_secs_f64() * 1000.0
            ),
        }
    }
}

/// Counts what a partial rebuild writes, passing it on.
struct Counting<'a> {
    sink: &'a dyn Sink,
    files: std::sync::atomic::AtomicUsize,
}

impl Sink for Counting<'_> {
    fn write(&self, path: &str, bytes: &[u8]) -> std::io::Result<()> {
        self.files.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.sink.write(path, bytes)
    }
}

impl Incremental {
    pub fn new(opts: Options) -> Incremental {
        Incremental { opts, state: None }
    }

    /// A full build into `sink`, keeping what later rebuilds need.
    pub fn build(&mut self, sink: &dyn Sink) -> Result<Summary, Problems> {
        self.state = None;
        let (summary, p, rendered) = build::build_keeping(&self.opts, sink)?;
        let summaries = summary_hashes(&p.lib);
        let nav = nav_hash(&p.lib, &summaries);
        let own: Vec<u64> = (0..rendered.len()).into_par_iter().map(|i| own_hash(&p, &rendered, i)).collect();
        let deps = dependencies(&p, &own, &summaries, nav);
        self.state = Some(State { p, rendered, own, deps, nav });
        Ok(summary)
    }

    /// Rebuild after the files at `changed` (absolute paths) changed.
    pub fn rebuild(&mut self, changed: &[PathBuf], sink: &dyn Sink) -> Result<Rebuild, Problems> {
        let started = Instant::now();
        let full = |this: &mut Incremental, reason: String| -> Result<Rebuild, Problems> {
            this.build(sink).map(|summary| Rebuild::Full { summary, reason })
        };
        let Some(st) = self.state.as_mut() else {
            return full(self, "the previous build failed".into());
        };
        // Which entries changed, and their new text and front matter.
        let mut edits = Vec::new();
        for path in changed {
            match edit_of(&st.p, path) {
                Ok(Some(edit)) => edits.push(edit),
                Ok(None) => {}
                Err(reason) => return full(self, reason),
            }
        }
        edits.sort_by_key(|e| e.0);
        edits.dedup_by_key(|e| e.0);
        if edits.is_empty() {
            return Ok(Rebuild::Partial { pages: 0, files: 0, elapsed: started.elapsed() });
        }
        let edited: Vec<usize> = edits.iter().map(|e| e.0).collect();
        for (i, source, fm, body_offset) in edits {
            let e = &mut st.p.lib.entries[i];
            e.source = source;
            e.fm = fm;
            e.body_offset = body_offset;
        }
        // Titles, weights and dates decide the order of pages.
        st.p.lib.relink();

        let mut problems = Vec::new();
        for &i in &edited {
            match render_markdown(&st.p, i) {
                Ok(r) => st.rendered[i] = Some(r),
                Err(ps) => {
                    st.rendered[i] = None;
                    problems.extend(ps);
                }
            }
        }
        check_links(&st.p, &st.rendered, &mut problems);
        if !problems.is_empty() {
            // The next change rebuilds everything (and reports what is left).
            self.state = None;
            return Err(fail(problems));
        }

        for &i in &edited {
            st.own[i] = own_hash(&st.p, &st.rendered, i);
        }
        let summaries = summary_hashes(&st.p.lib);
        let nav = nav_hash(&st.p.lib, &summaries);
        let deps = dependencies(&st.p, &st.own, &summaries, nav);
        let stale: Vec<usize> = (0..deps.len()).filter(|&i| deps[i] != st.deps[i]).collect();
        let counting = Counting { sink, files: Default::default() };
        let shared = Shared::new(&st.p.lib, &st.p.config, st.p.config_values.clone(), st.p.theme.facts.clone());
        let st_ref = &*st;
        let mut failures = stale
            .par_iter()
            .filter_map(|&i| write_page(&st_ref.p, &shared, i, st_ref.rendered[i].as_ref()?, &counting))
            .collect::<Vec<_>>();
        write_listings(&st.p, &st.rendered, &counting, &mut problems);
        // Redirect pages name their target's title.
        for a in st.p.lib.aliases.iter().filter(|a| edited.contains(&a.target)) {
            write_alias(&st.p, a, &counting, &mut problems);
        }
        if nav != st.nav {
            failures.extend(write_specials(&st.p, &shared, &counting));
        }
        problems.extend(page_problems(failures));
        drop(shared);
        if !problems.is_empty() {
            self.state = None;
            return Err(fail(problems));
        }
        st.deps = deps;
        st.nav = nav;
        Ok(Rebuild::Partial { pages: stale.len(), files: counting.files.into_inner(), elapsed: started.elapsed() })
    }
}

type Edit = (usize, SourceText, front_matter::FrontMatter, usize);

/// The new state of the entry at `path`; `Ok(None)` if nothing of it
/// changed or it is not content; `Err(reason)` if only a full build can
/// take the change in.
fn edit_of(p: &Prepared, path: &Path) -> Result<Option<Edit>, String> {
    let shown = path.display();
    let content_dir = std::fs::canonicalize(&p.config.content_dir).unwrap_or_else(|_| p.config.content_dir.clone());
    let rel = path.strip_prefix(&content_dir).or_else(|_| path.strip_prefix(&p.config.content_dir));
    let Ok(rel) = rel else {
        return Err(format!("{shown} changed"));
    };
    let key = rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
    if key.split('/').any(|part| part.starts_with('.')) {
        return Ok(None); // editors' swap and backup files; the build ignores them too
    }
    if !key.ends_with(".md") {
        return Err(format!("content/{key} changed"));
    }
    let Some(&i) = p.lib.by_key.get(&key) else {
        return Err(format!("content/{key} is new"));
    };
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(_) => return Err(format!("content/{key} was removed")),
    };
    let e = &p.lib.entries[i];
    if text == e.source.text {
        return Ok(None);
    }
    let source = SourceText::new(e.source.name.clone(), text);
    let (fm, body_offset) = front_matter::parse(&source).map_err(|_| format!("content/{key} has a front matter problem"))?;
    let (old, new) = (&e.fm, &fm);
    // Values only: offsets move whenever a line above them changes.
    let value = |l: &Option<front_matter::Located<String>>| l.as_ref().map(|l| l.value.clone());
    let aliases = |fm: &front_matter::FrontMatter| fm.aliases.iter().map(|a| a.value.clone()).collect::<Vec<_>>();
    let structural = value(&old.slug) != value(&new.slug)
        || old.draft != new.draft
        || aliases(old) != aliases(new)
        || value(&old.template) != value(&new.template)
        || value(&old.page_template) != value(&new.page_template)
        || e.hidden() != new.extra.get("hidden").and_then(|v| v.as_bool()).unwrap_or(false);
    if structural {
        return Err(format!("the slug, aliases, draft flag, template or hidden flag of content/{key} changed"));
    }
    Ok(Some((i, source, fm, body_offset)))
}

fn hash_of(f: impl FnOnce(&mut DefaultHasher)) -> u64 {
    let mut h = DefaultHasher::new();
    f(&mut h);
    h.finish()
}

/// One hash per entry of what `render::summary` shows of it (what other
/// pages display: title, URL, description, date, weight, extra).
fn summary_hashes(lib: &Library) -> Vec<u64> {
    lib.entries
        .iter()
        .map(|e| {
            hash_of(|h| {
                e.fm.title.hash(h);
                e.path.hash(h);
                e.fm.description.hash(h);
                e.fm.date.as_ref().map(|d| (&d.value, &d.day)).hash(h);
                e.fm.weight.hash(h);
                e.is_section().hash(h);
                e.fm.extra.to_string().hash(h);
            })
        })
        .collect()
}

/// The main navigations: each language's home page's sections and pages.
fn nav_hash(lib: &Library, summaries: &[u64]) -> u64 {
    hash_of(|h| {
        for lang in &lib.langs {
            if let Some(&home) = lib.homes.get(lang) {
                let e = &lib.entries[home];
                for &i in e.subsections.iter().chain(&e.pages) {
                    summaries[i].hash(h);
                }
            }
        }
    })
}

/// What an entry's page shows of itself: its front matter and Markdown.
fn own_hash(p: &Prepared, rendered: &[Option<Rendered>], i: usize) -> u64 {
    let e = &p.lib.entries[i];
    hash_of(|h| {
        e.key.hash(h);
        e.path.hash(h);
        format!("{:?}", e.fm).hash(h);
        p.template_of[i].hash(h);
        if let Some(r) = &rendered[i] {
            r.html.hash(h);
            format!("{:?}", r.toc).hash(h);
            r.text.split_whitespace().count().hash(h);
        }
    })
}

/// One hash per entry of everything its page's template context holds:
/// its own front matter and rendered Markdown, and the summaries of the
/// entries it shows (ancestors, previous/next, its section's side
/// navigation, a section's pages), and the main navigation.
fn dependencies(p: &Prepared, own: &[u64], summaries: &[u64], nav: u64) -> Vec<u64> {
    let lib = &p.lib;
    (0..lib.entries.len())
        .into_par_iter()
        .map(|i| {
            let e = &lib.entries[i];
            hash_of(|h| {
                nav.hash(h);
                own[i].hash(h);
                (lib.homes.get(&e.lang) == Some(&i)).hash(h);
                // The language switcher and the alternates name each version.
                for &t in &e.translations {
                    summaries[t].hash(h);
                }
                let pick = |h: &mut DefaultHasher, o: Option<usize>| o.map(|k| summaries[k]).hash(h);
                for &a in &e.ancestors {
                    summaries[a].hash(h);
                }
                pick(h, e.prev);
                pick(h, e.next);
                let list = |h: &mut DefaultHasher, items: &[usize]| {
                    items.len().hash(h);
                    for &k in items {
                        summaries[k].hash(h);
                    }
                };
                if e.is_section() {
                    list(h, &e.pages);
                    list(h, &e.subsections);
                } else if let Some(parent) = e.parent {
                    // Its section's side navigation (`Shared::side_navs`).
                    let s = &lib.entries[parent];
                    summaries[parent].hash(h);
                    (lib.homes.get(&e.lang) == Some(&parent)).hash(h);
                    s.pages.len().hash(h);
                    if s.pages.len() <= SIDE_NAV_LIMIT {
                        list(h, &s.pages);
                    }
                    list(h, &s.subsections);
                }
            })
        })
        .collect()
}
