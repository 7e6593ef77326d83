//! The functions' server-rendered pages wear the site's header, navigation,
//! footer and stylesheets. Built from the real `content/`, a site page and
//! the server's error page must show the same header and footer, and the
//! stylesheet the server links must be the site's, under its stable name.
//!
//! The functions keep their copy of the navigation in
//! `functions/templates/nav.toml` (they cannot read `content/`); when content
//! changes the navigation, this test fails and prints the list to paste there.
#![cfg(feature = "api")]
use std::path::{Path, PathBuf};

use qi_functions::http::input::Wants;
use qi_functions::http::respond::{error_response, ApiError};

fn between<'a>(html: &'a str, start: &str, end: &str) -> &'a str {
    let from = html.find(start).unwrap_or_else(|| panic!("no {start} in:\n{html}"));
    let to = from + html[from..].find(end).unwrap_or_else(|| panic!("no {end} after {start}")) + end.len();
    &html[from..to]
}

/// `nav.toml` entries (`[[nav]]` or `[[nav_fr]]`) for the navigation in a built page's header.
fn nav_toml(header: &str, table: &str) -> String {
    let mut out = String::new();
    for item in header.split("<li><a href=\"").skip(1) {
        let (href, rest) = item.split_once('"').unwrap_or_default();
        let label = rest.split_once('>').map(|(_, l)| l).unwrap_or_default().split("</a>").next().unwrap_or_default();
        out.push_str(&format!("[[{table}]]\npath = \"{href}\"\ntitle = \"{label}\"\n\n"));
    }
    out
}

/// A page's header without its language switcher (a site page links its
/// other-language version, a server page the same address in the other
/// language).
fn without_switcher(header: &str) -> String {
    let Some(from) = header.find("\n    <p class=\"site-language\">") else { return header.to_string() };
    let to = from + header[from..].find("</p>").map_or(header.len() - from, |end| end + "</p>".len());
    format!("{}{}", &header[..from], &header[to..])
}

struct TempDir(PathBuf);
impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn server_pages_share_the_sites_header_footer_and_stylesheets() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = TempDir(std::env::temp_dir().join(format!("qi-server-pages-{}", std::process::id())));
    if let Err(p) = qi_site::build_to_dir(&qi_site::Options::new(root), &out.0) {
        panic!("the site did not build:\n{p}");
    }
    // The search page marks no navigation item as current, like an error page.
    let site = std::fs::read_to_string(out.0.join("search/index.html")).unwrap();
    let r = error_response(&ApiError::NotFound(qi_functions::domain::Text::new("Not found", "Introuvable")), Wants::Html, "/");
    let server = std::str::from_utf8(r.body()).unwrap();

    let site_header = without_switcher(between(&site, "<header class=\"site-header\">", "</header>"));
    let server_header = without_switcher(between(server, "<header class=\"site-header\">", "</header>"));
    assert_eq!(
        site_header,
        server_header,
        "the server pages' header differs from the site's; if content/ changed the navigation, \
         functions/templates/nav.toml should list:\n\n{}",
        nav_toml(&site_header, "nav")
    );
    assert_eq!(
        between(&site, "<footer class=\"site-footer\">", "</footer>"),
        between(server, "<footer class=\"site-footer\">", "</footer>")
    );
    // The same in French: the server's French pages wear the French site's
    // header and footer, whose links (nav.toml's `nav_fr` and `urls_fr`)
    // are the French pages' addresses.
    let site_fr = std::fs::read_to_string(out.0.join("fr/search/index.html")).unwrap();
    let server_fr = qi_functions::http::html::render(
        "error.html",
        "/",
        serde_json::json!({ "lang": "fr", "title": "T", "message": "M", "back": "/", "fields": [] }),
    )
    .unwrap();
    let site_header = without_switcher(between(&site_fr, "<header class=\"site-header\">", "</header>"));
    assert_eq!(
        site_header,
        without_switcher(between(&server_fr, "<header class=\"site-header\">", "</header>")),
        "the server's French header differs from the site's; functions/templates/nav.toml should list:\n\n{}",
        nav_toml(&site_header, "nav_fr")
    );
    assert_eq!(
        between(&site_fr, "<footer class=\"site-footer\">", "</footer>"),
        between(&server_fr, "<footer class=\"site-footer\">", "</footer>")
    );
    assert!(server_fr.starts_with("<!doctype html>\n<html lang=\"fr\">"), "{server_fr}");
    // Every French address the server links to is a page of the built site.
    let nav: toml::Table = toml::from_str(&std::fs::read_to_string(root.join("functions/templates/nav.toml")).unwrap()).unwrap();
    for (key, path) in nav["urls_fr"].as_table().unwrap() {
        let path = path.as_str().unwrap();
        assert!(
            out.0.join(path.trim_start_matches('/')).join("index.html").is_file(),
            "nav.toml: {key} = {path} is not a page of the site"
        );
    }

    // Same stylesheets: the site links the hashed names, the server the
    // stable ones, and both names hold the same bytes.
    for name in ["site", "forms"] {
        let hashed = between(&site, &format!("<link rel=\"stylesheet\" href=\"/css/{name}."), ">");
        let hashed = hashed.trim_start_matches("<link rel=\"stylesheet\" href=\"/").trim_end_matches("\">");
        assert!(server.contains(&format!("<link rel=\"stylesheet\" href=\"/css/{name}.css\">")), "{server}");
        let a = std::fs::read(out.0.join(hashed)).unwrap();
        let b = std::fs::read(out.0.join(format!("css/{name}.css"))).unwrap();
        assert!(a == b, "css/{name}.css and {hashed} differ");
    }
    // The same script too, by its stable name; no inline style or script.
    let hashed = between(&site, "<script src=\"/js/forms.", ">");
    let hashed = hashed.trim_start_matches("<script src=\"/").split('"').next().unwrap();
    assert!(server.contains("<script src=\"/js/forms.js\" defer></script>"), "{server}");
    assert!(
        std::fs::read(out.0.join(hashed)).unwrap() == std::fs::read(out.0.join("js/forms.js")).unwrap(),
        "js/forms.js and {hashed} differ"
    );
    assert!(!server.contains("<style") && !server.contains("style=\""), "{server}");
}
