//! The server's HTML, rendered by Tera from templates embedded at build time:
//! the site's own layout (`site/templates/base.html` with its header,
//! navigation and footer partials, and the shared PIP form fields) and the
//! functions' pages in `functions/templates/`. Autoescaping is on for every
//! template, so no value reaches a page unescaped.
//!
//! Tera 1.20, as the site generator uses, without its default `builtins`
//! (date, slug, urlencode filters; the time-zone database alone is ~0.5 MB),
//! which these templates do not use: the Lambda zips stay small.
use std::collections::HashMap;
use std::sync::LazyLock;

use serde::Deserialize;
use serde_json::{json, Value};
use tera::{Context, Tera};

/// Content-Security-Policy of the HTML answers: nothing loaded but the
/// site's own stylesheets and scripts (no inline style or script; the
/// `qi-facts` data block is JSON, which a browser never runs), and no
/// form posts anywhere but here.
pub const CSP: &str = "default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

/// (name, text) of every template the functions render or extend. Names are
/// the site's own, so `{% extends "base.html" %}` means the site's layout.
const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("../../../site/templates/base.html")),
    ("macros.html", include_str!("../../../site/templates/macros.html")),
    ("partials/header.html", include_str!("../../../site/templates/partials/header.html")),
    ("partials/footer.html", include_str!("../../../site/templates/partials/footer.html")),
    ("partials/pip-plan.html", include_str!("../../../site/templates/partials/pip-plan.html")),
    ("partials/date-parts.html", include_str!("../../../site/templates/partials/date-parts.html")),
    ("forms/sign-up.html", include_str!("../../../site/templates/forms/sign-up.html")),
    ("forms/new-link.html", include_str!("../../../site/templates/forms/new-link.html")),
    ("forms/ask.html", include_str!("../../../site/templates/forms/ask.html")),
    ("member/nav.html", include_str!("../../templates/member/nav.html")),
    ("member/tasks.html", include_str!("../../templates/member/tasks.html")),
    ("member/signed-out.html", include_str!("../../templates/member/signed-out.html")),
    ("member/refused.html", include_str!("../../templates/member/refused.html")),
    ("server.html", include_str!("../../templates/server.html")),
    ("error.html", include_str!("../../templates/error.html")),
    ("member/macros.html", include_str!("../../templates/member/macros.html")),
    ("member/plan.html", include_str!("../../templates/member/plan.html")),
    ("member/status.html", include_str!("../../templates/member/status.html")),
    ("member/goal-summary.html", include_str!("../../templates/member/goal-summary.html")),
    ("member/measure-list.html", include_str!("../../templates/member/measure-list.html")),
    ("member/measures.html", include_str!("../../templates/member/measures.html")),
    ("member/goal.html", include_str!("../../templates/member/goal.html")),
    ("member/reminders-opt-out.html", include_str!("../../templates/member/reminders-opt-out.html")),
    ("member/reminders-off.html", include_str!("../../templates/member/reminders-off.html")),
    ("member/pip.html", include_str!("../../templates/member/pip.html")),
    ("member/activities.html", include_str!("../../templates/member/activities.html")),
    ("member/group.html", include_str!("../../templates/member/group.html")),
    ("member/sign-in.html", include_str!("../../templates/member/sign-in.html")),
];

/// The site's settings: its name, description and languages, as the pages show them.
const SITE_TOML: &str = include_str!("../../../site.toml");
/// The site's navigation and feed, which the generator computes from content/.
const NAV_TOML: &str = include_str!("../../templates/nav.toml");
/// The strings of the site's templates and of the functions' own, per
/// language (the functions' over the site's).
const STRINGS: &[(&str, &str, &str)] = &[
    ("en", include_str!("../../../site/i18n/en.toml"), include_str!("../../i18n/en.toml")),
    ("fr", include_str!("../../../site/i18n/fr.toml"), include_str!("../../i18n/fr.toml")),
];

#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// The embedded templates or settings did not load (a build that no test ran).
    #[error("the page templates did not load: {0}")]
    Load(String),
    #[error("template {template}: {message}")]
    Render { template: &'static str, message: String },
}

#[derive(Deserialize)]
struct SiteSettings {
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    languages: HashMap<String, LanguageSettings>,
}

#[derive(Deserialize)]
struct LanguageSettings {
    name: String,
    title: Option<String>,
    description: Option<String>,
}

#[derive(Deserialize)]
struct Nav {
    feed_url: Option<String>,
    feed_url_fr: Option<String>,
    nav: Vec<NavItem>,
    nav_fr: Vec<NavItem>,
    urls_fr: HashMap<String, String>,
}

#[derive(Deserialize)]
struct NavItem {
    path: String,
    /// Where the link goes, when not to `path` (My group: the server's page).
    url: Option<String>,
    title: String,
}

struct Renderer {
    /// The French address of each English page the server links to.
    french_paths: HashMap<String, String>,
    /// Per language (`en`, `fr`): the templates, whose `t`, `get_url` and
    /// `long_date` speak it, and what every page's context holds (`config`,
    /// `nav`, `facts`, `lang`) in the shape the site's templates read them.
    by_lang: HashMap<&'static str, (Tera, Context)>,
}

/// Parsed once per process (a Lambda sandbox renders many pages).
static RENDERER: LazyLock<Result<Renderer, String>> = LazyLock::new(|| Renderer::load().map_err(|e| error_chain(e.as_ref())));

impl Renderer {
    fn load() -> Result<Renderer, Box<dyn std::error::Error>> {
        let mut base = Tera::default();
        base.autoescape_on(vec![".html"]);
        // The one escaping function of both crates (tera's own also escapes `/`).
        base.set_escape_fn(qi_facts::escape_html);
        base.add_raw_templates(TEMPLATES.iter().copied())?;
        base.register_function("asset", stable_asset);

        let site: SiteSettings = toml::from_str(SITE_TOML)?;
        let nav: Nav = toml::from_str(NAV_TOML)?;
        let urls_fr = std::sync::Arc::new(nav.urls_fr.clone());
        let french_paths =
            nav.urls_fr.iter().filter_map(|(key, fr)| english_url(key).map(|en| (en, fr.clone()))).collect::<HashMap<String, String>>();
        let languages: Vec<Value> = ["en", "fr"]
            .iter()
            .map(|code| json!({ "code": code, "name": site.languages.get(*code).map(|l| l.name.as_str()).unwrap_or(code) }))
            .collect();
        let mut by_lang = HashMap::new();
        for (code, site_strings, own) in STRINGS {
            let mut strings = qi_facts::i18n::Strings::parse(site_strings).map_err(|(l, m)| format!("site/i18n/{code}.toml:{l}: {m}"))?;
            strings.extend(qi_facts::i18n::Strings::parse(own).map_err(|(l, m)| format!("functions/i18n/{code}.toml:{l}: {m}"))?);
            let mut tera = base.clone();
            tera.register_function("t", translate(strings.clone()));
            tera.register_function("t_all", strings_under(strings));
            let lang = *code;
            let french = lang == "fr";
            let urls = urls_fr.clone();
            tera.register_function("get_url", move |args: &HashMap<String, Value>| content_url(args, french.then_some(&*urls)));
            tera.register_filter("thousands", move |v: &Value, _: &HashMap<String, Value>| {
                v.as_i64()
                    .map(|n| Value::String(qi_facts::thousands_in(n, lang)))
                    .ok_or_else(|| format!("thousands: {v} is not a whole number").into())
            });
            tera.register_filter("long_date", move |v: &Value, _: &HashMap<String, Value>| {
                v.as_str()
                    .and_then(|s| qi_facts::dates::long_date_of_iso(s, lang))
                    .map(Value::String)
                    .ok_or_else(|| format!("long_date: {v} is not a date").into())
            });
            let own_settings = site.languages.get(lang);
            let prefix = if french { "/fr" } else { "" };
            let mut globals = Context::new();
            // Site links are root-relative: the API answers under /api/ on the
            // site's own origin (one CloudFront distribution).
            globals.insert(
                "config",
                &json!({
                    "title": own_settings.and_then(|l| l.title.clone()).unwrap_or_else(|| site.title.clone()),
                    "description": own_settings.and_then(|l| l.description.clone()).unwrap_or_else(|| site.description.clone()),
                    "language": lang,
                    "default_language": "en",
                    "languages": languages,
                    "base_path": "",
                    "home_url": format!("{prefix}/"),
                    "search_url": format!("{prefix}/search/"),
                    "search_index_url": format!("{prefix}/search/index.json"),
                    "feed_url": if french { nav.feed_url_fr.clone() } else { nav.feed_url.clone() },
                }),
            );
            let items: Vec<Value> = (if french { &nav.nav_fr } else { &nav.nav })
                .iter()
                .map(|i| json!({ "path": i.path, "url": i.url.as_ref().unwrap_or(&i.path), "title": i.title }))
                .collect();
            globals.insert("nav", &items);
            globals.insert("facts", &qi_facts::Facts::json_in(lang));
            globals.insert("lang", lang);
            by_lang.insert(lang, (tera, globals));
        }
        Ok(Renderer { french_paths, by_lang })
    }
}

/// `t(key="nav.home", n=2)`: the string in one language, placeholders filled.
fn translate(strings: qi_facts::i18n::Strings) -> impl tera::Function {
    move |args: &HashMap<String, Value>| -> tera::Result<Value> { strings.translate(args).map(Value::String).map_err(Into::into) }
}

/// `t_all(prefix="js")`: the browser scripts' strings.
fn strings_under(strings: qi_facts::i18n::Strings) -> impl tera::Function {
    move |args: &HashMap<String, Value>| -> tera::Result<Value> {
        let prefix = args.get("prefix").and_then(Value::as_str).ok_or("t_all needs a `prefix` argument")?;
        Ok(Value::Object(strings.under(prefix)))
    }
}

/// `asset(path="css/site.css")` → `/css/site.css`: the site writes every
/// stylesheet and script under its plain name too (beside the content-hashed
/// copy its own pages link), so these pages need not know the hash. Anything
/// else is refused, so a template cannot link a file that has only a hashed name.
fn stable_asset(args: &HashMap<String, Value>) -> tera::Result<Value> {
    match args.get("path").and_then(Value::as_str) {
        Some(p) if qi_facts::has_stable_name(p) && !p.contains("..") => Ok(Value::String(format!("/{p}"))),
        Some(p) => Err(format!("asset: `{p}` has no stable name (only css/*.css and js/*.js have one)").into()),
        None => Err("asset needs a `path` argument".into()),
    }
}

/// `get_url(path="@/groups/sign-up.md")` → `/groups/sign-up/`, for the
/// site's form templates these pages render too. In English, the
/// generator's rule for a page without its own `slug` (no English page has
/// one); in French, the address in nav.toml's `urls_fr`.
/// tests/server_pages.rs checks that every link on these pages exists in the
/// built site.
fn content_url(args: &HashMap<String, Value>, french: Option<&HashMap<String, String>>) -> tera::Result<Value> {
    let path = args.get("path").and_then(Value::as_str).ok_or("get_url needs a `path` argument")?;
    let Some(rest) = path.strip_prefix("@/") else {
        return if path.starts_with('/') {
            Ok(Value::String(path.to_string()))
        } else {
            Err(format!("get_url: `{path}` must start with `@/` or `/`").into())
        };
    };
    let (key, anchor) = rest.split_once('#').map(|(k, a)| (k, format!("#{a}"))).unwrap_or((rest, String::new()));
    if let Some(urls) = french {
        return match urls.get(key) {
            Some(p) => Ok(Value::String(format!("{p}{anchor}"))),
            None => Err(format!("get_url: `{key}` has no French address in functions/templates/nav.toml [urls_fr]").into()),
        };
    }
    let url = english_url(key).ok_or_else(|| format!("get_url: `{path}` is not a content file"))?;
    Ok(Value::String(format!("{url}{anchor}")))
}

/// The English address of a content file (`groups/sign-up.md` → `/groups/sign-up/`).
fn english_url(key: &str) -> Option<String> {
    let stem = key.strip_suffix(".md")?;
    let dir = stem.strip_suffix("_index").unwrap_or(stem).trim_end_matches('/');
    Some(if dir.is_empty() { "/".to_string() } else { format!("/{dir}/") })
}

/// The French address of the site page at `path` (English), if the server
/// knows it (nav.toml's `urls_fr`); a query string or anchor is kept.
pub fn french_path(path: &str) -> Option<String> {
    let r = RENDERER.as_ref().ok()?;
    let cut = path.find(['?', '#']).unwrap_or(path.len());
    r.french_paths.get(&path[..cut]).map(|fr| format!("{fr}{}", &path[cut..]))
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        out.push_str(": ");
        out.push_str(&s.to_string());
        source = s.source();
    }
    out
}

/// Render `template` with the globals, `current_path` (which navigation
/// item is marked current) and the page's own values (a JSON object), in the
/// language of its `lang` value (`en` or `fr`; English without one).
pub fn render(template: &'static str, current_path: &str, values: Value) -> Result<String, RenderError> {
    let r = RENDERER.as_ref().map_err(|m| RenderError::Load(m.clone()))?;
    let current = super::lang::current();
    let lang = values.get("lang").and_then(Value::as_str).unwrap_or(current.as_str());
    let (tera, globals) =
        r.by_lang.get(lang).or_else(|| r.by_lang.get("en")).ok_or_else(|| RenderError::Load("no English templates".into()))?;
    let mut ctx = globals.clone();
    ctx.insert("current_path", current_path);
    // The header's link to this page in the other language (a GET page
    // that is not a member page: those have their own, recorded switch).
    if values.get("member_nav").is_none() {
        let other = if lang == "fr" { crate::domain::Language::En } else { crate::domain::Language::Fr };
        if let Some(href) = super::lang::address_in(other) {
            let name = if other == crate::domain::Language::Fr { "Français" } else { "English" };
            ctx.insert("versions", &json!([{ "lang": other.as_str(), "name": name, "url": href, "current": false }]));
        }
    }
    if let Value::Object(map) = values {
        for (k, v) in map {
            if k != "lang" {
                ctx.insert(k, &v);
            }
        }
    }
    tera.render(template, &ctx).map_err(|e| RenderError::Render { template, message: error_chain(&e) })
}

/// The last resort when a page cannot be rendered: a plain document that
/// needs no template (tests render every template, so this is never seen
/// unless a build shipped untested).
pub fn fallback_page() -> String {
    "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>Something went wrong – QI Groups</title>\n</head>\n<body>\n<main>\n<h1>Something went wrong</h1>\n<p>Something went wrong on our side; nothing was saved. Please try again later.</p>\n<p><a href=\"/api/me\">Go to your group</a></p>\n</main>\n</body>\n</html>\n".to_string()
}

/// [`render`], or the logged [`fallback_page`].
pub fn render_or_fallback(template: &'static str, current_path: &str, values: Value) -> String {
    render(template, current_path, values).unwrap_or_else(|e| {
        // A unit test that renders a page fails here with tera's message.
        if cfg!(test) {
            panic!("{e}");
        }
        // Template names and tera's messages only: never the page's values.
        tracing::error!(error = %e, "page rendering failed");
        fallback_page()
    })
}

/// A saved text as the read-only views show it: one entry per line, none when empty.
pub fn lines(text: &str) -> Vec<&str> {
    if text.is_empty() {
        vec![]
    } else {
        text.split('\n').collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_loads_and_the_layout_is_the_sites() {
        let html = render("error.html", "", json!({ "title": "T", "message": "M", "back": "/", "fields": [] })).unwrap();
        assert!(html.starts_with("<!doctype html>\n<html lang=\"en\">"), "{html}");
        assert!(html.contains("<link rel=\"stylesheet\" href=\"/css/site.css\">"));
        assert!(html.contains("<link rel=\"stylesheet\" href=\"/css/forms.css\">"));
        assert!(html.contains("<header class=\"site-header\">") && html.contains("<footer class=\"site-footer\">"));
        assert!(html.contains("<a href=\"/api/me\">My group</a>"), "{html}");
        assert!(!html.contains("<style") && !html.contains("style=\""), "{html}");
        assert!(html.contains("<script src=\"/js/forms.js\" defer></script>"), "the site's script, by its stable name");
        assert!(html.contains("<title>T – QI Groups</title>"));
    }

    #[test]
    fn the_current_section_is_marked_in_the_navigation() {
        let html = render("error.html", "/me/", json!({ "title": "T", "message": "M", "back": "/", "fields": [] })).unwrap();
        assert!(html.contains("<a href=\"/api/me\" aria-current=\"page\">My group</a>"), "{html}");
    }

    #[test]
    fn stylesheets_the_pages_link_exist_in_the_site() {
        for css in ["css/site.css", "css/forms.css"] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../site/static").join(css);
            assert!(path.is_file(), "{}", path.display());
        }
        assert!(stable_asset(&HashMap::from([("path".to_string(), json!("js/forms.js"))])).is_ok());
        assert!(stable_asset(&HashMap::from([("path".to_string(), json!("img/logo.png"))])).is_err());
    }

    #[test]
    fn values_are_escaped() {
        let html = render("error.html", "", json!({ "title": "<i>", "message": "a \"b\" & c", "back": "/", "fields": [] })).unwrap();
        assert!(html.contains("<h1>&lt;i&gt;</h1>") && html.contains("a &quot;b&quot; &amp; c"));
    }
}
