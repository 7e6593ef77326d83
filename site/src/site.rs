//! A build in two phases: load everything into the library (and check it),
//! then render every page in parallel and hand the files to a sink (a
//! folder, memory for `qi serve`, or nothing for `qi check`).
use std::collections::{HashMap, HashSet};
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rayon::prelude::*;

use crate::assets::Assets;
use crate::config::Config;
use crate::error::{error_chain, Problem, Problems};
use crate::library::{Kind, Library};
use crate::markdown::{Rendered, Renderer};
use crate::render::{self, Shared};
use crate::templates::{self, TeraShortcodes};
use crate::{markdown, outputs};

#[derive(Debug, Clone)]
pub struct Options {
    /// The site root: holds `site.toml`, `content/` and `site/`.
    pub root: PathBuf,
    pub base_url: Option<String>,
    pub drafts: bool,
    /// `qi check`: also report malformed external links, and render every
    /// template even after content problems (to list everything at once).
    pub check: bool,
    /// Show a progress line on stderr (when it is a terminal).
    pub progress: bool,
}

impl Options {
    pub fn new(root: impl Into<PathBuf>) -> Options {
        Options { root: root.into(), base_url: None, drafts: false, check: false, progress: false }
    }
}

/// Where built files go. Paths are relative, with `/`: `groups/index.html`.
pub trait Sink: Sync {
    fn write(&self, path: &str, bytes: &[u8]) -> std::io::Result<()>;
    fn copy(&self, path: &str, from: &Path) -> std::io::Result<()> {
        self.write(path, &std::fs::read(from)?)
    }
}

/// Discards everything (`qi check`).
pub struct NullSink;
impl Sink for NullSink {
    fn write(&self, _: &str, _: &[u8]) -> std::io::Result<()> {
        Ok(())
    }
    fn copy(&self, _: &str, _: &Path) -> std::io::Result<()> {
        Ok(())
    }
}

/// Writes into a folder.
pub struct DirSink(pub PathBuf);
impl Sink for DirSink {
    fn write(&self, path: &str, bytes: &[u8]) -> std::io::Result<()> {
        let target = self.0.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(target, bytes)
    }
    fn copy(&self, path: &str, from: &Path) -> std::io::Result<()> {
        let target = self.0.join(path);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::copy(from, target).map(|_| ())
    }
}

/// Keeps every file in memory (`qi serve`).
#[derive(Default)]
pub struct MemorySink(pub Mutex<HashMap<String, Arc<Vec<u8>>>>);
impl Sink for MemorySink {
    fn write(&self, path: &str, bytes: &[u8]) -> std::io::Result<()> {
        self.0.lock().unwrap().insert(path.to_string(), Arc::new(bytes.to_vec()));
        Ok(())
    }
}

/// What a successful build made.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    pub pages: usize,
    pub sections: usize,
    pub aliases: usize,
    pub assets: usize,
    pub files: usize,
    pub elapsed: Duration,
}

impl std::fmt::Display for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} pages, {} sections, {} redirects, {} static files, {} content files in {:.2}s",
            self.pages,
            self.sections,
            self.aliases,
            self.assets,
            self.files,
            self.elapsed.as_secs_f64()
        )
    }
}

pub(crate) fn fail(mut problems: Vec<Problem>) -> Problems {
    problems.sort();
    problems.dedup();
    Problems(problems)
}

/// Paths the build makes besides content pages.
pub const SEARCH_PATH: &str = "/search/";
pub const SEARCH_INDEX: &str = "/search/index.json";

/// Everything loaded and checked before the first page is rendered: what a
/// full build and an incremental rebuild (`crate::incremental`) share.
pub(crate) struct Prepared {
    pub config: Config,
    pub assets: Assets,
    pub lib: Library,
    pub tera: tera::Tera,
    /// The template each entry renders with.
    pub template_of: Vec<String>,
    pub templates_shown: String,
    pub feed_path: Option<String>,
    pub config_value: serde_json::Value,
    pub check: bool,
}

impl Prepared {
    pub fn has(&self, template: &str) -> bool {
        self.tera.templates.contains_key(template)
    }

    fn search_page_is_content(&self) -> bool {
        self.lib.by_path.contains_key(SEARCH_PATH)
    }
}

/// Phase 1: the configuration, static files, the content library and the
/// templates. Problems that do not stop the build are added to `problems`.
pub(crate) fn prepare(opts: &Options, problems: &mut Vec<Problem>) -> Result<Prepared, Problems> {
    let config = Config::load(&opts.root, opts.base_url.as_deref()).map_err(|p| fail(vec![p]))?;
    let assets = Assets::scan(&config.static_dir, problems);
    let lib = Library::load(&config.root, &config.content_dir, opts.drafts, problems);

    let mut tera = match templates::load(&config) {
        Ok(t) => t,
        Err(p) => {
            problems.push(p);
            return Err(fail(std::mem::take(problems)));
        }
    };
    templates::register_asset(&mut tera, &config, Arc::new(assets.hashed.clone()));
    let by_key: HashMap<String, String> = lib.entries.iter().map(|e| (e.key.clone(), e.path.clone())).collect();
    templates::register_get_url(&mut tera, &config, Arc::new(by_key));
    templates::register_load_data(&mut tera, config.root.clone());
    let templates_shown = templates::shown_path(&config, &config.templates_dir);

    // Which template each entry uses, and whether it exists.
    let has = |name: &str| tera.templates.contains_key(name);
    let mut template_of: Vec<String> = Vec::with_capacity(lib.entries.len());
    for (i, e) in lib.entries.iter().enumerate() {
        if let Some(pt) = &e.fm.page_template {
            if !has(&pt.value) {
                problems.push(
                    e.source.problem(pt.offset, format!("unknown template `{}`: there is no {templates_shown}/{}", pt.value, pt.value)),
                );
            }
        }
        let name = match (&e.fm.template, e.kind) {
            (Some(t), _) => {
                if !has(&t.value) {
                    problems.push(
                        e.source.problem(t.offset, format!("unknown template `{}`: there is no {templates_shown}/{}", t.value, t.value)),
                    );
                }
                t.value.clone()
            }
            (None, Kind::Section) if lib.home == Some(i) => "index.html".to_string(),
            (None, Kind::Section) => "section.html".to_string(),
            (None, Kind::Page) if e.path == SEARCH_PATH => "search.html".to_string(),
            (None, Kind::Page) => e
                .parent
                .and_then(|p| lib.entries[p].fm.page_template.as_ref())
                .map(|t| t.value.clone())
                .unwrap_or_else(|| "page.html".to_string()),
        };
        template_of.push(name);
    }
    for needed in ["index.html", "section.html", "page.html", "404.html", "search.html"] {
        if !has(needed) {
            problems.push(Problem::in_file(format!("{templates_shown}/{needed}"), "this template is missing (every site needs it)"));
        }
    }
    let feed_path = lib.by_key.get(outputs::NEWS_SECTION).map(|&n| format!("{}atom.xml", lib.entries[n].path));
    let config_value = render::config_value(&config, feed_path.as_deref());
    Ok(Prepared { config, assets, lib, tera, template_of, templates_shown, feed_path, config_value, check: opts.check })
}

/// Phase 2 for one entry: its Markdown (with shortcodes and `@/` links).
pub(crate) fn render_markdown(p: &Prepared, i: usize) -> Result<Rendered, Vec<Problem>> {
    let shortcodes = TeraShortcodes { tera: &p.tera, templates_dir: p.templates_shown.clone(), config: &p.config_value };
    let e = &p.lib.entries[i];
    let stub = render::page_stub(&p.lib, &p.config, i);
    Renderer { source: &e.source, entry: i, lib: &p.lib, config: &p.config, shortcodes: &shortcodes, page: &stub, check_external: p.check }
        .render(e.body_offset)
}

/// Links that could only be checked once everything was rendered.
pub(crate) fn check_links(p: &Prepared, rendered: &[Option<Rendered>], problems: &mut Vec<Problem>) {
    let lib = &p.lib;
    let mut known: HashSet<String> = lib.by_path.keys().cloned().collect();
    known.extend(lib.aliases.iter().map(|a| a.path.clone()));
    known.extend(lib.files.iter().map(|f| f.path.clone()));
    known.extend(p.assets.files.iter().map(|(p, _)| format!("/{p}")));
    for p in ["/", SEARCH_PATH, SEARCH_INDEX, "/sitemap.xml", "/robots.txt", "/404.html"] {
        known.insert(p.to_string());
    }
    if let Some(f) = &p.feed_path {
        known.insert(f.clone());
    }
    for (i, r) in rendered.iter().enumerate() {
        let Some(r) = r else { continue };
        let e = &lib.entries[i];
        for link in &r.anchor_links {
            let Some(target) = rendered[link.target].as_ref() else { continue };
            if !target.ids.contains(&link.anchor) {
                let target_name = &lib.entries[link.target].source.name;
                let message = if link.target == i {
                    format!("link `{}` points to a missing heading: this page has no heading with id `{}`", link.written, link.anchor)
                } else {
                    format!("link `{}` points to a missing heading: {} has no heading with id `{}`", link.written, target_name, link.anchor)
                };
                problems.push(e.source.problem(link.offset, with_suggestion(message, &link.anchor, &target.ids)));
            }
        }
        for (at, dest) in &r.local_links {
            if let Some(m) = local_link_problem(dest, &known, lib, rendered) {
                problems.push(e.source.problem(*at, m));
            }
        }
    }
}

fn io_problem(path: &str, e: std::io::Error) -> Problem {
    Problem::in_file("", format!("cannot write {path}: {e}"))
}

fn write_to(sink: &dyn Sink, path: &str, bytes: &[u8], problems: &mut Vec<Problem>) {
    if let Err(e) = sink.write(path, bytes) {
        problems.push(io_problem(path, e));
    }
}

/// The sitemap, the feed and the search index (they list every page).
pub(crate) fn write_listings(p: &Prepared, rendered: &[Option<Rendered>], sink: &dyn Sink, problems: &mut Vec<Problem>) {
    let extra_paths: Vec<&str> = if p.search_page_is_content() { vec![] } else { vec![SEARCH_PATH] };
    write_to(sink, "sitemap.xml", outputs::sitemap(&p.config, &p.lib, &extra_paths).as_bytes(), problems);
    if let Some((path, xml)) = outputs::atom(&p.config, &p.lib, rendered) {
        write_to(sink, &render::output_file(&path), xml.as_bytes(), problems);
    }
    write_to(sink, &render::output_file(SEARCH_INDEX), outputs::search_index(&p.config, &p.lib, rendered).as_bytes(), problems);
}

/// The pages without a content file: 404 and (unless content has one) search.
pub(crate) fn write_specials(p: &Prepared, shared: &Shared, sink: &dyn Sink, problems: &mut Vec<Problem>) {
    let mut specials = vec![("/404.html", "404.html", "Page not found")];
    if !p.search_page_is_content() {
        specials.push((SEARCH_PATH, "search.html", "Search"));
    }
    for (path, template, title) in specials {
        if !p.has(template) {
            continue;
        }
        match p.tera.render(template, &render::special_context(shared, &p.config, path, title)) {
            Ok(html) => write_to(sink, &render::output_file(path), html.as_bytes(), problems),
            Err(e) => problems
                .push(Problem::in_file(format!("{}/{template}", p.templates_shown), format!("rendering failed: {}", error_chain(&e)))),
        }
    }
}

/// The redirect page of an alias.
pub(crate) fn write_alias(p: &Prepared, a: &crate::library::Alias, sink: &dyn Sink, problems: &mut Vec<Problem>) {
    let t = &p.lib.entries[a.target];
    let html = outputs::redirect(&p.config, render::lang(t, &p.config), &t.path, &t.fm.title);
    write_to(sink, &render::output_file(&a.path), html.as_bytes(), problems);
}

/// Phase 3 for one entry: its page through its template, into the sink.
pub(crate) fn write_page(p: &Prepared, shared: &Shared, i: usize, r: &Rendered, sink: &dyn Sink) -> Option<Problem> {
    let e = &p.lib.entries[i];
    let template = &p.template_of[i];
    if !p.has(template) {
        return None;
    }
    let ctx = render::context(&p.lib, &p.config, shared, i, r);
    match p.tera.render(template, &ctx) {
        Ok(html) => sink.write(&render::output_file(&e.path), html.as_bytes()).err().map(|err| io_problem(&e.path, err)),
        Err(err) => {
            Some(Problem::at(e.source.name.clone(), 1, 1, format!("rendering template `{template}` failed: {}", error_chain(&err))))
        }
    }
}

/// Build the site into `sink`. All problems found are returned together.
pub fn build(opts: &Options, sink: &dyn Sink) -> Result<Summary, Problems> {
    build_keeping(opts, sink).map(|(summary, _, _)| summary)
}

/// A full build that also hands back what it loaded and rendered (for
/// `crate::incremental`).
pub(crate) fn build_keeping(opts: &Options, sink: &dyn Sink) -> Result<(Summary, Prepared, Vec<Option<Rendered>>), Problems> {
    let started = Instant::now();
    // QI_TIMINGS=1 prints how long each phase took (for benchmarking).
    let timings = std::env::var_os("QI_TIMINGS").is_some();
    let mut phase_start = Instant::now();
    let mut phase = |name: &str| {
        if timings {
            eprintln!("  {name}: {:.0} ms", phase_start.elapsed().as_secs_f64() * 1000.0);
        }
        phase_start = Instant::now();
    };
    let mut problems = Vec::new();
    let p = prepare(opts, &mut problems)?;
    phase("load and templates");

    // Phase 2: Markdown, in parallel.
    let results: Vec<Result<Rendered, Vec<Problem>>> = (0..p.lib.entries.len()).into_par_iter().map(|i| render_markdown(&p, i)).collect();
    let mut rendered: Vec<Option<Rendered>> = Vec::with_capacity(results.len());
    for r in results {
        match r {
            Ok(r) => rendered.push(Some(r)),
            Err(ps) => {
                problems.extend(ps);
                rendered.push(None);
            }
        }
    }
    phase("markdown");
    check_links(&p, &rendered, &mut problems);
    if !problems.is_empty() && !opts.check {
        return Err(fail(problems));
    }
    phase("links");

    // Phase 3: outputs.
    write_to(sink, "robots.txt", outputs::robots(&p.config).as_bytes(), &mut problems);
    write_listings(&p, &rendered, sink, &mut problems);
    let shared = Shared::new(&p.lib, &p.config, p.config_value.clone());
    write_specials(&p, &shared, sink, &mut problems);
    for a in &p.lib.aliases {
        write_alias(&p, a, sink, &mut problems);
    }
    phase("feed, sitemap, search index, special pages");

    let total = rendered.len();
    let done = AtomicUsize::new(0);
    let show_progress = opts.progress && total >= 200 && std::io::stderr().is_terminal();
    let last_shown = Mutex::new(Instant::now());
    let page_problems: Vec<Problem> = rendered
        .par_iter()
        .enumerate()
        .filter_map(|(i, r)| {
            let result = write_page(&p, &shared, i, r.as_ref()?, sink);
            let n = done.fetch_add(1, Ordering::Relaxed) + 1;
            if show_progress {
                let mut last = last_shown.lock().unwrap();
                if last.elapsed() > Duration::from_millis(100) || n == total {
                    *last = Instant::now();
                    eprint!("\rRendering pages: {n}/{total}");
                    let _ = std::io::stderr().flush();
                }
            }
            result
        })
        .collect();
    if show_progress {
        eprintln!();
    }
    problems.extend(page_problems);
    drop(shared);
    phase("pages");

    let copies: Vec<Problem> = p
        .assets
        .files
        .par_iter()
        .map(|(path, src)| (path.clone(), src.clone()))
        .chain(p.lib.files.par_iter().map(|f| (f.path.trim_start_matches('/').to_string(), f.source.clone())))
        .filter_map(|(path, src)| sink.copy(&path, &src).err().map(|e| io_problem(&path, e)))
        .collect();
    problems.extend(copies);

    if !problems.is_empty() {
        return Err(fail(problems));
    }
    let sections = p.lib.entries.iter().filter(|e| e.is_section()).count();
    let summary = Summary {
        pages: p.lib.entries.len() - sections,
        sections,
        aliases: p.lib.aliases.len(),
        assets: p.assets.files.len(),
        files: p.lib.files.len(),
        elapsed: started.elapsed(),
    };
    Ok((summary, p, rendered))
}

fn with_suggestion(mut message: String, anchor: &str, ids: &HashSet<String>) -> String {
    let mut close: Vec<&String> = ids.iter().filter(|id| id.contains(anchor) || anchor.contains(id.as_str())).collect();
    close.sort();
    if let Some(best) = close.first() {
        message.push_str(&format!(" (did you mean `{best}`?)"));
    }
    message
}

fn local_link_problem(dest: &str, known: &HashSet<String>, lib: &Library, rendered: &[Option<Rendered>]) -> Option<String> {
    let (path, anchor) = match dest.split_once('#') {
        Some((p, a)) => (p, Some(a)),
        None => (dest, None),
    };
    let path = path.split('?').next().unwrap_or(path);
    if path.starts_with("/api/") || path == "/api" {
        return None;
    }
    let candidates = [path.to_string(), format!("{path}/"), format!("{}index.html", path)];
    let found = candidates.iter().find(|c| known.contains(c.as_str()) || c.strip_suffix("index.html").is_some_and(|d| known.contains(d)));
    let Some(found) = found else {
        return Some(format!("link `{dest}` points to nothing this site builds (link to pages as `@/path/under/content.md`)"));
    };
    if let (Some(anchor), Some(&entry)) = (anchor, lib.by_path.get(found.trim_end_matches("index.html"))) {
        if let Some(r) = &rendered[entry] {
            if !r.ids.contains(anchor) && !markdown::RESERVED_IDS.contains(&anchor) {
                return Some(format!(
                    "link `{dest}` points to a missing heading: {} has no heading with id `{anchor}`",
                    lib.entries[entry].source.name
                ));
            }
        }
    }
    None
}

/// Marker file telling a later build that the output folder is ours to replace.
pub const OUTPUT_MARKER: &str = ".qi-build";

/// Build into `out`, replacing it only when the whole build succeeded: the
/// site is built in a sibling folder first, so a failed build leaves the
/// previous output untouched.
pub fn build_to_dir(opts: &Options, out: &Path) -> Result<Summary, Problems> {
    let problem = |m: String| fail(vec![Problem::in_file("", m)]);
    if out.exists() {
        let empty = std::fs::read_dir(out).map(|mut d| d.next().is_none()).unwrap_or(false);
        if !empty && !out.join(OUTPUT_MARKER).exists() {
            return Err(problem(format!(
                "the output folder {} already exists and was not made by `qi build`; remove it or choose another --output",
                out.display()
            )));
        }
    }
    let name = out.file_name().map(|n| n.to_string_lossy().to_string()).unwrap_or_else(|| "public".into());
    let staging = out.with_file_name(format!(".{name}.building-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    std::fs::create_dir_all(&staging).map_err(|e| problem(format!("cannot create {}: {e}", staging.display())))?;
    let result = build(opts, &DirSink(staging.clone()));
    let summary = match result {
        Ok(s) => s,
        Err(p) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(p);
        }
    };
    let finish = || -> std::io::Result<()> {
        std::fs::write(staging.join(OUTPUT_MARKER), b"")?;
        if out.exists() {
            std::fs::remove_dir_all(out)?;
        }
        std::fs::rename(&staging, out)
    };
    finish().map_err(|e| {
        let _ = std::fs::remove_dir_all(&staging);
        problem(format!("cannot move the built site into {}: {e}", out.display()))
    })?;
    Ok(summary)
}
