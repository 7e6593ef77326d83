//! Template contexts. Each page gets its own small values plus cheap shared
//! ones built once per build (the configuration, the top navigation, one
//! short summary per entry), never whole sections re-serialised per page.
use serde_json::{json, Map, Value};

use std::collections::HashMap;

use crate::config::{Config, Language};
use crate::library::{Entry, Library};
use crate::markdown::Rendered;

/// Sections with more pages than this list only their neighbours in a page's
/// side navigation (the section page always lists every page).
pub const SIDE_NAV_LIMIT: usize = 60;

/// Values built once per build and shared by every page's context.
pub struct Shared {
    /// The `config` global of each language.
    pub configs: HashMap<String, Value>,
    /// The global `facts` (`qi_facts::Facts`): limits and names forms show,
    /// per language.
    pub facts: HashMap<String, Value>,
    /// The main navigation of each language (its home page's sections and pages).
    pub navs: HashMap<String, Value>,
    pub summaries: Vec<Value>,
    /// For each section: its title, URL and (if short enough) its pages.
    pub side_navs: Vec<Value>,
}

/// An entry's language: its file name's (`page.fr.md`), else the default.
pub fn lang(e: &Entry) -> &str {
    &e.lang
}

/// The `config` global of the pages in `lang`: the site's title and
/// description in that language, and the addresses the layout links to
/// (`home_url`, `search_url`, `feed_url`) in that language.
pub fn config_value(config: &Config, lang: &Language, feed_path: Option<&str>) -> Value {
    json!({
        "feed_url": feed_path.map(|p| config.link(p)),
        "title": lang.title,
        "description": lang.description,
        "base_url": config.base_url(),
        "base_path": config.base_path,
        "language": lang.code,
        "default_language": config.language,
        "home_url": config.link(&format!("{}/", lang.prefix)),
        "search_url": config.link(&crate::prepare::search_path(&lang.prefix)),
        "search_index_url": config.link(&crate::prepare::search_index_path(&lang.prefix)),
        "languages": config.languages.iter().map(|l| json!({ "code": l.code, "name": l.name })).collect::<Vec<_>>(),
        "extra": config.extra,
    })
}

/// Every version of entry `i` (itself included), in the site's language
/// order: `lang`, `name`, `url`, `permalink`, `title`, `current`. The layout
/// writes the `hreflang` alternates and the language switcher from it.
pub fn versions(lib: &Library, config: &Config, i: usize) -> Value {
    let e = &lib.entries[i];
    let mut all: Vec<usize> = e.translations.iter().copied().chain(std::iter::once(i)).collect();
    let rank = |k: usize| config.languages.iter().position(|l| l.code == lib.entries[k].lang).unwrap_or(usize::MAX);
    all.sort_by_key(|&k| rank(k));
    Value::Array(
        all.iter()
            .map(|&k| {
                let t = &lib.entries[k];
                json!({
                    "lang": t.lang,
                    "name": config.lang_or_default(&t.lang).name,
                    "url": config.link(&t.path),
                    "permalink": config.permalink(&t.path),
                    "title": t.fm.title,
                    "current": k == i,
                })
            })
            .collect(),
    )
}

fn summary(lib: &Library, config: &Config, i: usize) -> Value {
    let e = &lib.entries[i];
    json!({
        "title": e.fm.title,
        "url": config.link(&e.path),
        "path": e.path,
        "description": e.fm.description,
        "date": e.fm.date.as_ref().map(|d| d.value.clone()),
        "day": e.fm.date.as_ref().map(|d| d.day.clone()),
        "weight": e.fm.weight,
        "is_section": e.is_section(),
        "extra": e.fm.extra,
    })
}

impl Shared {
    pub fn new(lib: &Library, config: &Config, configs: HashMap<String, Value>, facts: HashMap<String, Value>) -> Shared {
        let summaries: Vec<Value> = (0..lib.entries.len()).map(|i| summary(lib, config, i)).collect();
        let mut navs = HashMap::new();
        for l in &config.languages {
            let mut nav = Vec::new();
            if let Some(&h) = lib.homes.get(&l.code) {
                // Top navigation: the home page's sections and pages, by weight.
                let home = &lib.entries[h];
                let mut items: Vec<usize> = home.subsections.iter().chain(home.pages.iter()).copied().collect();
                items.sort_by_key(|&i| (lib.entries[i].fm.weight.unwrap_or(i64::MAX), lib.entries[i].fm.title.to_lowercase()));
                nav = items.iter().map(|&i| summaries[i].clone()).collect();
            }
            navs.insert(l.code.clone(), Value::Array(nav));
        }
        let side_navs = (0..lib.entries.len())
            .map(|i| {
                let e = &lib.entries[i];
                if !e.is_section() {
                    return Value::Null;
                }
                let short = e.pages.len() <= SIDE_NAV_LIMIT;
                let pages: Vec<Value> = if short { e.pages.iter().map(|&p| summaries[p].clone()).collect() } else { vec![] };
                let subsections: Vec<Value> = e.subsections.iter().map(|&p| summaries[p].clone()).collect();
                json!({
                    "title": e.fm.title,
                    "url": config.link(&e.path),
                    "path": e.path,
                    "pages": pages,
                    "subsections": subsections,
                    "page_count": e.pages.len(),
                    "is_home": lib.homes.get(&e.lang) == Some(&i),
                })
            })
            .collect();
        Shared { configs, facts, navs, summaries, side_navs }
    }

    pub fn config(&self, lang: &str) -> Value {
        self.configs.get(lang).cloned().unwrap_or(Value::Null)
    }

    pub fn nav(&self, lang: &str) -> Value {
        self.navs.get(lang).cloned().unwrap_or(Value::Array(vec![]))
    }
}

/// What a shortcode sees as `page` (rendered before the content exists).
pub fn page_stub(lib: &Library, config: &Config, i: usize) -> Value {
    let e = &lib.entries[i];
    json!({
        "title": e.fm.title,
        "description": e.fm.description,
        "url": config.link(&e.path),
        "permalink": config.permalink(&e.path),
        "path": e.path,
        "file": e.key,
        "date": e.fm.date.as_ref().map(|d| d.value.clone()),
        "extra": e.fm.extra,
        "lang": lang(e),
        "is_section": e.is_section(),
    })
}

/// The whole context of one page or section.
///
/// `crate::incremental::dependencies` lists what this reads from other
/// entries: keep the two in step.
pub fn context(lib: &Library, config: &Config, shared: &Shared, i: usize, rendered: &Rendered) -> tera::Context {
    let e = &lib.entries[i];
    let mut this = Map::new();
    this.insert("title".into(), json!(e.fm.title));
    this.insert("description".into(), json!(e.fm.description));
    this.insert("url".into(), json!(config.link(&e.path)));
    this.insert("permalink".into(), json!(config.permalink(&e.path)));
    this.insert("path".into(), json!(e.path));
    this.insert("file".into(), json!(e.key));
    this.insert("date".into(), json!(e.fm.date.as_ref().map(|d| d.value.clone())));
    this.insert("day".into(), json!(e.fm.date.as_ref().map(|d| d.day.clone())));
    this.insert("weight".into(), json!(e.fm.weight));
    this.insert("extra".into(), e.fm.extra.clone());
    this.insert("lang".into(), json!(lang(e)));
    this.insert("versions".into(), versions(lib, config, i));
    this.insert("toc".into(), serde_json::to_value(&rendered.toc).unwrap_or_default());
    this.insert("word_count".into(), json!(rendered.text.split_whitespace().count()));
    this.insert("content".into(), Value::String(rendered.html.clone()));
    this.insert("ancestors".into(), Value::Array(e.ancestors.iter().map(|&a| shared.summaries[a].clone()).collect()));
    let pick = |o: Option<usize>| o.map(|k| shared.summaries[k].clone()).unwrap_or(Value::Null);
    this.insert("prev".into(), pick(e.prev));
    this.insert("next".into(), pick(e.next));
    this.insert("is_home".into(), json!(lib.homes.get(&e.lang) == Some(&i)));

    let mut ctx = Map::new();
    ctx.insert("config".into(), shared.config(&e.lang));
    ctx.insert("facts".into(), shared.facts.get(&e.lang).cloned().unwrap_or(Value::Null));
    ctx.insert("nav".into(), shared.nav(&e.lang));
    ctx.insert("current_path".into(), json!(e.path));
    ctx.insert("lang".into(), json!(lang(e)));
    ctx.insert("versions".into(), versions(lib, config, i));
    if e.is_section() {
        this.insert("pages".into(), Value::Array(e.pages.iter().map(|&p| shared.summaries[p].clone()).collect()));
        this.insert("subsections".into(), Value::Array(e.subsections.iter().map(|&p| shared.summaries[p].clone()).collect()));
        this.insert("has_dates".into(), json!(e.pages.iter().any(|&p| lib.entries[p].fm.date.is_some())));
        ctx.insert("section".into(), Value::Object(this));
    } else {
        ctx.insert("page".into(), Value::Object(this));
        if let Some(p) = e.parent {
            ctx.insert("section".into(), shared.side_navs[p].clone());
        }
    }
    tera::Context::from_value(Value::Object(ctx)).unwrap_or_default()
}

/// The context of a page that has no content file (404, search), in `lang`.
/// `versions` are the same page in every language (`paths`: one per language).
pub fn special_context(shared: &Shared, config: &Config, lang: &str, path: &str, paths: &[(String, String)]) -> tera::Context {
    let versions: Vec<Value> = paths
        .iter()
        .map(|(code, p)| {
            json!({ "lang": code, "name": config.lang_or_default(code).name, "url": config.link(p), "permalink": config.permalink(p), "current": code == lang })
        })
        .collect();
    let ctx = json!({
        "config": shared.config(lang),
        "facts": shared.facts.get(lang),
        "nav": shared.nav(lang),
        "current_path": path,
        "lang": lang,
        "versions": versions,
        "page": { "url": config.link(path), "permalink": config.permalink(path), "path": path, "toc": [], "ancestors": [], "extra": {}, "lang": lang, "versions": versions },
    });
    tera::Context::from_value(ctx).unwrap_or_default()
}

/// `/groups/forming/` → `groups/forming/index.html`.
pub fn output_file(path: &str) -> String {
    let p = path.trim_start_matches('/');
    if p.is_empty() || p.ends_with('/') {
        format!("{p}index.html")
    } else {
        p.to_string()
    }
}
