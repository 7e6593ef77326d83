//! The files besides pages: sitemap, robots.txt, Atom feed, search index and
//! alias redirects.
use serde::Serialize;

use crate::config::Config;
use crate::library::Library;
use crate::markdown::{escape, Rendered};

/// The section whose pages make the Atom feed.
pub const NEWS_SECTION: &str = "news/_index.md";

pub fn robots(config: &Config) -> String {
    format!("User-agent: *\nAllow: /\n\nSitemap: {}\n", config.permalink("/sitemap.xml"))
}

pub fn sitemap(config: &Config, lib: &Library, extra_paths: &[&str]) -> String {
    let mut out =
        String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\">\n");
    let mut entries: Vec<(&str, Option<&str>)> =
        lib.entries.iter().filter(|e| !e.hidden()).map(|e| (e.path.as_str(), e.fm.date.as_ref().map(|d| d.day.as_str()))).collect();
    entries.extend(extra_paths.iter().map(|p| (*p, None)));
    entries.sort();
    for (path, day) in entries {
        out.push_str("  <url>\n    <loc>");
        out.push_str(&escape(&config.permalink(path)));
        out.push_str("</loc>\n");
        if let Some(d) = day {
            out.push_str(&format!("    <lastmod>{d}</lastmod>\n"));
        }
        out.push_str("  </url>\n");
    }
    out.push_str("</urlset>\n");
    out
}

/// Atom feed of the news section's pages, newest first.
pub fn atom(config: &Config, lib: &Library, rendered: &[Option<Rendered>]) -> Option<(String, String)> {
    let &news = lib.by_key.get(NEWS_SECTION)?;
    let section = &lib.entries[news];
    let feed_path = format!("{}atom.xml", section.path);
    let mut pages: Vec<usize> = section.pages.clone();
    pages.sort_by(|&a, &b| {
        let d = |i: usize| lib.entries[i].fm.date.as_ref().map(|d| d.rfc3339.clone());
        d(b).cmp(&d(a))
    });
    let updated = pages
        .iter()
        .filter_map(|&p| lib.entries[p].fm.date.as_ref().map(|d| d.rfc3339.clone()))
        .max()
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_string());
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<feed xmlns=\"http://www.w3.org/2005/Atom\" xml:lang=\"{}\" xml:base=\"{}/\">\n",
        escape(&config.language),
        escape(&config.base_url())
    ));
    out.push_str(&format!("  <title>{} – {}</title>\n", escape(&config.title), escape(&section.fm.title)));
    out.push_str(&format!("  <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n", escape(&config.permalink(&section.path))));
    out.push_str(&format!("  <link rel=\"self\" type=\"application/atom+xml\" href=\"{}\"/>\n", escape(&config.permalink(&feed_path))));
    out.push_str(&format!("  <id>{}</id>\n  <updated>{updated}</updated>\n", escape(&config.permalink(&feed_path))));
    for p in pages {
        let e = &lib.entries[p];
        let date = e.fm.date.as_ref().map(|d| d.rfc3339.clone()).unwrap_or_else(|| updated.clone());
        let link = config.permalink(&e.path);
        out.push_str("  <entry>\n");
        out.push_str(&format!("    <title>{}</title>\n", escape(&e.fm.title)));
        out.push_str(&format!("    <link rel=\"alternate\" type=\"text/html\" href=\"{}\"/>\n", escape(&link)));
        out.push_str(&format!("    <id>{}</id>\n    <updated>{date}</updated>\n    <published>{date}</published>\n", escape(&link)));
        out.push_str(&format!("    <author><name>{}</name></author>\n", escape(&config.title)));
        if let Some(d) = &e.fm.description {
            out.push_str(&format!("    <summary>{}</summary>\n", escape(d)));
        }
        if let Some(r) = rendered.get(p).and_then(|r| r.as_ref()) {
            out.push_str(&format!("    <content type=\"html\">{}</content>\n", escape(&r.html)));
        }
        out.push_str("  </entry>\n");
    }
    out.push_str("</feed>\n");
    Some((feed_path, out))
}

#[derive(Serialize)]
struct SearchDoc<'a> {
    title: &'a str,
    url: String,
    section: &'a str,
    description: &'a str,
    text: &'a str,
}

/// Most text kept per page in the search index.
const SEARCH_TEXT_LIMIT: usize = 4000;

/// The JSON the search page's script searches.
pub fn search_index(config: &Config, lib: &Library, rendered: &[Option<Rendered>]) -> String {
    let docs: Vec<SearchDoc> = lib
        .entries
        .iter()
        .enumerate()
        .filter(|(_, e)| !e.hidden())
        .map(|(i, e)| {
            let text = rendered.get(i).and_then(|r| r.as_ref()).map(|r| r.text.as_str()).unwrap_or("");
            let mut end = text.len().min(SEARCH_TEXT_LIMIT);
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            SearchDoc {
                title: &e.fm.title,
                url: config.link(&e.path),
                section: e.parent.filter(|&p| Some(p) != lib.home).map(|p| lib.entries[p].fm.title.as_str()).unwrap_or(""),
                description: e.fm.description.as_deref().unwrap_or(""),
                text: &text[..end],
            }
        })
        .collect();
    serde_json::to_string(&docs).unwrap_or_else(|_| "[]".into())
}

/// A small page that sends visitors from an old address to the new one.
pub fn redirect(config: &Config, lang: &str, target_path: &str, title: &str) -> String {
    let url = escape(&config.link(target_path));
    let permalink = escape(&config.permalink(target_path));
    format!(
        "<!doctype html>\n<html lang=\"{lang}\">\n<head>\n<meta charset=\"utf-8\">\n<title>Moved: {t}</title>\n<meta name=\"robots\" content=\"noindex\">\n<link rel=\"canonical\" href=\"{permalink}\">\n<meta http-equiv=\"refresh\" content=\"0; url={url}\">\n</head>\n<body>\n<p>This page has moved to <a href=\"{url}\">{t}</a>.</p>\n</body>\n</html>\n",
        lang = escape(lang),
        t = escape(title)
    )
}
