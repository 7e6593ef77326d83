//! Phase 1 of a build: the configuration, static files, the content library
//! and the templates, loaded and checked before the first page is rendered;
//! and phase 2 for one entry, its Markdown.
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use crate::assets::Assets;
use crate::config::Config;
use crate::error::{fail, Problem, Problems};
use crate::library::{Kind, Library};
use crate::markdown::{Rendered, Renderer};
use crate::templates::{self, TeraShortcodes, Theme};
use crate::{outputs, render};

/// What to build, and how.
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

/// Paths the build makes besides content pages (the default language's;
/// each other language has its own under its prefix: `/fr/search/`).
pub const SEARCH_PATH: &str = "/search/";
pub const SEARCH_INDEX: &str = "/search/index.json";
pub const NOT_FOUND: &str = "/404.html";

/// The search page of the language with path prefix `prefix` (`""`, `/fr`).
pub fn search_path(prefix: &str) -> String {
    format!("{prefix}{SEARCH_PATH}")
}

pub fn search_index_path(prefix: &str) -> String {
    format!("{prefix}{SEARCH_INDEX}")
}

pub fn not_found_path(prefix: &str) -> String {
    format!("{prefix}{NOT_FOUND}")
}

/// Everything loaded and checked before the first page is rendered: what a
/// full build and an incremental rebuild (`crate::incremental`) share.
pub(crate) struct Prepared {
    pub config: Config,
    pub assets: Assets,
    pub lib: Library,
    pub theme: Theme,
    /// The template each entry renders with.
    pub template_of: Vec<String>,
    pub templates_shown: String,
    /// The default language's `config` global.
    pub config_value: serde_json::Value,
    /// The `config` global of each language (its title, home, search, feed).
    pub config_values: HashMap<String, serde_json::Value>,
    pub check: bool,
    /// What `qi check` reports without failing (pages without a translation
    /// when the site does not require them).
    pub warnings: Vec<Problem>,
}

impl Prepared {
    /// Whether a content page takes the search page's address in the
    /// language with path prefix `prefix`.
    pub fn search_page_is_content(&self, prefix: &str) -> bool {
        self.lib.by_path.contains_key(&search_path(prefix))
    }
}

/// Load and check everything. Problems that do not stop the build are added
/// to `problems`.
pub(crate) fn prepare(opts: &Options, problems: &mut Vec<Problem>) -> Result<Prepared, Problems> {
    let config = Config::load(&opts.root, opts.base_url.as_deref()).map_err(|p| fail(vec![p]))?;
    let assets = Assets::scan(&config.static_dir, problems);
    let langs: Vec<String> = config.languages.iter().map(|l| l.code.clone()).collect();
    let lib = Library::load(&config.root, &config.content_dir, &langs, opts.drafts, problems);
    let missing = missing_translations(&lib, &langs);
    let warnings = if config.require_translations {
        problems.extend(missing);
        vec![]
    } else {
        missing
    };

    let mut theme = match templates::load(&config) {
        Ok(t) => t,
        Err(p) => {
            problems.push(p);
            return Err(fail(std::mem::take(problems)));
        }
    };
    templates::register_asset(&mut theme.tera, &config, Arc::new(assets.hashed.clone()));
    let by_key: HashMap<String, String> = lib.entries.iter().map(|e| (e.key.clone(), e.path.clone())).collect();
    templates::register_load_data(&mut theme.tera, config.root.clone());
    let translations = templates::load_translations(&config, problems);
    theme.localize(&config, &translations, Arc::new(by_key), problems);
    let templates_shown = templates::shown_path(&config, &config.templates_dir);
    let search_paths: Vec<String> = config.languages.iter().map(|l| search_path(&l.prefix)).collect();
    let template_of = choose_templates(&lib, &theme, &templates_shown, &search_paths, problems);
    let config_values: HashMap<String, serde_json::Value> = config
        .languages
        .iter()
        .map(|l| {
            let feed = outputs::feed_path(&lib, &l.code);
            (l.code.clone(), render::config_value(&config, l, feed.as_deref()))
        })
        .collect();
    let config_value = config_values[&config.language].clone();
    Ok(Prepared { config, assets, lib, theme, template_of, templates_shown, config_value, config_values, check: opts.check, warnings })
}

/// Every page without its version in one of the site's languages, at the
/// page that has no translation (and every translation of a page that does
/// not exist in the default language).
fn missing_translations(lib: &Library, langs: &[String]) -> Vec<Problem> {
    let mut out = Vec::new();
    let Some(default) = langs.first() else { return out };
    for e in &lib.entries {
        if e.lang != *default {
            if !lib.by_key.contains_key(&e.base_key) {
                out.push(e.source.problem(0, format!("this translates content/{}, which does not exist", e.base_key)));
            }
            continue;
        }
        for l in langs.iter().skip(1) {
            let key = lib.localized_key(&e.key, l);
            if !lib.by_key.contains_key(&key) && !lib.drafts.contains(&key) {
                out.push(e.source.problem(0, format!("this page has no `{l}` version: create content/{key}")));
            }
        }
    }
    out
}

/// Which template each entry uses, and whether it exists.
fn choose_templates(
    lib: &Library,
    theme: &Theme,
    templates_shown: &str,
    search_paths: &[String],
    problems: &mut Vec<Problem>,
) -> Vec<String> {
    let mut template_of: Vec<String> = Vec::with_capacity(lib.entries.len());
    for (i, e) in lib.entries.iter().enumerate() {
        if let Some(pt) = &e.fm.page_template {
            if !theme.has(&pt.value) {
                problems.push(
                    e.source.problem(pt.offset, format!("unknown template `{}`: there is no {templates_shown}/{}", pt.value, pt.value)),
                );
            }
        }
        let name = match (&e.fm.template, e.kind) {
            (Some(t), _) => {
                if !theme.has(&t.value) {
                    problems.push(
                        e.source.problem(t.offset, format!("unknown template `{}`: there is no {templates_shown}/{}", t.value, t.value)),
                    );
                }
                t.value.clone()
            }
            (None, Kind::Section) if lib.homes.values().any(|&h| h == i) => "index.html".to_string(),
            (None, Kind::Section) => "section.html".to_string(),
            (None, Kind::Page) if search_paths.contains(&e.path) => "search.html".to_string(),
            (None, Kind::Page) => e
                .parent
                .and_then(|p| lib.entries[p].fm.page_template.as_ref())
                .map(|t| t.value.clone())
                .unwrap_or_else(|| "page.html".to_string()),
        };
        template_of.push(name);
    }
    for needed in ["index.html", "section.html", "page.html", "404.html", "search.html"] {
        if !theme.has(needed) {
            problems.push(Problem::in_file(format!("{templates_shown}/{needed}"), "this template is missing (every site needs it)"));
        }
    }
    template_of
}

/// Phase 2 for one entry: its Markdown (with shortcodes and `@/` links).
pub(crate) fn render_markdown(p: &Prepared, i: usize) -> Result<Rendered, Vec<Problem>> {
    let e = &p.lib.entries[i];
    let config_value = p.config_values.get(&e.lang).unwrap_or(&p.config_value);
    let shortcodes = TeraShortcodes { theme: &p.theme, templates_dir: p.templates_shown.clone(), config: config_value };
    let stub = render::page_stub(&p.lib, &p.config, i);
    Renderer { source: &e.source, entry: i, lib: &p.lib, config: &p.config, shortcodes: &shortcodes, page: &stub, check_external: p.check }
        .render(e.body_offset)
}
