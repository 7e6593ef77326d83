//! Phase 3: every output file into the sink (pages through their
//! templates, the listings, the special pages and the redirects).
use crate::error::Problem;
use crate::library::Alias;
use crate::markdown::Rendered;
use crate::outputs;
use crate::prepare::{not_found_path, search_index_path, search_path, Prepared};
use crate::render::{self, Shared};
use crate::sink::Sink;

pub(crate) fn io_problem(path: &str, e: std::io::Error) -> Problem {
    Problem::in_file("", format!("cannot write {path}: {e}"))
}

fn write_to(sink: &dyn Sink, path: &str, made: Result<String, Problem>, problems: &mut Vec<Problem>) {
    match made {
        Ok(text) => {
            if let Err(e) = sink.write(path, text.as_bytes()) {
                problems.push(io_problem(path, e));
            }
        }
        Err(p) => problems.push(p),
    }
}

/// robots.txt (it names the sitemap).
pub(crate) fn write_robots(p: &Prepared, sink: &dyn Sink, problems: &mut Vec<Problem>) {
    write_to(sink, "robots.txt", outputs::robots(&p.theme, &p.config_value), problems);
}

/// The sitemap, and each language's feed and search index (they list every page).
pub(crate) fn write_listings(p: &Prepared, rendered: &[Option<Rendered>], sink: &dyn Sink, problems: &mut Vec<Problem>) {
    let langs = &p.config.languages;
    let mut extra: Vec<Vec<(String, String)>> = Vec::new();
    let search: Vec<(String, String)> =
        langs.iter().filter(|l| !p.search_page_is_content(&l.prefix)).map(|l| (l.code.clone(), search_path(&l.prefix))).collect();
    if !search.is_empty() {
        extra.push(search);
    }
    write_to(sink, "sitemap.xml", outputs::sitemap(&p.theme, &p.config_value, &p.config, &p.lib, &extra), problems);
    for l in langs {
        let config_value = &p.config_values[&l.code];
        match outputs::atom(&p.theme, config_value, &p.config, &p.lib, &l.code, rendered) {
            Some(Ok((path, xml))) => write_to(sink, &render::output_file(&path), Ok(xml), problems),
            Some(Err(problem)) => problems.push(problem),
            None => {}
        }
        let index = outputs::search_index(&p.config, &p.lib, &l.code, rendered);
        write_to(sink, &render::output_file(&search_index_path(&l.prefix)), Ok(index), problems);
    }
}

/// The pages without a content file, in every language: 404 and (unless
/// content has one) search.
pub(crate) fn write_specials(p: &Prepared, shared: &Shared, sink: &dyn Sink) -> Vec<PageFailure> {
    let langs = &p.config.languages;
    let mut specials: Vec<(&str, Vec<(String, String)>)> =
        vec![("404.html", langs.iter().map(|l| (l.code.clone(), not_found_path(&l.prefix))).collect())];
    let search: Vec<(String, String)> =
        langs.iter().filter(|l| !p.search_page_is_content(&l.prefix)).map(|l| (l.code.clone(), search_path(&l.prefix))).collect();
    specials.push(("search.html", search));
    let mut failures = Vec::new();
    for (template, paths) in specials {
        if !p.theme.has(template) {
            continue;
        }
        for (lang, path) in &paths {
            match p.theme.render(template, &render::special_context(shared, &p.config, lang, path, &paths)) {
                Ok(html) => {
                    if let Err(e) = sink.write(&render::output_file(path), html.as_bytes()) {
                        failures.push(PageFailure::Io(io_problem(path, e)));
                    }
                }
                Err(at) => failures.push(PageFailure::Template { at, page: path.to_string() }),
            }
        }
    }
    failures
}

/// The redirect page of an alias.
pub(crate) fn write_alias(p: &Prepared, a: &Alias, sink: &dyn Sink, problems: &mut Vec<Problem>) {
    let t = &p.lib.entries[a.target];
    let html = outputs::redirect(&p.theme, &p.config, render::lang(t), &t.path, &t.fm.title);
    write_to(sink, &render::output_file(&a.path), html, problems);
}

/// Why a page was not written.
pub(crate) enum PageFailure {
    Io(Problem),
    /// Its template failed: `at` is the place in the template, `page` the
    /// content file (or the path of a page without one).
    Template {
        at: Problem,
        page: String,
    },
}

/// Phase 3 for one entry: its page through its template, into the sink.
pub(crate) fn write_page(p: &Prepared, shared: &Shared, i: usize, r: &Rendered, sink: &dyn Sink) -> Option<PageFailure> {
    let e = &p.lib.entries[i];
    let template = &p.template_of[i];
    if !p.theme.has(template) {
        return None;
    }
    let ctx = render::context(&p.lib, &p.config, shared, i, r);
    match p.theme.render(template, &ctx) {
        Ok(html) => sink.write(&render::output_file(&e.path), html.as_bytes()).err().map(|err| PageFailure::Io(io_problem(&e.path, err))),
        Err(at) => Some(PageFailure::Template { at, page: e.source.name.clone() }),
    }
}

/// One problem per place in a template, naming the page it failed on (and
/// how many others), rather than one per page.
pub(crate) fn page_problems(failures: Vec<PageFailure>) -> Vec<Problem> {
    let mut out = Vec::new();
    let mut by_place: std::collections::BTreeMap<Problem, Vec<String>> = Default::default();
    for f in failures {
        match f {
            PageFailure::Io(p) => out.push(p),
            PageFailure::Template { at, page } => by_place.entry(at).or_default().push(page),
        }
    }
    for (mut at, mut pages) in by_place {
        // Content files first: they are what an author recognises.
        pages.sort_by(|a, b| (a.starts_with('/'), a).cmp(&(b.starts_with('/'), b)));
        let others = match pages.len() - 1 {
            0 => String::new(),
            1 => " and 1 other page".to_string(),
            n => format!(" and {n} other pages"),
        };
        at.message.push_str(&format!(" (rendering {}{others})", pages[0]));
        out.push(at);
    }
    out
}
