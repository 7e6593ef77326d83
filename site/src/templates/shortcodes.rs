//! Shortcodes rendered by `shortcodes/<name>.html`, and the built-in `form`
//! that renders `forms/<name>.html`.
use serde_json::{Map, Value};
use tera::{Context, ErrorKind};

use super::Theme;
use crate::error::error_chain;
use crate::shortcode::{Call, ShortcodeError, Shortcodes};

pub struct TeraShortcodes<'a> {
    pub theme: &'a Theme,
    pub templates_dir: String,
    pub config: &'a Value,
}

impl Shortcodes for TeraShortcodes<'_> {
    fn check(&self, name: &str) -> Result<(), String> {
        if name == "form" || self.theme.has(&format!("shortcodes/{name}.html")) {
            Ok(())
        } else {
            Err(format!("unknown shortcode `{name}`: there is no template {}/shortcodes/{name}.html", self.templates_dir))
        }
    }

    fn render(&self, call: &Call, body: Option<&str>, page: &Value) -> Result<String, ShortcodeError> {
        let mut map = Map::new();
        for (k, v) in &call.args {
            map.insert(k.clone(), v.clone());
        }
        map.insert("page".into(), page.clone());
        map.insert("config".into(), self.config.clone());
        let lang = page.get("lang").and_then(Value::as_str).unwrap_or("en").to_string();
        map.insert("facts".into(), self.theme.facts_for(&lang));
        // Forms post the page's language (`<input name="lang">`).
        map.insert("lang".into(), Value::String(lang));
        if let Some(b) = body {
            map.insert("body".into(), Value::String(b.to_string()));
        }
        let template = if call.name == "form" {
            let name = match call.args.get("name") {
                Some(Value::String(n)) if !n.is_empty() && !n.contains('/') && !n.contains('.') => n,
                _ => return Err(ShortcodeError::Call("needs a `name` argument naming a form, such as form(name=\"sign-up\")".into())),
            };
            let t = format!("forms/{name}.html");
            if !self.theme.has(&t) {
                return Err(ShortcodeError::Call(format!("there is no form `{name}`: no template {}/{t}", self.templates_dir)));
            }
            t
        } else {
            format!("shortcodes/{}.html", call.name)
        };
        let ctx = Context::from_value(Value::Object(map)).map_err(|e| ShortcodeError::Call(error_chain(&e)))?;
        match self.theme.tera_for(page.get("lang").and_then(Value::as_str)).render(&template, &ctx) {
            Ok(html) => Ok(html.trim().to_string()),
            // A shortcode refuses its arguments with `throw`: the call is wrong.
            Err(e) if thrown(&e) => Err(ShortcodeError::Call(error_chain(&e))),
            Err(e) => Err(ShortcodeError::Template(self.theme.problem(&template, &e))),
        }
    }
}

/// Whether the error comes from the template calling `throw(message=...)`.
fn thrown(err: &tera::Error) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(t) = e.downcast_ref::<tera::Error>() {
            if matches!(&t.kind, ErrorKind::CallFunction(name) if name == "throw") {
                return true;
            }
        }
        cur = e.source();
    }
    false
}
