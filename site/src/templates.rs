//! The tera templates of `site/templates/` and the functions they can call:
//! `asset(path=...)`, `get_url(path=...)` and `load_data(path=...)`.
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

use serde_json::{Map, Value};
use tera::{Context, Tera};

use crate::config::Config;
use crate::error::{error_chain, Problem};
use crate::markdown::Shortcodes;
use crate::shortcode::Call;

/// Load every template under the templates folder.
pub fn load(config: &Config) -> Result<Tera, Problem> {
    let dir = &config.templates_dir;
    let shown = shown_path(config, dir);
    if !dir.is_dir() {
        return Err(Problem::in_file(shown, "the templates folder does not exist"));
    }
    let mut files = Vec::new();
    for item in walkdir::WalkDir::new(dir).sort_by_file_name() {
        let item = item.map_err(|e| Problem::in_file(shown.clone(), format!("cannot read: {e}")))?;
        if !item.file_type().is_file() || item.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let rel = item.path().strip_prefix(dir).unwrap_or(item.path());
        let name = rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
        let text =
            std::fs::read_to_string(item.path()).map_err(|e| Problem::in_file(format!("{shown}/{name}"), format!("cannot read: {e}")))?;
        files.push((name, text));
    }
    let mut tera = Tera::default();
    tera.autoescape_on(vec![".html", ".xml"]);
    // tera's default also escapes `/`, which makes every URL unreadable.
    tera.set_escape_fn(crate::markdown::escape);
    // tera's messages name the failing template ("Failed to parse 'page.html'").
    tera.add_raw_templates(files).map_err(|e| Problem::in_file(shown, error_chain(&e)))?;
    Ok(tera)
}

pub fn shown_path(config: &Config, path: &Path) -> String {
    let Ok(rel) = path.strip_prefix(&config.root) else {
        return path.display().to_string();
    };
    rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

fn str_arg<'a>(args: &'a HashMap<String, Value>, fname: &str) -> tera::Result<&'a str> {
    match args.get("path") {
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(format!("{fname}: `path` must be a string").into()),
        None => Err(format!("{fname} needs a `path` argument, such as {fname}(path=\"...\")").into()),
    }
}

/// `asset(path="css/site.css")` → `/css/site.3f2a9c1b.css`.
pub fn register_asset(tera: &mut Tera, config: &Config, hashed: Arc<HashMap<String, String>>) {
    let base = config.base_path.clone();
    let static_dir = shown_path(config, &config.static_dir);
    tera.register_function("asset", move |args: &HashMap<String, Value>| {
        let path = str_arg(args, "asset")?.trim_start_matches('/');
        match hashed.get(path) {
            Some(h) => Ok(Value::String(format!("{base}/{h}"))),
            None => Err(format!("asset: there is no file {static_dir}/{path}").into()),
        }
    });
}

/// `get_url(path="@/groups/forming.md#goals")` or `get_url(path="/search/")`.
pub fn register_get_url(tera: &mut Tera, config: &Config, by_key: Arc<HashMap<String, String>>) {
    let base = config.base_path.clone();
    tera.register_function("get_url", move |args: &HashMap<String, Value>| {
        let path = str_arg(args, "get_url")?;
        if let Some(rest) = path.strip_prefix("@/") {
            let (key, anchor) = match rest.split_once('#') {
                Some((k, a)) => (k, format!("#{a}")),
                None => (rest, String::new()),
            };
            return match by_key.get(key) {
                Some(p) => Ok(Value::String(format!("{base}{p}{anchor}"))),
                None => Err(format!("get_url: `{path}` points to a missing page: there is no content/{key}").into()),
            };
        }
        if path.starts_with('/') {
            return Ok(Value::String(format!("{base}{path}")));
        }
        Err(format!("get_url: `{path}` must start with `@/` (a content file) or `/` (a site path)").into())
    });
}

/// `load_data(path="functions/data/credits.toml")`: a TOML or JSON file
/// relative to the site root, parsed once per build.
pub fn register_load_data(tera: &mut Tera, root: PathBuf) {
    let cache: Arc<Mutex<HashMap<String, Value>>> = Arc::default();
    tera.register_function("load_data", move |args: &HashMap<String, Value>| {
        let path = str_arg(args, "load_data")?;
        if let Some(v) = cache.lock().unwrap().get(path) {
            return Ok(v.clone());
        }
        let rel = Path::new(path);
        if rel.is_absolute() || rel.components().any(|c| matches!(c, Component::ParentDir)) {
            return Err(format!("load_data: `{path}` must be a path inside the site folder").into());
        }
        let text = std::fs::read_to_string(root.join(rel)).map_err(|e| format!("load_data: cannot read {path}: {e}"))?;
        let value: Value = match rel.extension().and_then(|e| e.to_str()) {
            Some("toml") => {
                let t: toml::Table = toml::from_str(&text).map_err(|e| format!("load_data: {path}: {}", e.to_string().trim_end()))?;
                serde_json::to_value(t).map_err(|e| format!("load_data: {path}: {e}"))?
            }
            Some("json") => serde_json::from_str(&text).map_err(|e| format!("load_data: {path}: {e}"))?,
            _ => return Err(format!("load_data: `{path}` must be a .toml or .json file").into()),
        };
        cache.lock().unwrap().insert(path.to_string(), value.clone());
        Ok(value)
    });
}

/// Shortcodes rendered by `shortcodes/<name>.html`, and the built-in `form`
/// that renders `forms/<name>.html`.
pub struct TeraShortcodes<'a> {
    pub tera: &'a Tera,
    pub templates_dir: String,
    pub config: &'a Value,
}

impl Shortcodes for TeraShortcodes<'_> {
    fn check(&self, name: &str) -> Result<(), String> {
        if name == "form" || self.has(&format!("shortcodes/{name}.html")) {
            Ok(())
        } else {
            Err(format!("unknown shortcode `{name}`: there is no template {}/shortcodes/{name}.html", self.templates_dir))
        }
    }

    fn render(&self, call: &Call, body: Option<&str>, page: &Value) -> Result<String, String> {
        let mut map = Map::new();
        for (k, v) in &call.args {
            map.insert(k.clone(), v.clone());
        }
        map.insert("page".into(), page.clone());
        map.insert("config".into(), self.config.clone());
        if let Some(b) = body {
            map.insert("body".into(), Value::String(b.to_string()));
        }
        let template = if call.name == "form" {
            let name = match call.args.get("name") {
                Some(Value::String(n)) if !n.is_empty() && !n.contains('/') && !n.contains('.') => n,
                _ => return Err("needs a `name` argument naming a form, such as form(name=\"sign-up\")".into()),
            };
            let t = format!("forms/{name}.html");
            if !self.has(&t) {
                return Err(format!("there is no form `{name}`: no template {}/{t}", self.templates_dir));
            }
            t
        } else {
            format!("shortcodes/{}.html", call.name)
        };
        let ctx = Context::from_value(Value::Object(map)).map_err(|e| error_chain(&e))?;
        let html = self.tera.render(&template, &ctx).map_err(|e| error_chain(&e))?;
        Ok(html.trim().to_string())
    }
}

impl TeraShortcodes<'_> {
    fn has(&self, name: &str) -> bool {
        self.tera.templates.contains_key(name)
    }
}
