//! Reading requests: body limit, JSON or form bodies into flat fields,
//! content negotiation, the caller's session token, where a request comes from.
use std::collections::BTreeMap;

use bytes::Bytes;
use http::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE, COOKIE};
use serde_json::Value;

use super::error::ApiError;
pub use super::error::BODY_LIMIT;
use crate::domain::{FieldError, SessionToken, Text};

/// The session cookie over https: `__Host-` makes the browser keep it to
/// this exact host, path `/`, `Secure` (nothing else can set or shadow it).
pub const SECURE_COOKIE_NAME: &str = "__Host-qi_session";
/// The session cookie on plain http (the local dev server).
pub const COOKIE_NAME: &str = "qi_session";

/// The request's fields, flattened to the form field names of the contract.
/// Nested JSON (`lead: {...}`, `peers: [...]`, `goals: [...]`) is mapped to
/// `lead_*`, `peer_N_*`, `goal_N_*`.
#[derive(Debug, Default, Clone)]
pub struct Fields {
    map: BTreeMap<String, String>,
    /// Whether the body was JSON.
    pub json: bool,
    /// Whether the body had any fields at all.
    pub present: bool,
}

impl Fields {
    pub fn get(&self, k: &str) -> &str {
        self.map.get(k).map(String::as_str).unwrap_or("")
    }
    pub fn has(&self, k: &str) -> bool {
        self.map.contains_key(k)
    }
    pub fn keys(&self) -> impl Iterator<Item = &String> {
        self.map.keys()
    }
    pub fn insert(&mut self, k: impl Into<String>, v: impl Into<String>) {
        self.map.insert(k.into(), v.into());
        self.present = true;
    }
}

/// How the caller wants answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wants {
    Json,
    /// A plain HTML form post (or a browser navigation): redirects and HTML errors.
    Html,
}

/// `default` applies when neither the content type nor `Accept` says.
pub fn wants(req: &http::Request<Bytes>, default: Wants) -> Wants {
    let ct = header(req, CONTENT_TYPE.as_str()).to_ascii_lowercase();
    let accept = header(req, ACCEPT.as_str()).to_ascii_lowercase();
    if ct.starts_with("application/json") || accept.contains("application/json") {
        Wants::Json
    } else if ct.starts_with("application/x-www-form-urlencoded") || accept.contains("text/html") {
        Wants::Html
    } else {
        default
    }
}

pub fn header<'a>(req: &'a http::Request<Bytes>, name: &str) -> &'a str {
    req.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or("")
}

/// Check the size, then parse the body by content type.
pub fn read_fields(req: &http::Request<Bytes>) -> Result<Fields, ApiError> {
    let body = req.body();
    if body.len() > BODY_LIMIT {
        return Err(ApiError::PayloadTooLarge);
    }
    let ct = header(req, CONTENT_TYPE.as_str()).to_ascii_lowercase();
    let mime = ct.split(';').next().unwrap_or("").trim().to_string();
    if body.iter().all(|b| b.is_ascii_whitespace()) {
        return Ok(Fields { json: mime == "application/json", ..Default::default() });
    }
    match mime.as_str() {
        "application/x-www-form-urlencoded" => {
            let mut f = Fields::default();
            for (k, v) in form_urlencoded::parse(body) {
                // With repeated keys the last wins (a browser sends one per name).
                f.insert(k.into_owned(), v.into_owned());
            }
            join_date_parts(&mut f);
            Ok(f)
        }
        "application/json" => {
            let v: Value = serde_json::from_slice(body).map_err(|e| {
                ApiError::validation(
                    Text::new("The request body is not valid JSON", "Le corps de la requête n’est pas du JSON valide"),
                    vec![FieldError::tr(
                        "body",
                        "invalid_format",
                        e.to_string(),
                        format!("JSON non valide à la ligne {}, colonne {}", e.line(), e.column()),
                    )],
                )
            })?;
            let Value::Object(obj) = v else {
                return Err(ApiError::validation(
                    Text::new("The request body must be a JSON object", "Le corps de la requête doit être un objet JSON"),
                    vec![],
                ));
            };
            let mut f = Fields { json: true, ..Default::default() };
            let mut errors = Vec::new();
            for (k, v) in obj {
                match (k.as_str(), v) {
                    ("lead", Value::Object(o)) => flatten_object(&mut f, &mut errors, "lead_", o),
                    ("peers", Value::Array(items)) => flatten_array(&mut f, &mut errors, "peer", items),
                    ("goals", Value::Array(items)) => flatten_array(&mut f, &mut errors, "goal", items),
                    (k, v) => put_scalar(&mut f, &mut errors, k.to_string(), v),
                }
            }
            f.present = true;
            if errors.is_empty() {
                Ok(f)
            } else {
                Err(ApiError::validation(Text::new("Some values have the wrong type", "Certaines valeurs ne sont pas du bon type"), errors))
            }
        }
        _ => Err(ApiError::UnsupportedMediaType),
    }
}

/// A date the forms ask as three fields (`NAME-day`, `NAME-month`,
/// `NAME-year`: the GOV.UK date pattern, the same on every browser, unlike
/// `<input type="date">`) becomes `NAME` as `YYYY-MM-DD`, which the decoders
/// read; all three empty, `NAME` is empty; anything that is not three
/// numbers becomes text no date parser accepts, so the field's own "enter a
/// real date" message applies. The parts stay, so a refused form shows them
/// again. By hand: it is three string reads and a `format!`.
fn join_date_parts(f: &mut Fields) {
    let names: Vec<String> = f.map.keys().filter_map(|k| k.strip_suffix("-day")).map(str::to_string).collect();
    for name in names {
        let part = |p: &str| f.get(&format!("{name}-{p}")).trim().to_string();
        let (d, m, y) = (part("day"), part("month"), part("year"));
        let joined = if d.is_empty() && m.is_empty() && y.is_empty() {
            String::new()
        } else {
            match (d.parse::<u32>(), m.parse::<u32>(), y.parse::<u32>()) {
                (Ok(d), Ok(m), Ok(y)) if (1000..=9999).contains(&y) => format!("{y:04}-{m:02}-{d:02}"),
                _ => format!("{y}-{m}-{d}?"),
            }
        };
        f.map.insert(name, joined);
    }
}

fn put_scalar(f: &mut Fields, errors: &mut Vec<FieldError>, key: String, v: Value) {
    let s = match v {
        Value::String(s) => s,
        Value::Null => String::new(),
        Value::Bool(b) => b.to_string(),
        Value::Number(n) => n.to_string(),
        Value::Array(_) | Value::Object(_) => {
            errors.push(FieldError::tr(
                key,
                "invalid_format",
                "Expected text, a number or true/false here",
                "Ce champ attend du texte, un nombre ou true/false",
            ));
            return;
        }
    };
    f.insert(key, s);
}

fn flatten_object(f: &mut Fields, errors: &mut Vec<FieldError>, prefix: &str, o: serde_json::Map<String, Value>) {
    for (k, v) in o {
        put_scalar(f, errors, format!("{prefix}{k}"), v);
    }
}

fn flatten_array(f: &mut Fields, errors: &mut Vec<FieldError>, noun: &str, items: Vec<Value>) {
    for (i, item) in items.into_iter().enumerate() {
        match item {
            Value::Object(o) => flatten_object(f, errors, &format!("{noun}_{}_", i + 1), o),
            _ => errors.push(FieldError::tr(
                format!("{noun}s"),
                "invalid_format",
                format!("Each entry of {noun}s must be an object"),
                format!("Chaque élément de {noun}s doit être un objet"),
            )),
        }
    }
}

/// A session token was given but is not well-formed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MalformedCode;

/// The caller's session token: `Authorization: Bearer`, then the session
/// cookie (`secure`: only the `__Host-` one, which no other host can set).
/// `Ok(None)` when none was given.
pub fn session_token(req: &http::Request<Bytes>, secure: bool) -> Result<Option<SessionToken>, MalformedCode> {
    let auth = header(req, AUTHORIZATION.as_str());
    let raw = if let Some(token) = auth.strip_prefix("Bearer ").or_else(|| auth.strip_prefix("bearer ")) {
        Some(token.trim().to_string())
    } else if secure {
        cookie(req, SECURE_COOKIE_NAME)
    } else {
        cookie(req, COOKIE_NAME)
    };
    match raw {
        None => Ok(None),
        Some(s) if s.is_empty() => Ok(None),
        Some(s) => SessionToken::parse(&s).map(Some).ok_or(MalformedCode),
    }
}

/// Whether a state-changing request comes from another site. A browser
/// that sends `Sec-Fetch-Site` says it plainly (`cross-site` or
/// `same-site` are refused; `same-origin` and `none` are ours). Without it,
/// the `Origin` decides: `null`, or another origin than `own_origin` (when
/// that is known), is refused. (Our pages send `Referrer-Policy:
/// no-referrer`, under which a browser's own same-origin form posts carry
/// `Origin: null`, so `Sec-Fetch-Site` must be read first.) A request with
/// neither header (curl, an API client, an old browser) is not refused:
/// without cookies sent cross-site (`SameSite=Strict`) it can only act with
/// a token it holds.
pub fn from_another_site(req: &http::Request<Bytes>, own_origin: &str) -> bool {
    let site = header(req, "sec-fetch-site").to_ascii_lowercase();
    if !site.is_empty() {
        return matches!(site.as_str(), "cross-site" | "same-site");
    }
    let origin = header(req, "origin");
    origin == "null" || (!origin.is_empty() && !own_origin.is_empty() && !origin.eq_ignore_ascii_case(own_origin))
}

pub fn cookie(req: &http::Request<Bytes>, name: &str) -> Option<String> {
    req.headers()
        .get_all(COOKIE)
        .iter()
        .filter_map(|h| h.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name && !c.value().is_empty())
        .map(|c| c.value().to_string())
}

/// Query-string parameters.
pub fn query(req: &http::Request<Bytes>) -> BTreeMap<String, String> {
    req.uri().query().map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect()).unwrap_or_default()
}

/// A query string's pairs, in order.
pub fn query_pairs(q: &str) -> Vec<(String, String)> {
    form_urlencoded::parse(q.as_bytes()).into_owned().collect()
}

/// The path of the `Referer`, if it is a plain same-site path (used as the
/// "go back" link of an HTML error page; the host is dropped, so it can only
/// point into this site).
pub fn referer_path(req: &http::Request<Bytes>) -> Option<String> {
    let r = header(req, "referer");
    let after_scheme = r.split_once("://").map(|(_, rest)| rest)?;
    let path_start = after_scheme.find('/')?;
    let path = &after_scheme[path_start..];
    let path = path.split('#').next().unwrap_or(path);
    let ok = path.starts_with('/')
        && !path.starts_with("//")
        && path.len() <= 512
        && !path.starts_with("/api/")
        && path.chars().all(|c| c.is_ascii_graphic());
    ok.then(|| path.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(headers: &[(&str, &str)]) -> http::Request<Bytes> {
        let mut b = http::Request::builder().method("POST").uri("/api/me/leave");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(Bytes::new()).unwrap_or_default()
    }

    #[test]
    fn another_site_is_told_by_fetch_metadata_then_origin() {
        let own = "https://qi.example.org";
        // A browser posting our own form under `Referrer-Policy: no-referrer`.
        assert!(!from_another_site(&post(&[("origin", "null"), ("sec-fetch-site", "same-origin")]), own));
        assert!(!from_another_site(&post(&[("sec-fetch-site", "none")]), own));
        assert!(!from_another_site(&post(&[("origin", own)]), own));
        assert!(!from_another_site(&post(&[]), own), "an API client sends neither");
        assert!(from_another_site(&post(&[("sec-fetch-site", "cross-site"), ("origin", "https://evil.example")]), own));
        assert!(from_another_site(&post(&[("sec-fetch-site", "same-site")]), own));
        assert!(from_another_site(&post(&[("origin", "https://evil.example")]), own));
        assert!(from_another_site(&post(&[("origin", "null")]), own));
        // Where the site's origin is not configured, only the headers' own word counts.
        assert!(!from_another_site(&post(&[("origin", "https://qi.example.org")]), ""));
    }

    fn json_post(body: &str) -> http::Request<Bytes> {
        let b = http::Request::builder().method("POST").uri("/api/groups").header("content-type", "application/json");
        b.body(Bytes::from(body.to_string())).unwrap_or_default()
    }

    #[test]
    fn json_mistakes_are_said_in_both_languages() {
        let Err(e) = read_fields(&json_post("{\"group_name\": [1], \"peers\": [3]}")) else { panic!("accepted") };
        let fields = e.fields();
        assert_eq!(fields.len(), 2, "{fields:?}");
        assert_eq!((fields[0].field.as_str(), fields[0].code.as_str()), ("group_name", "invalid_format"));
        assert_eq!(fields[0].message, "Expected text, a number or true/false here");
        assert_eq!(fields[0].fr, "Ce champ attend du texte, un nombre ou true/false");
        assert_eq!(fields[1].fr, "Chaque élément de peers doit être un objet");
        assert_eq!(e.message(crate::domain::Language::Fr), "Certaines valeurs ne sont pas du bon type");
        let Err(e) = read_fields(&json_post("{\"a\":")) else { panic!("accepted") };
        assert_eq!(e.fields()[0].code, "invalid_format");
        assert!(e.fields()[0].fr.starts_with("JSON non valide à la ligne 1, colonne "), "{:?}", e.fields());
    }
}
