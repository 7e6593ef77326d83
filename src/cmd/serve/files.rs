//! Answer a GET with a built file: pretty URLs (`/a/` is `a/index.html`,
//! `/a` redirects to `/a/`), the site's 404 page, content types, and the
//! build's problems in place of every page while the build is failing.
use axum::body::Body;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse as _, Response};
use bytes::Bytes;
use mime_guess::mime;
use percent_encoding::percent_decode_str;

use super::{reload, Built};

/// Nothing the dev server answers is cached: every edit shows at once.
const NO_CACHE: (header::HeaderName, &str) = (header::CACHE_CONTROL, "no-cache");
const HTML: &str = "text/html; charset=utf-8";

pub(super) fn serve(built: &Built, path: &str) -> Response {
    let (files, failed) = match built {
        Built::Ok(files) => (files, None),
        Built::Failed { problems, last_good } => (last_good, Some(problems)),
    };
    let (status, key) = match resolve(path, |k| files.contains_key(k)) {
        Lookup::Redirect(to) => return (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, to.as_str()), NO_CACHE]).into_response(),
        Lookup::Found(key) => (StatusCode::OK, key),
        Lookup::Missing => (StatusCode::NOT_FOUND, not_found_page(path, |k| files.contains_key(k))),
    };
    let content_type = content_type(&key);
    let is_html = content_type.starts_with("text/html");
    if let (Some(problems), true) = (failed, is_html) {
        return html(StatusCode::INTERNAL_SERVER_ERROR, error_page(problems));
    }
    match files.get(&key) {
        Some(bytes) if is_html => html(status, reload::inject(&String::from_utf8_lossy(bytes))),
        Some(bytes) => (status, [(header::CONTENT_TYPE, content_type.as_str()), NO_CACHE], Body::from(Bytes::from(bytes.as_ref().clone())))
            .into_response(),
        None => plain(StatusCode::NOT_FOUND, "Not found."),
    }
}

/// The 404 page in the language of the missing address: `/fr/…` gets the
/// French one (`fr/404.html`), when the site has it.
fn not_found_page(path: &str, exists: impl Fn(&str) -> bool) -> String {
    let first = path.trim_start_matches('/').split('/').next().unwrap_or("");
    let localized = format!("{first}/404.html");
    if !first.is_empty() && path.trim_start_matches('/').contains('/') && exists(&localized) {
        localized
    } else {
        "404.html".to_string()
    }
}

#[derive(Debug, PartialEq)]
enum Lookup {
    Found(String),
    Redirect(String),
    Missing,
}

/// Map a URL path to a built file: pretty URLs (`/a/` → `a/index.html`),
/// and `/a` → a redirect to `/a/` when that is a page.
fn resolve(path: &str, exists: impl Fn(&str) -> bool) -> Lookup {
    // percent-encoding rather than our own loop; a path that is not UTF-8
    // once decoded names no file we built.
    let Ok(decoded) = percent_decode_str(path).decode_utf8() else { return Lookup::Missing };
    if decoded.split('/').any(|s| s == ".." || s == ".") || decoded.contains('\\') {
        return Lookup::Missing;
    }
    let key = decoded.trim_start_matches('/');
    let candidate = if key.is_empty() || key.ends_with('/') { format!("{key}index.html") } else { key.to_string() };
    if exists(&candidate) {
        return Lookup::Found(candidate);
    }
    if !key.is_empty() && !key.ends_with('/') && exists(&format!("{key}/index.html")) {
        // One leading slash only: `//evil.example/x/` in a Location header
        // is another site (a protocol-relative URL), an open redirect.
        return Lookup::Redirect(format!("/{}/", path.trim_start_matches('/')));
    }
    Lookup::Missing
}

/// The Content-Type for a built file, by its extension (mime_guess's
/// table, kept up to date upstream), with a UTF-8 charset on text.
fn content_type(key: &str) -> String {
    // The feed is XML by extension; its own type lets feed readers tell.
    if key.ends_with("atom.xml") {
        return "application/atom+xml".to_string();
    }
    let guessed = mime_guess::from_path(key).first_or_octet_stream();
    // We write every text file as UTF-8; without a charset a browser guesses.
    let text = guessed.type_() == mime::TEXT || guessed.subtype() == mime::JAVASCRIPT;
    let essence = guessed.essence_str();
    if text {
        format!("{essence}; charset=utf-8")
    } else {
        essence.to_string()
    }
}

/// The page shown in place of every page while the build is failing. Its
/// inline style is fine here: the dev server sends no CSP.
fn error_page(problems: &str) -> String {
    let escaped = qi_facts::escape_html(problems);
    let script = reload::SCRIPT;
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Build failed – qi serve</title>\n<style>body{{font:1.05rem/1.5 system-ui,sans-serif;margin:0;color:#0b0c0c}}main{{max-width:60rem;margin:0 auto;padding:1.5rem}}h1{{border-left:8px solid #c0281b;padding-left:.75rem}}pre{{white-space:pre-wrap;overflow-wrap:anywhere;background:#fcefed;padding:1rem;border-left:5px solid #c0281b}}</style></head>\n<body><main>\n<h1>The site did not build</h1>\n<p>Fix the problems below and save: this page reloads by itself. Each line gives the file, line and column.</p>\n<pre>{escaped}</pre>\n</main>\n{script}\n</body>\n</html>\n"
    )
}

fn html(status: StatusCode, body: String) -> Response {
    (status, [(header::CONTENT_TYPE, HTML), NO_CACHE], body).into_response()
}

pub(super) fn plain(status: StatusCode, text: &'static str) -> Response {
    (status, [(header::CONTENT_TYPE, "text/plain; charset=utf-8"), NO_CACHE], text).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;
    use std::sync::Arc;

    #[test]
    fn pretty_urls() {
        let files = ["index.html", "groups/index.html", "groups/forming/index.html", "css/site.1234abcd.css", "404.html"];
        let exists = |k: &str| files.contains(&k);
        assert_eq!(resolve("/", exists), Lookup::Found("index.html".into()));
        assert_eq!(resolve("/groups/forming/", exists), Lookup::Found("groups/forming/index.html".into()));
        assert_eq!(resolve("/groups/forming", exists), Lookup::Redirect("/groups/forming/".into()));
        assert_eq!(resolve("/css/site.1234abcd.css", exists), Lookup::Found("css/site.1234abcd.css".into()));
        assert_eq!(resolve("/nope/", exists), Lookup::Missing);
        assert_eq!(resolve("/../etc/passwd", exists), Lookup::Missing);
        assert_eq!(resolve("/%2e%2e/x", exists), Lookup::Missing);
        assert_eq!(resolve("/%5Cx", exists), Lookup::Missing);
        assert_eq!(resolve("/%ff", exists), Lookup::Missing);
        assert_eq!(resolve("/gr%6Fups/", exists), Lookup::Found("groups/index.html".into()));
    }

    #[test]
    fn a_missing_french_page_gets_the_french_404() {
        let files = ["404.html", "fr/404.html"];
        let exists = |k: &str| files.contains(&k);
        assert_eq!(not_found_page("/fr/nope/", exists), "fr/404.html");
        assert_eq!(not_found_page("/nope/", exists), "404.html");
        assert_eq!(not_found_page("/fr", exists), "404.html");
        assert_eq!(not_found_page("/de/nope/", exists), "404.html");
    }

    #[test]
    fn redirects_never_leave_the_site() {
        // A page whose path looks like a host, reached with extra slashes.
        let files = ["evil.example/x/index.html"];
        let exists = |k: &str| files.contains(&k);
        assert_eq!(resolve("//evil.example/x", exists), Lookup::Redirect("/evil.example/x/".into()));
        assert_eq!(resolve("///evil.example/x", exists), Lookup::Redirect("/evil.example/x/".into()));
        assert_eq!(resolve("/%2F/evil.example/x", exists), Lookup::Redirect("/%2F/evil.example/x/".into()));
        let built = Built::Ok(HashMap::from([("evil.example/x/index.html".to_string(), Arc::new(b"<p>x</p>".to_vec()))]));
        let answer = serve(&built, "//evil.example/x");
        assert_eq!(answer.status(), StatusCode::MOVED_PERMANENTLY);
        assert_eq!(answer.headers()[header::LOCATION], "/evil.example/x/");
    }

    #[test]
    fn content_types() {
        assert_eq!(content_type("a/index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type("css/site.12.css"), "text/css; charset=utf-8");
        assert_eq!(content_type("js/app.12.js"), "text/javascript; charset=utf-8");
        assert_eq!(content_type("news/atom.xml"), "application/atom+xml");
        assert_eq!(content_type("search/index.json"), "application/json");
        assert_eq!(content_type("img/logo.svg"), "image/svg+xml");
        assert_eq!(content_type("fonts/a.woff2"), "font/woff2");
        assert_eq!(content_type("data/export"), "application/octet-stream");
    }

    #[test]
    fn failed_builds_show_the_problems_on_every_page() {
        let mut last_good = HashMap::new();
        last_good.insert("index.html".to_string(), Arc::new(b"<html><body>old</body></html>".to_vec()));
        last_good.insert("css/site.css".to_string(), Arc::new(b"body{}".to_vec()));
        let built = Built::Failed { problems: "content/a.md:3:1: <bad>".into(), last_good };
        let page = serve(&built, "/");
        assert_eq!(page.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let missing = serve(&built, "/nowhere/");
        assert_eq!(missing.status(), StatusCode::INTERNAL_SERVER_ERROR);
        let css = serve(&built, "/css/site.css");
        assert_eq!(css.status(), StatusCode::OK);
        assert!(error_page("content/a.md:3:1: <bad>").contains("content/a.md:3:1: &lt;bad&gt;"));
    }
}
