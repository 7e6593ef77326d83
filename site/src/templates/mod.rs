//! The tera templates of a build: the site's own (its templates folder,
//! `site/templates/` by default) over the built-in ones (`sitemap.xml`,
//! `atom.xml`, `robots.txt`, `alias.html`), the functions they can call
//! (`functions`), the `thousands` filter, the global `facts`, and errors that name a template's line
//! (`locate`).
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

use qi_facts::i18n::Strings;

use serde_json::Value;
use tera::{Context, Tera};

use crate::config::Config;
use crate::error::{error_chain, Problem};

mod functions;
mod locate;
mod shortcodes;

pub use functions::{register_asset, register_filters, register_load_data};
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
    /// The templates with the functions every language shares.
    pub tera: Tera,
    /// A copy per language, whose `t`, `get_url` and `long_date` speak it
    /// (tera functions see their arguments, not the page): see `localize`.
    by_lang: HashMap<String, Tera>,
    /// The value of the global `facts` every template context holds, per
    /// language (names in that language).
    pub facts: HashMap<String, Value>,
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
    let facts = config.languages.iter().map(|l| (l.code.clone(), qi_facts::Facts::json_in(&l.code))).collect();
    Ok(Theme { tera, by_lang: HashMap::new(), facts, sources })
}

/// The translation files of the site's languages (`site/i18n/<code>.toml`).
pub struct Translations {
    pub dir_shown: String,
    pub strings: Vec<(String, Strings)>,
}

/// Read `<i18n_dir>/<code>.toml` for every language.
pub fn load_translations(config: &Config, problems: &mut Vec<Problem>) -> Translations {
    let dir_shown = shown_path(config, &config.i18n_dir);
    let mut strings = Vec::new();
    for l in &config.languages {
        let path = config.i18n_dir.join(format!("{}.toml", l.code));
        let shown = format!("{dir_shown}/{}.toml", l.code);
        match std::fs::read_to_string(&path) {
            Ok(text) => match Strings::parse(&text) {
                Ok(s) => strings.push((l.code.clone(), s)),
                Err((line, m)) => {
                    problems.push(Problem::at(shown, line, 1, m));
                    strings.push((l.code.clone(), Strings::default()));
                }
            },
            Err(_) => strings.push((l.code.clone(), Strings::default())),
        }
    }
    Translations { dir_shown, strings }
}

impl Translations {
    fn file(&self, lang: &str) -> String {
        format!("{}/{lang}.toml", self.dir_shown)
    }

    /// Every key a language has and another lacks, at its line.
    pub fn check(&self) -> Vec<Problem> {
        let mut out = Vec::new();
        for (lang, s) in &self.strings {
            for key in s.keys() {
                for (other, o) in &self.strings {
                    if o.get(key).is_none() {
                        out.push(Problem::at(
                            self.file(lang),
                            s.line_of(key),
                            1,
                            format!("`{key}` has no translation in {}", self.file(other)),
                        ));
                    }
                }
            }
        }
        out
    }
}

/// `t(key="nav.home", n=2)`: the string in one language, placeholders filled.
fn translator(strings: Strings, file: String) -> impl tera::Function {
    move |args: &HashMap<String, Value>| -> tera::Result<Value> {
        strings.translate(args).map(Value::String).map_err(|m| format!("{m} (in {file})").into())
    }
}

/// `t_all(prefix="js")`: the browser scripts' strings.
fn all_under(strings: Strings) -> impl tera::Function {
    move |args: &HashMap<String, Value>| -> tera::Result<Value> {
        let prefix = args.get("prefix").and_then(Value::as_str).ok_or("t_all needs a `prefix` argument, such as t_all(prefix=\"js\")")?;
        Ok(Value::Object(strings.under(prefix)))
    }
}

impl Theme {
    pub fn has(&self, template: &str) -> bool {
        self.tera.templates.contains_key(template)
    }

    /// One copy of the templates per language, with `t` reading that
    /// language's strings, `get_url` preferring that language's version of
    /// a page, and `long_date` writing its dates; and every `t(key=…)` the
    /// templates call checked against every language's file.
    pub fn localize(&mut self, config: &Config, tr: &Translations, urls: Arc<HashMap<String, String>>, problems: &mut Vec<Problem>) {
        let mut names: Vec<&String> = self.sources.keys().collect();
        names.sort();
        for name in names {
            let src = &self.sources[name];
            for (key, line, col) in qi_facts::i18n::keys_used(&src.text) {
                for (lang, strings) in &tr.strings {
                    if strings.get(&key).is_none() {
                        problems.push(Problem::at(
                            src.file.clone(),
                            line,
                            col,
                            format!("translation key `{key}` is missing from {}", tr.file(lang)),
                        ));
                    }
                }
            }
        }
        problems.extend(tr.check());
        for (lang, strings) in &tr.strings {
            let mut tera = self.tera.clone();
            tera.register_function("t", translator(strings.clone(), tr.file(lang)));
            tera.register_function("t_all", all_under(strings.clone()));
            let suffix = if *lang == config.language { String::new() } else { format!(".{lang}") };
            functions::register_get_url(&mut tera, config, urls.clone(), suffix);
            let code = lang.clone();
            tera.register_filter("thousands", move |v: &Value, _: &HashMap<String, Value>| {
                let n = v.as_i64().ok_or_else(|| tera::Error::msg(format!("thousands: {v} is not a whole number")))?;
                Ok(Value::String(qi_facts::thousands_in(n, &code)))
            });
            let code = lang.clone();
            tera.register_filter("long_date", move |v: &Value, _: &HashMap<String, Value>| {
                let s = v.as_str().ok_or_else(|| tera::Error::msg(format!("long_date: {v} is not a date")))?;
                qi_facts::dates::long_date_of_iso(s, &code)
                    .map(Value::String)
                    .ok_or_else(|| tera::Error::msg(format!("long_date: `{s}` is not a date like 2026-12-01")))
            });
            self.by_lang.insert(lang.clone(), tera);
        }
    }

    /// The global `facts` in `lang`.
    pub fn facts_for(&self, lang: &str) -> Value {
        self.facts.get(lang).cloned().unwrap_or(Value::Null)
    }

    /// The templates that speak `lang` (the shared ones before `localize`).
    pub fn tera_for(&self, lang: Option<&str>) -> &Tera {
        lang.and_then(|l| self.by_lang.get(l)).unwrap_or(&self.tera)
    }

    /// Render `template` in the language of the context's `lang`; a failure
    /// is a problem at the template's line where that can be found (else at
    /// the template file).
    pub fn render(&self, template: &str, ctx: &Context) -> Result<String, Problem> {
        let lang = ctx.get("lang").and_then(Value::as_str);
        self.tera_for(lang).render(template, ctx).map_err(|e| self.problem(template, &e))
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
