//! Fixture sites under `tests/sites/`, built into temporary folders: one good
//! site using every feature, and broken sites that must each fail with one
//! exact `file:line:col: message`. They use the minimal fixture theme in
//! `tests/sites/_theme/`, never the production one.
// Test and benchmark scaffolding outside #[test] functions: a failure here is
// a failed run with its message, as in the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use std::path::{Path, PathBuf};

use qi_site::{build, build_to_dir, NullSink, Options};

fn site(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/sites").join(name)
}

struct Built {
    _dir: tempfile::TempDir,
    out: PathBuf,
}

impl Built {
    fn read(&self, path: &str) -> String {
        std::fs::read_to_string(self.out.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
    }
    fn exists(&self, path: &str) -> bool {
        self.out.join(path).exists()
    }
    /// Built files whose name starts with `prefix` (within a folder).
    fn find(&self, dir: &str, prefix: &str) -> Vec<String> {
        let mut found: Vec<String> = std::fs::read_dir(self.out.join(dir))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().to_string())
            .filter(|n| n.starts_with(prefix))
            .collect();
        found.sort();
        found
    }
}

fn build_good(drafts: bool) -> Built {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("public");
    let opts = Options { drafts, ..Options::new(site("good")) };
    if let Err(p) = build_to_dir(&opts, &out) {
        panic!("the good site failed to build:\n{p}");
    }
    Built { _dir: dir, out }
}

macro_rules! contains {
    ($built:expr, $path:expr, $($needle:expr),+ $(,)?) => {{
        let text = $built.read($path);
        $( assert!(text.contains($needle), "{} does not contain {:?}:\n{}", $path, $needle, text); )+
    }};
}

macro_rules! lacks {
    ($built:expr, $path:expr, $($needle:expr),+ $(,)?) => {{
        let text = $built.read($path);
        $( assert!(!text.contains($needle), "{} should not contain {:?}", $path, $needle); )+
    }};
}

#[test]
fn pretty_urls_sections_and_static_outputs() {
    let b = build_good(false);
    for path in [
        "index.html",
        "guide/index.html",
        "guide/first/index.html",
        "guide/second-page/index.html",
        "guide/third/index.html",
        "guide/fourth/index.html",
        "about/index.html",
        "news/index.html",
        "news/older/index.html",
        "news/newer/index.html",
        "404.html",
        "search/index.html",
        "search/index.json",
        "sitemap.xml",
        "robots.txt",
        "news/atom.xml",
        "files/doc.txt",
    ] {
        assert!(b.exists(path), "{path} was not built");
    }
    // `slug` replaces the file name.
    assert!(!b.exists("guide/second/index.html"));
    contains!(b, "robots.txt", "Sitemap: https://good.example.org/sitemap.xml");
}

#[test]
fn drafts_are_left_out_unless_asked_for() {
    let b = build_good(false);
    assert!(!b.exists("news/secret/index.html"));
    lacks!(b, "news/index.html", "Secret draft");
    lacks!(b, "sitemap.xml", "/news/secret/");
    lacks!(b, "search/index.json", "Secret draft");
    lacks!(b, "news/atom.xml", "Secret draft");
    let with = build_good(true);
    assert!(with.exists("news/secret/index.html"));
    contains!(with, "news/index.html", "Secret draft");
}

#[test]
fn table_of_contents_heading_ids_and_anchor_links() {
    let b = build_good(false);
    contains!(
        b,
        "guide/first/index.html",
        "<h2 id=\"goals\">Goals<a class=\"heading-anchor\" href=\"#goals\"",
        // The second heading with the same text is made unique.
        "<h2 id=\"goals-1\">Goals",
        // An explicit id wins.
        "<h3 id=\"how-to-measure\">Measures",
        "<h2 id=\"toc-heading\">On this page</h2>",
        "<li><a href=\"#goals-1\">Goals</a>",
        "<li><a href=\"#how-to-measure\">Measures</a></li>",
        // Exactly one h1: the title.
        "<h1>First steps</h1>",
    );
    let page = b.read("guide/first/index.html");
    assert_eq!(page.matches("<h1").count(), 1);
}

#[test]
fn internal_links_resolve_to_urls() {
    let b = build_good(false);
    contains!(
        b,
        "index.html",
        "<a href=\"/guide/first/#goals\">first guide page</a>",
        "<a href=\"/guide/\">guide</a>",
        "<a href=\"/about/\">link</a>"
    );
    contains!(
        b,
        "guide/first/index.html",
        "<a href=\"/guide/second-page/#details\">the second page</a>",
        "<a href=\"#goals\">the goals</a>"
    );
}

#[test]
fn pages_are_ordered_by_weight_then_date_then_title() {
    let b = build_good(false);
    let guide = b.read("guide/index.html");
    let order: Vec<usize> =
        ["First steps", "Second steps", "Alpha", "Beta"].iter().map(|t| guide.find(&format!(">{t}</a>")).unwrap()).collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "guide order wrong: {order:?}");
    let news = b.read("news/index.html");
    assert!(news.find("Newer news").unwrap() < news.find("Older news").unwrap(), "news must be newest first");
    contains!(b, "news/newer/index.html", "datetime=\"2026-03-05T09:30:00-05:00\">5 March 2026</time>");
}

#[test]
fn previous_next_breadcrumbs_and_section_navigation() {
    let b = build_good(false);
    contains!(
        b,
        "guide/second-page/index.html",
        "<a href=\"/guide/first/\" rel=\"prev\"><span class=\"prev-next-label\">Previous</span> First steps</a>",
        "<a href=\"/guide/fourth/\" rel=\"next\"><span class=\"prev-next-label\">Next</span> Alpha</a>",
        "<nav class=\"breadcrumbs\" aria-label=\"Breadcrumb\">",
        "<li><a href=\"/\">Home</a></li>",
        "<li><a href=\"/guide/\">Guide</a></li>",
        "<a href=\"/guide/second-page/\" aria-current=\"page\">Second steps</a>",
    );
    lacks!(b, "guide/first/index.html", "rel=\"prev\"");
    lacks!(b, "guide/third/index.html", "rel=\"next\"");
    // The main navigation lists the home page's sections and pages by weight
    // and marks where the reader is.
    let page = b.read("guide/third/index.html");
    let nav = &page[page.find("aria-label=\"Main\"").unwrap()..];
    let order: Vec<usize> = [">Guide<", ">News<", ">About this site<"].iter().map(|t| nav.find(t).unwrap()).collect();
    // The French home page is French's own navigation, not an English item.
    assert!(!nav.contains(">À propos<"));
    assert!(order.windows(2).all(|w| w[0] < w[1]), "nav order wrong");
    assert!(nav.contains("<a href=\"/guide/\" aria-current=\"true\">Guide</a>"));
}

#[test]
fn shortcodes_render_and_code_is_left_alone() {
    let b = build_good(false);
    contains!(
        b,
        "index.html",
        "<aside class=\"callout callout-tip\" aria-label=\"Tip: Read this first\">",
        "<span class=\"callout-kind\">Tip<span class=\"visually-hidden\">:</span></span> <span class=\"callout-title\">Read this first</span>",
        "<p>A callout body with <strong>Markdown</strong> and a <a href=\"/about/\">link</a>.</p>",
    );
    contains!(
        b,
        "guide/first/index.html",
        "<code>{{ credits() }}</code>",
        "{% callout(kind=\"note\") %}\nnot a shortcode",
        "<aside class=\"callout callout-warning\" aria-label=\"Warning\">",
        // An inline shortcode nested in a block shortcode's body.
        "Form placeholder on First steps",
    );
    // The credits table comes from the site's own functions/data/credits.toml.
    contains!(
        b,
        "about/index.html",
        "<caption>TestPro+ credits for QI Group work</caption>",
        "<th scope=\"row\">Practice Profile</th><td class=\"num\">11</td>",
        "<td class=\"num\">7 per goal</td>",
        "(up to 3 goals)",
        "<td class=\"num\">77</td>",
        "Form placeholder on About this site: Join us",
    );
}

#[test]
fn hidden_pages_are_built_but_left_out_of_navigation() {
    let b = build_good(false);
    contains!(b, "guide/done/index.html", "<h1>Thanks, hidden</h1>", "<meta name=\"robots\" content=\"noindex\">");
    lacks!(b, "guide/index.html", "Thanks, hidden");
    lacks!(b, "guide/second-page/index.html", "Thanks, hidden");
    lacks!(b, "sitemap.xml", "/guide/done/");
    lacks!(b, "search/index.json", "Thanks, hidden");
    lacks!(b, "guide/first/index.html", "noindex");
}

#[test]
fn aliases_redirect_to_the_page() {
    let b = build_good(false);
    for alias in ["old-second/index.html", "older/second.html"] {
        contains!(
            b,
            alias,
            "<meta http-equiv=\"refresh\" content=\"0; url=/guide/second-page/\">",
            "<link rel=\"canonical\" href=\"https://good.example.org/guide/second-page/\">"
        );
    }
}

#[test]
fn feed_sitemap_and_search_index() {
    let b = build_good(false);
    let feed = b.read("news/atom.xml");
    assert!(feed.contains("<feed xmlns=\"http://www.w3.org/2005/Atom\""));
    assert!(feed.contains("<id>https://good.example.org/news/atom.xml</id>"));
    assert!(feed.contains("<updated>2026-03-05T09:30:00-05:00</updated>"));
    assert!(feed.find("Newer news").unwrap() < feed.find("Older news").unwrap());
    assert!(feed.contains("&lt;p&gt;Something happened in March.&lt;/p&gt;"));

    let sitemap = b.read("sitemap.xml");
    for loc in ["https://good.example.org/", "https://good.example.org/guide/first/", "https://good.example.org/search/"] {
        assert!(sitemap.contains(&format!("<loc>{loc}</loc>")), "sitemap lacks {loc}");
    }
    assert!(sitemap.contains("<lastmod>2026-01-10</lastmod>"));
    assert!(!sitemap.contains("old-second"));

    let index: serde_json::Value = serde_json::from_str(&b.read("search/index.json")).unwrap();
    let docs = index.as_array().unwrap();
    assert_eq!(docs.len(), 10);
    // Each language has its own index: the French home page is in French's.
    let fr: serde_json::Value = serde_json::from_str(&b.read("fr/search/index.json")).unwrap();
    assert_eq!(fr.as_array().unwrap().len(), 1);
    assert_eq!(fr[0]["url"], "/fr/");
    let first = docs.iter().find(|d| d["url"] == "/guide/first/").unwrap();
    assert_eq!(first["title"], "First steps");
    assert_eq!(first["section"], "Guide");
    assert!(first["text"].as_str().unwrap().contains("Set goals."));

    contains!(b, "search/index.html", "data-search-index=\"/search/index.json\"", "<noscript>", "js/search.");
    lacks!(b, "guide/first/index.html", "js/search.");
    contains!(b, "404.html", "<h1>Page not found</h1>");
    contains!(b, "index.html", "<link rel=\"alternate\" type=\"application/atom+xml\"", "href=\"/news/atom.xml\"");
}

#[test]
fn assets_get_content_hashes_and_templates_link_them() {
    let b = build_good(false);
    let css: Vec<String> = b.find("css", "site.").into_iter().filter(|n| n != "site.css").collect();
    assert_eq!(css.len(), 1, "{css:?}");
    let name = &css[0];
    assert!(name.len() == "site.12345678.css".len() && name.ends_with(".css"), "{name}");
    let forms_js: Vec<String> = b.find("js", "forms.").into_iter().filter(|n| n != "forms.js").collect();
    assert_eq!(forms_js.len(), 1, "{forms_js:?}");
    let home = b.read("index.html");
    assert!(home.contains(&format!("<link rel=\"stylesheet\" href=\"/css/{name}\">")));
    assert!(home.contains(&format!("<script src=\"/js/{}\" defer></script>", forms_js[0])));
    assert!(home.contains("<link rel=\"stylesheet\" href=\"/css/forms."));
    // Stylesheets and scripts also keep their plain name, with the same
    // bytes (the functions' server pages link /css/site.css, /js/forms.js).
    assert_eq!(b.read("css/site.css"), b.read(&format!("css/{name}")));
    assert!(b.exists("css/forms.css"));
    assert_eq!(b.read("js/forms.js"), b.read(&format!("js/{}", forms_js[0])));
}

#[test]
fn language_and_accessibility_basics() {
    let b = build_good(false);
    contains!(b, "index.html", "<html lang=\"en\">", "<a class=\"skip-link\" href=\"#main-content\">", "<main id=\"main-content\"");
    contains!(b, "fr/index.html", "<html lang=\"fr\">", "<h2 id=\"qualite-des-soins\">");
}

#[test]
fn base_url_with_a_path_prefixes_every_link() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("out");
    let opts = Options { base_url: Some("https://example.org/qi/".into()), ..Options::new(site("good")) };
    build_to_dir(&opts, &out).unwrap();
    let home = std::fs::read_to_string(out.join("index.html")).unwrap();
    assert!(home.contains("<a href=\"/qi/guide/first/#goals\">"));
    assert!(home.contains("href=\"/qi/css/site."));
    let sitemap = std::fs::read_to_string(out.join("sitemap.xml")).unwrap();
    assert!(sitemap.contains("<loc>https://example.org/qi/guide/</loc>"));
}

#[test]
fn a_failed_build_leaves_the_previous_output_alone() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("public");
    build_to_dir(&Options::new(site("good")), &out).unwrap();
    assert!(build_to_dir(&Options::new(site("broken-link")), &out).is_err());
    assert!(out.join("guide/first/index.html").exists());
    // A folder we did not make is never replaced.
    let other = dir.path().join("other");
    std::fs::create_dir(&other).unwrap();
    std::fs::write(other.join("keep.txt"), "x").unwrap();
    let err = build_to_dir(&Options::new(site("good")), &other).unwrap_err();
    assert!(err.to_string().contains("was not made by `qi build`"), "{err}");
    assert!(other.join("keep.txt").exists());
}

/// Build (or check) a broken site and return its problems as text.
fn problems(name: &str, check: bool) -> Vec<String> {
    let opts = Options { check, ..Options::new(site(name)) };
    match build(&opts, &NullSink) {
        Ok(_) => panic!("{name} built without problems"),
        Err(p) => p.iter().map(|p| p.to_string()).collect(),
    }
}

fn assert_one_problem(name: &str, expected: &str) {
    assert_eq!(problems(name, false), vec![expected.to_string()], "build of {name}");
    assert_eq!(problems(name, true), vec![expected.to_string()], "check of {name}");
}

#[test]
fn broken_front_matter() {
    assert_one_problem(
        "broken-front-matter",
        "content/bad.md:3:1: front matter: unknown field `colour`, expected one of `title`, `description`, `date`, `weight`, `draft`, `slug`, `template`, `page_template`, `aliases`, `extra`",
    );
}

#[test]
fn broken_link() {
    assert_one_problem(
        "broken-link",
        "content/links.md:7:5: link `@/pip/missing.md` points to a missing page: there is no content/pip/missing.md",
    );
}

#[test]
fn missing_anchor() {
    assert_one_problem(
        "missing-anchor",
        "content/source.md:5:7: link `@/target.md#goals` points to a missing heading: content/target.md has no heading with id `goals`",
    );
}

#[test]
fn unclosed_shortcode() {
    assert_one_problem(
        "unclosed-shortcode",
        "content/unclosed.md:7:1: block shortcode `callout` is never closed: add `{% end %}` after its body",
    );
}

#[test]
fn unknown_template() {
    assert_one_problem(
        "unknown-template",
        "content/fancy.md:3:12: unknown template `fancy.html`: there is no ../_theme/templates/fancy.html",
    );
}

#[test]
fn duplicate_url() {
    assert_one_problem("duplicate-url", "content/b.md:1:1: this page's URL /b/ is already used by content/a.md");
}

#[test]
fn unknown_shortcode() {
    assert_one_problem(
        "unknown-shortcode",
        "content/video.md:5:8: unknown shortcode `video`: there is no template ../_theme/templates/shortcodes/video.html",
    );
}

#[test]
fn bad_shortcode_arguments() {
    let p = problems("bad-shortcode-args", false);
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(p[0].starts_with("content/danger.md:5:1: shortcode `callout`: "), "{}", p[0]);
    assert!(p[0].ends_with("callout `kind` must be one of note, tip, warning, important, not \"danger\""), "{}", p[0]);
}

#[test]
fn level_one_heading_in_text() {
    assert_one_problem(
        "level-one-heading",
        "content/heading.md:5:1: the page title is the page's only level-1 heading: use `##` for headings in the text",
    );
}

#[test]
fn link_to_a_draft() {
    assert_one_problem(
        "draft-link",
        "content/links.md:5:1: link `@/draft.md` points to a draft (build with --drafts to include drafts, or remove the link)",
    );
}

#[test]
fn malformed_external_links_fail_check_but_not_build() {
    build(&Options::new(site("malformed-external-link")), &NullSink).expect("build ignores external links");
    assert_eq!(
        problems("malformed-external-link", true),
        vec!["content/ext.md:5:7: link `htps://example.org` has an unknown scheme `htps:` (expected https://, http://, mailto: or tel:)"
            .to_string()]
    );
}

/// An empty site in a temporary directory, on the fixture theme.
fn scratch_site() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("site.toml"),
        format!(
            "title = \"T\"\nbase_url = \"https://t.example.org\"\ntemplates_dir = \"{}\"\nstatic_dir = \"{}\"\n",
            site("_theme/templates").display(),
            site("_theme/static").display()
        ),
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("content")).unwrap();
    dir
}

#[test]
fn check_lists_every_problem_at_once() {
    let dir = scratch_site();
    let root = dir.path();
    std::fs::write(root.join("content/_index.md"), "+++\ntitle = \"Home\"\n+++\n[a](@/nope.md) and [b](<https://bad host.org>)\n").unwrap();
    std::fs::write(root.join("content/x.md"), "+++\ntitle = 3\n+++\n").unwrap();
    std::fs::write(root.join("content/y.md"), "+++\ntitle = \"Y\"\n+++\n{{ nope() }}\n").unwrap();
    let opts = Options { check: true, ..Options::new(root) };
    let problems: Vec<String> = build(&opts, &NullSink).unwrap_err().iter().map(|p| p.to_string()).collect();
    assert_eq!(problems.len(), 4, "{problems:#?}");
    assert!(problems[0].starts_with("content/_index.md:4:1: link `@/nope.md`"));
    assert!(problems[1].starts_with("content/_index.md:4:20: link `https://bad host.org` is malformed"));
    assert!(problems[2].starts_with("content/x.md:2:9: front matter: invalid type"));
    assert!(problems[3].starts_with("content/y.md:4:1: unknown shortcode `nope`"));
}

#[test]
fn check_warns_about_straight_quotes_in_prose_only() {
    let dir = scratch_site();
    let root = dir.path();
    // Front matter, code spans, code blocks, shortcode arguments, link
    // targets and titles, HTML attributes, autolinks and escaped quotes are
    // not prose; the rest is, including a callout's body.
    let home = concat!(
        "+++\ntitle = \"Home's \\\"page\\\"\"\n+++\n",
        "The group's plan.\n",
        "`don't` and [a \u{201c}link\u{201d}](https://e.org/a'b \"t'\") and <span title=\"x'y\">it\u{2019}s</span>\n",
        "<https://e.org/it's> and \\\"kept\\\" and \u{2018}curly\u{2019}\n",
        "```\nsay \"hi\"\n```\n",
        "{% callout(kind=\"note\", title=\"Don't\") %}\nSay \"no\".\n{% end %}\n",
    );
    std::fs::write(root.join("content/_index.md"), home).unwrap();
    let check = Options { check: true, ..Options::new(root) };
    let warnings: Vec<String> = build(&check, &NullSink).unwrap().warnings.iter().map(|p| p.to_string()).collect();
    let m = "straight quote in prose: write \u{201c} \u{201d} for quotations, \u{2019} for an apostrophe (or \\\" and \\' to keep a straight one)";
    assert_eq!(
        warnings,
        vec![format!("content/_index.md:4:10: {m}"), format!("content/_index.md:11:5: {m}"), format!("content/_index.md:11:8: {m}")]
    );
    // Only `qi check` looks.
    assert!(build(&Options::new(root), &NullSink).unwrap().warnings.is_empty());
}

#[test]
fn template_errors_name_the_template_and_the_cause() {
    // The template's own file and line, and the page that was being rendered.
    assert_one_problem(
        "broken-template",
        "templates/page.html:1:29: Variable `page.subtitle` not found in context (rendering content/page.md)",
    );
}

#[test]
fn template_syntax_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    std::fs::create_dir_all(root.join("content")).unwrap();
    std::fs::create_dir_all(root.join("templates")).unwrap();
    std::fs::write(root.join("site.toml"), "title = \"T\"\nbase_url = \"https://t.example.org\"\ntemplates_dir = \"templates\"\n").unwrap();
    std::fs::write(root.join("content/_index.md"), "+++\ntitle = \"Home\"\n+++\n").unwrap();
    std::fs::write(root.join("templates/index.html"), "{% if %}").unwrap();
    let p: Vec<String> = build(&Options::new(root), &NullSink).unwrap_err().iter().map(|p| p.to_string()).collect();
    assert_eq!(p.len(), 1, "{p:?}");
    assert_eq!(p[0], "templates/index.html:1:7: this template does not parse: expected a value that can be negated");
}

#[test]
fn fixtures_use_the_fixture_theme_not_the_production_one() {
    let dir = site("");
    for item in std::fs::read_dir(&dir).unwrap() {
        let toml = item.unwrap().path().join("site.toml");
        if let Ok(text) = std::fs::read_to_string(&toml) {
            assert!(!text.contains("site/templates") && !text.contains("site/static"), "{} uses the production theme", toml.display());
        }
    }
}

/// A site in a temporary folder with the fixture theme plus `templates`
/// (name, text) over it, and `pages` (content path, text).
fn site_with(templates: &[(&str, &str)], pages: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    let theme = site("_theme/templates");
    for item in walkdir::WalkDir::new(&theme) {
        let item = item.unwrap();
        let target = root.join("templates").join(item.path().strip_prefix(&theme).unwrap());
        if item.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else {
            std::fs::copy(item.path(), &target).unwrap();
        }
    }
    for (name, text) in templates {
        std::fs::write(root.join("templates").join(name), text).unwrap();
    }
    std::fs::write(
        root.join("site.toml"),
        format!(
            "title = \"T\"\nbase_url = \"https://t.example.org\"\ntemplates_dir = \"templates\"\nstatic_dir = {:?}\n",
            site("_theme/static").display().to_string()
        ),
    )
    .unwrap();
    std::fs::create_dir_all(root.join("content")).unwrap();
    for (key, text) in pages {
        let path = root.join("content").join(key);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

fn problems_of(root: &Path) -> Vec<String> {
    build(&Options::new(root), &NullSink).unwrap_err().iter().map(|p| p.to_string()).collect()
}

#[test]
fn template_errors_in_a_parent_template_or_a_shortcode_point_at_that_template() {
    let home = "+++\ntitle = \"Home\"\n+++\n";
    let page = |t: &str| format!("+++\ntitle = \"{t}\"\n+++\nText.\n");
    // In the base template, outside any block, on every page (and the 404 and search pages): one problem naming one page and the count of others.
    let base = std::fs::read_to_string(site("_theme/templates/base.html"))
        .unwrap()
        .replace("<body>\n", "<body>\n<p>{{ config.owner.name }}</p>\n");
    let dir = site_with(&[("base.html", &base)], &[("_index.md", home), ("a.md", &page("A")), ("b.md", &page("B"))]);
    let line = base.lines().position(|l| l.contains("config.owner.name")).unwrap() + 1;
    assert_eq!(
        problems_of(dir.path()),
        vec![format!(
            "templates/base.html:{line}:7: Variable `config.owner.name` not found in context (rendering content/_index.md and 4 other pages)"
        )],
    );

    // A shortcode's own mistake is the template's, named with the call.
    let dir = site_with(
        &[("shortcodes/badge.html", "<span>\n{{ page.title | no_such_filter }}</span>\n")],
        &[("_index.md", home), ("a.md", "+++\ntitle = \"A\"\n+++\n\nSee {{ badge() }}.\n")],
    );
    let p = problems_of(dir.path());
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(p[0].starts_with("templates/shortcodes/badge.html:2:17: Filter 'no_such_filter' not found"), "{}", p[0]);
    assert!(p[0].ends_with("(shortcode `badge` at content/a.md:5:5)"), "{}", p[0]);

    // A failing function call in a page template.
    let dir = site_with(
        &[(
            "page.html",
            "{% extends \"base.html\" %}\n{% block main %}\n<img src=\"{{ asset(path='img/none.png') }}\">\n{% endblock main %}\n",
        )],
        &[("_index.md", home), ("a.md", &page("A"))],
    );
    let p = problems_of(dir.path());
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(p[0].starts_with("templates/page.html:3:14: Function call 'asset' failed: asset: there is no file "), "{}", p[0]);
    assert!(p[0].ends_with("img/none.png (rendering content/a.md)"), "{}", p[0]);
}

#[test]
fn built_in_sitemap_feed_and_robots_escape_and_can_be_overridden() {
    let pages: &[(&str, &str)] = &[
        ("_index.md", "+++\ntitle = \"Home\"\n+++\n"),
        ("news/_index.md", "+++\ntitle = \"News & notes\"\n+++\n"),
        (
            "news/qa.md",
            "+++\ntitle = \"Q&A <live>\"\ndescription = \"Ask \\\"anything\\\"\"\ndate = 2026-04-01\n+++\nA <em>talk</em> & more.\n",
        ),
    ];
    let dir = site_with(&[], pages);
    let out = dir.path().join("public");
    build_to_dir(&Options::new(dir.path()), &out).unwrap_or_else(|p| panic!("{p}"));
    let feed = std::fs::read_to_string(out.join("news/atom.xml")).unwrap();
    assert!(feed.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<feed "), "{feed}");
    assert!(feed.contains("  <title>T – News &amp; notes</title>\n"), "{feed}");
    assert!(feed.contains("    <title>Q&amp;A &lt;live&gt;</title>\n"), "{feed}");
    assert!(feed.contains("    <summary>Ask &quot;anything&quot;</summary>\n"), "{feed}");
    assert!(feed.contains("<content type=\"html\">&lt;p&gt;A &lt;em&gt;talk&lt;/em&gt; &amp;amp; more.&lt;/p&gt;\n</content>"), "{feed}");
    let sitemap = std::fs::read_to_string(out.join("sitemap.xml")).unwrap();
    assert!(
        sitemap.contains("  <url>\n    <loc>https://t.example.org/news/qa/</loc>\n    <lastmod>2026-04-01</lastmod>\n  </url>\n"),
        "{sitemap}"
    );
    assert!(sitemap.ends_with("</urlset>\n"));
    let robots = std::fs::read_to_string(out.join("robots.txt")).unwrap();
    assert_eq!(robots, "User-agent: *\nAllow: /\n\nSitemap: https://t.example.org/sitemap.xml\n");

    // A site's own template of the same name wins.
    let dir = site_with(
        &[("sitemap.xml", "<?xml version=\"1.0\"?><urls n=\"{{ entries | length }}\"/>\n"), ("robots.txt", "User-agent: *\nDisallow: /\n")],
        pages,
    );
    let out = dir.path().join("public");
    build_to_dir(&Options::new(dir.path()), &out).unwrap_or_else(|p| panic!("{p}"));
    assert_eq!(std::fs::read_to_string(out.join("sitemap.xml")).unwrap(), "<?xml version=\"1.0\"?><urls n=\"4\"/>\n");
    assert_eq!(std::fs::read_to_string(out.join("robots.txt")).unwrap(), "User-agent: *\nDisallow: /\n");
}
