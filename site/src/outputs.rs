//! The files besides pages: sitemap, robots.txt, Atom feed, search index and
//! alias redirects. Each but the search index is a template (built in, or
//! the site's own of the same name); this module builds their contexts.
use serde::Serialize;
use serde_json::{json, Value};

use crate::config::Config;
use crate::error::Problem;
use crate::library::Library;
use crate::markdown::Rendered;
use crate::templates::Theme;

/// The section whose pages make the Atom feed.
pub const NEWS_SECTION: &str = "news/_index.md";

fn render(theme: &Theme, template: &str, ctx: Value) -> Result<String, Problem> {
    let ctx = tera::Context::from_value(ctx).map_err(|e| Problem::in_file(template, e.to_string()))?;
    theme.render(template, &ctx)
}

pub fn robots(theme: &Theme, config_value: &Value) -> Result<String, Problem> {
    render(theme, "robots.txt", json!({ "config": config_value }))
}

/// The feed of the news section in `lang` (`/news/atom.xml`, `/fr/nouvelles/atom.xml`).
pub fn feed_path(lib: &Library, lang: &str) -> Option<String> {
    lib.by_key.get(&lib.localized_key(NEWS_SECTION, lang)).map(|&n| format!("{}atom.xml", lib.entries[n].path))
}

/// The sitemap: every page that is not hidden, each with its other
/// languages' versions as alternates (`xhtml:link`), and `extra`: pages
/// without a content file, given as their versions (language, path).
pub fn sitemap(
    theme: &Theme,
    config_value: &Value,
    config: &Config,
    lib: &Library,
    extra: &[Vec<(String, String)>],
) -> Result<String, Problem> {
    let default = &config.language;
    let alternates = |versions: Vec<(&str, &str)>| -> Value {
        if versions.len() < 2 {
            return json!([]);
        }
        let mut out: Vec<Value> = versions.iter().map(|(l, p)| json!({ "hreflang": l, "href": config.permalink(p) })).collect();
        if let Some((_, p)) = versions.iter().find(|(l, _)| *l == default.as_str()) {
            out.push(json!({ "hreflang": "x-default", "href": config.permalink(p) }));
        }
        Value::Array(out)
    };
    let mut entries: Vec<(String, Option<String>, Value)> = lib
        .entries
        .iter()
        .filter(|e| !e.hidden())
        .map(|e| {
            let mut versions: Vec<(&str, &str)> = vec![(e.lang.as_str(), e.path.as_str())];
            versions.extend(e.translations.iter().map(|&t| (lib.entries[t].lang.as_str(), lib.entries[t].path.as_str())));
            versions.sort_by_key(|(l, _)| config.languages.iter().position(|x| x.code == *l));
            (e.path.clone(), e.fm.date.as_ref().map(|d| d.day.clone()), alternates(versions))
        })
        .collect();
    for versions in extra {
        let v: Vec<(&str, &str)> = versions.iter().map(|(l, p)| (l.as_str(), p.as_str())).collect();
        for (_, p) in versions {
            entries.push((p.clone(), None, alternates(v.clone())));
        }
    }
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    let entries: Vec<Value> =
        entries.iter().map(|(path, day, alt)| json!({ "permalink": config.permalink(path), "lastmod": day, "alternates": alt })).collect();
    render(theme, "sitemap.xml", json!({ "config": config_value, "entries": entries }))
}

/// The path and text of the Atom feed of the news section's pages, newest first.
pub fn atom(
    theme: &Theme,
    config_value: &Value,
    config: &Config,
    lib: &Library,
    lang: &str,
    rendered: &[Option<Rendered>],
) -> Option<Result<(String, String), Problem>> {
    let &news = lib.by_key.get(&lib.localized_key(NEWS_SECTION, lang))?;
    let section = &lib.entries[news];
    let feed_path = format!("{}atom.xml", section.path);
    let mut pages: Vec<usize> = section.pages.clone();
    let rfc3339 = |i: usize| lib.entries[i].fm.date.as_ref().map(|d| d.rfc3339.clone());
    pages.sort_by_key(|&p| std::cmp::Reverse(rfc3339(p)));
    let updated = pages.iter().filter_map(|&p| rfc3339(p)).max().unwrap_or_else(|| "1970-01-01T00:00:00Z".to_string());
    let entries: Vec<Value> = pages
        .iter()
        .map(|&p| {
            let e = &lib.entries[p];
            let date = rfc3339(p).unwrap_or_else(|| updated.clone());
            json!({
                "title": e.fm.title,
                "permalink": config.permalink(&e.path),
                "updated": date,
                "published": date,
                "summary": e.fm.description,
                "content": rendered.get(p).and_then(|r| r.as_ref()).map(|r| r.html.as_str()),
            })
        })
        .collect();
    let ctx = json!({
        "config": config_value,
        "lang": lang,
        "section": { "title": section.fm.title, "permalink": config.permalink(&section.path) },
        "feed_url": config.permalink(&feed_path),
        "updated": updated,
        "entries": entries,
    });
    Some(render(theme, "atom.xml", ctx).map(|xml| (feed_path, xml)))
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

/// The JSON the search page's script searches: the pages in `lang`.
pub fn search_index(config: &Config, lib: &Library, lang: &str, rendered: &[Option<Rendered>]) -> String {
    let docs: Vec<SearchDoc> = lib
        .entries
        .iter()
        .enumerate()
        .filter(|(_, e)| !e.hidden() && e.lang == lang)
        .map(|(i, e)| {
            let text = rendered.get(i).and_then(|r| r.as_ref()).map(|r| r.text.as_str()).unwrap_or("");
            let mut end = text.len().min(SEARCH_TEXT_LIMIT);
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            SearchDoc {
                title: &e.fm.title,
                url: config.link(&e.path),
                section: e.parent.filter(|&p| lib.homes.get(&e.lang) != Some(&p)).map(|p| lib.entries[p].fm.title.as_str()).unwrap_or(""),
                description: e.fm.description.as_deref().unwrap_or(""),
                text: &text[..end],
            }
        })
        .collect();
    serde_json::to_string(&docs).unwrap_or_else(|_| "[]".into())
}

/// A small page that sends visitors from an old address to the new one.
pub fn redirect(theme: &Theme, config: &Config, lang: &str, target_path: &str, title: &str) -> Result<String, Problem> {
    let target = json!({ "title": title, "url": config.link(target_path), "permalink": config.permalink(target_path) });
    render(theme, "alias.html", json!({ "lang": lang, "target": target }))
}
