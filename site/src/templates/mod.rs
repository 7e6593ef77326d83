//! The tera templates of a build: the site's own (its templates folder,
//! `site/templates/` by default) over the built-in ones (`sitemap.xml`,
//! `atom.xml`, `robots.txt`, `alias.html`), the functions they can call
//! (`functions`), the `thousands` filter, the global `facts`, and errors that name a template's line
//! (`locate`).
use std::collections::HashMap;
use std::path::Path;

use serde_json::Value;
use tera::{Context, Tera};

use crate::config::Config;
use crate::error::{error_chain, Problem};

mod functions;
mod locate;
mod shortcodes;

pub use functions::{register_asset, register_filters, register_get_url, register_load_data};
pub use shortcodes::TeraShortcodes;

/// Templates every site has unless its templates folder holds a file of the
/// same name (as in Zola): the listings and the redirect page of an alias.
pub const BUILTIN: &[(&str, &str)] = &[
    ("sitemap.xml", include_str!("../builtin/sitemap.xml")),
    ("atom.xml", include_str!("../builtin/atom.xml")),
    ("robots.txt", include_str!("../builtin/robots.txt")),
    ("alias.html", include_str!("../builtin/alias.html")),
];

/// How built-in templates are named in messages.
const BUILTIN_DIR: &str = "<built-in>";

/// A template's text and the file it came from (as shown in messages).
struct Source {
    file: String,
    text: String,
}

/// The loaded templates, with their sources kept to point errors at a line
/// (tera's render errors name a template but no position).
pub struct Theme {
    pub tera: Tera,
    /// The value of the global `facts` every template context holds.
    pub facts: Value,
    sources: HashMap<String, Source>,
}

/// Load the built-in templates and every template under the templates folder.
pub fn load(config: &Config) -> Result<Theme, Problem> {
    let dir = &config.templates_dir;
    let shown = shown_path(config, dir);
    if !dir.is_dir() {
        return Err(Problem::in_file(shown, "the templates folder does not exist"));
    }
    let mut sources: HashMap<String, Source> = BUILTIN
        .iter()
        .map(|(name, text)| (name.to_string(), Source { file: format!("{BUILTIN_DIR}/{name}"), text: text.to_string() }))
        .collect();
    for item in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let item = item.map_err(|e| Problem::in_file(shown.clone(), format!("cannot read: {e}")))?;
        if !item.file_type().is_file() || item.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let rel = item.path().strip_prefix(dir).unwrap_or(item.path());
        let name = rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
        let file = format!("{shown}/{name}");
        let text = std::fs::read_to_string(item.path()).map_err(|e| Problem::in_file(file.clone(), format!("cannot read: {e}")))?;
        sources.insert(name, Source { file, text });
    }
    let mut tera = Tera::default();
    tera.autoescape_on(vec![".html", ".xml"]);
    // tera's default also escapes `/`, which makes every URL unreadable. No
    // template may rely on it for `'`: attributes are double-quoted.
    tera.set_escape_fn(qi_facts::escape_html);
    // Parse one by one first: a syntax error then names its file and line.
    let mut names: Vec<&String> = sources.keys().collect();
    names.sort();
    for name in names {
        if let Err(e) = tera::Template::new(name, None, &sources[name].text) {
            return Err(locate::parse_problem(&sources[name].file, &e));
        }
    }
    register_filters(&mut tera);
    tera.add_raw_templates(sources.iter().map(|(n, s)| (n.as_str(), s.text.as_str())))
        .map_err(|e| Problem::in_file(shown, error_chain(&e)))?;
    let facts = serde_json::to_value(qi_facts::Facts::get()).unwrap_or(Value::Null);
    Ok(Theme { tera, facts, sources })
}

impl Theme {
    pub fn has(&self, template: &str) -> bool {
        self.tera.templates.contains_key(template)
    }

    /// Render `template`; a failure is a problem at the template's line
    /// where that can be found (else at the template file).
    pub fn render(&self, template: &str, ctx: &Context) -> Result<String, Problem> {
        self.tera.render(template, ctx).map_err(|e| self.problem(template, &e))
    }

    /// The problem a render error of `template` is, placed in a template file.
    pub fn problem(&self, template: &str, err: &tera::Error) -> Problem {
        let file_of = |name: &str| self.sources.get(name).map(|s| s.file.clone()).unwrap_or_else(|| name.to_string());
        let text_of = |name: &str| self.sources.get(name).map(|s| s.text.as_str());
        let found = locate::render_error(&self.tera, template, err, &text_of);
        match found.at {
            Some((name, line, col)) => Problem::at(file_of(&name), line, col, found.cause),
            None => Problem::in_file(file_of(&found.template), found.cause),
        }
    }
}

pub fn shown_path(config: &Config, path: &Path) -> String {
    let Ok(rel) = path.strip_prefix(&config.root) else {
        return path.display().to_string();
    };
    rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}
