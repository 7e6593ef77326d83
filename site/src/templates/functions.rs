//! The functions templates call: `asset(path=...)`, `get_url(path=...)` and
//! `load_data(path=...)`.
use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::Value;
use tera::Tera;

use super::shown_path;
use crate::config::Config;

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

/// `get_url(path="@/groups/forming.md#goals")` or `get_url(path="/search/")`:
/// a content file's URL in the page's language (`suffix` `.fr`: the French
/// version `groups/forming.fr.md` when there is one).
pub fn register_get_url(tera: &mut Tera, config: &Config, by_key: Arc<HashMap<String, String>>, suffix: String) {
    let base = config.base_path.clone();
    tera.register_function("get_url", move |args: &HashMap<String, Value>| {
        let path = str_arg(args, "get_url")?;
        if let Some(rest) = path.strip_prefix("@/") {
            let (key, anchor) = match rest.split_once('#') {
                Some((k, a)) => (k, format!("#{a}")),
                None => (rest, String::new()),
            };
            let local = key.strip_suffix(".md").map(|stem| format!("{stem}{suffix}.md"));
            return match local.as_deref().and_then(|k| by_key.get(k)).or_else(|| by_key.get(key)) {
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

/// A render that panicked cannot leave a half-written cache entry: the
/// cache is still good after one.
fn lock(m: &Mutex<HashMap<String, Value>>) -> MutexGuard<'_, HashMap<String, Value>> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// `load_data(path="functions/data/credits.toml")`: a TOML or JSON file
/// relative to the site root, parsed once per build.
pub fn register_load_data(tera: &mut Tera, root: PathBuf) {
    let cache: Arc<Mutex<HashMap<String, Value>>> = Arc::default();
    tera.register_function("load_data", move |args: &HashMap<String, Value>| {
        let path = str_arg(args, "load_data")?;
        if let Some(v) = lock(&cache).get(path) {
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
        lock(&cache).insert(path.to_string(), value.clone());
        Ok(value)
    });
}

/// `{{ 4000 | thousands }}` → `4,000`: a number from `facts` written the way
/// the guidance's prose writes numbers.
pub fn register_filters(tera: &mut Tera) {
    tera.register_filter("thousands", |value: &Value, _: &HashMap<String, Value>| {
        let n = value.as_i64().ok_or_else(|| tera::Error::msg(format!("thousands: {value} is not a whole number")))?;
        Ok(Value::String(qi_facts::thousands(n)))
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_groups_digits() {
        let mut tera = Tera::default();
        register_filters(&mut tera);
        let mut ctx = tera::Context::new();
        for (n, want) in [(4000, "4,000"), (120, "120"), (1234567, "1,234,567"), (-2000, "-2,000"), (0, "0")] {
            ctx.insert("n", &n);
            assert_eq!(tera.render_str("{{ n | thousands }}", &ctx).unwrap(), want);
        }
    }
}
