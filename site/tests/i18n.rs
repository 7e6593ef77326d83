//! A site in two languages (`tests/sites/bilingual/`): translations beside
//! their source, French addresses, per-language navigation, feeds, search
//! and 404, the alternates and the switcher, translated template strings,
//! and the problems an author can cause (a page without its translation, a
//! template key missing from a language).
#![allow(clippy::unwrap_used, clippy::expect_used)]
use std::path::{Path, PathBuf};

use qi_site::{build_to_dir, Options};

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/sites/bilingual")
}

/// A copy of the fixture to break.
fn copy_of_fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for item in walkdir::WalkDir::new(fixture()) {
        let item = item.unwrap();
        let rel = item.path().strip_prefix(fixture()).unwrap();
        let to = dir.path().join(rel);
        if item.file_type().is_dir() {
            std::fs::create_dir_all(&to).unwrap();
        } else {
            std::fs::copy(item.path(), &to).unwrap();
        }
    }
    dir
}

fn build(root: &Path) -> Result<(tempfile::TempDir, PathBuf), String> {
    let out_dir = tempfile::tempdir().unwrap();
    let out = out_dir.path().join("public");
    build_to_dir(&Options::new(root), &out).map_err(|p| p.to_string())?;
    Ok((out_dir, out))
}

fn read(out: &Path, path: &str) -> String {
    std::fs::read_to_string(out.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn each_language_has_its_pages_addresses_and_strings() {
    let (_d, out) = build(&fixture()).unwrap();
    let en = read(&out, "guide/measure/index.html");
    let fr = read(&out, "fr/parcours/mesurer/index.html");
    assert!(en.contains("<html lang=\"en\">") && fr.contains("<html lang=\"fr\">"));
    // The switcher leads to the same page in the other language, named in it.
    assert!(en.contains("<a class=\"switch\" href=\"/fr/parcours/mesurer/\" lang=\"fr\" hreflang=\"fr\">Français</a>"), "{en}");
    assert!(fr.contains("<a class=\"switch\" href=\"/guide/measure/\" lang=\"en\" hreflang=\"en\">English</a>"), "{fr}");
    // Alternates, both ways, with the default language as x-default.
    for page in [&en, &fr] {
        assert!(page.contains("<link rel=\"alternate\" hreflang=\"en\" href=\"https://two.example.org/guide/measure/\">"));
        assert!(page.contains("<link rel=\"alternate\" hreflang=\"fr\" href=\"https://two.example.org/fr/parcours/mesurer/\">"));
        assert!(page.contains("<link rel=\"alternate\" hreflang=\"x-default\" href=\"https://two.example.org/guide/measure/\">"));
    }
    // Template strings, navigation, `get_url`, `@/` links and search per language.
    assert!(en.contains(">Home</a> <a href=\"/guide/\">Guide</a> <a href=\"/news/\">News</a>"), "{en}");
    assert!(fr.contains(">Accueil</a> <a href=\"/fr/parcours/\">Parcours</a> <a href=\"/fr/nouvelles/\">Nouvelles</a>"), "{fr}");
    assert!(
        fr.contains("<a class=\"guide\" href=\"/fr/parcours/mesurer/\">") && en.contains("<a class=\"guide\" href=\"/guide/measure/\">")
    );
    assert!(fr.contains("<a href=\"/fr/\">accueil</a>"), "an @/ link from a French page leads to the French version");
    assert!(read(&out, "fr/index.html").contains("href=\"/fr/parcours/mesurer/#la-mediane\""));
    assert!(
        fr.contains("<form action=\"/fr/search/\">") && fr.contains("{&quot;hello&quot;:&quot;Bonjour&quot;}")
            || fr.contains("{\"hello\":\"Bonjour\"}")
    );
    // Dates as each language writes them.
    assert!(read(&out, "news/launch/index.html").contains("Published 1 December 2026"));
    assert!(read(&out, "fr/nouvelles/lancement/index.html").contains("Publié le 1er décembre 2026"));
    // Feeds, search indexes and 404 pages per language.
    let feed = read(&out, "fr/nouvelles/atom.xml");
    assert!(feed.contains("xml:lang=\"fr\"") && feed.contains("Lancement") && !feed.contains("Launch"));
    assert!(read(&out, "news/atom.xml").contains("Launch"));
    let index: serde_json::Value = serde_json::from_str(&read(&out, "fr/search/index.json")).unwrap();
    assert!(index.as_array().unwrap().iter().all(|d| d["url"].as_str().unwrap().starts_with("/fr/")));
    assert!(read(&out, "fr/search/index.html").contains("data-index=\"/fr/search/index.json\""));
    assert!(read(&out, "fr/404.html").contains("<h1>404 Accueil</h1>") && read(&out, "404.html").contains("<h1>404 Home</h1>"));
    // The sitemap lists each page with its alternates.
    let sitemap = read(&out, "sitemap.xml");
    assert!(sitemap.contains("xmlns:xhtml=\"http://www.w3.org/1999/xhtml\""));
    let entry = &sitemap[sitemap.find("<loc>https://two.example.org/fr/parcours/mesurer/</loc>").unwrap()..];
    let entry = &entry[..entry.find("</url>").unwrap()];
    assert!(entry.contains("<xhtml:link rel=\"alternate\" hreflang=\"en\" href=\"https://two.example.org/guide/measure/\"/>"), "{entry}");
    assert!(entry.contains("<xhtml:link rel=\"alternate\" hreflang=\"x-default\" href=\"https://two.example.org/guide/measure/\"/>"));
}

#[test]
fn a_page_without_its_translation_fails_when_translations_are_required() {
    let dir = copy_of_fixture();
    std::fs::write(dir.path().join("content/guide/alone.md"), "+++\ntitle = \"Alone\"\n+++\nText.\n").unwrap();
    let err = build(dir.path()).unwrap_err();
    assert!(err.contains("content/guide/alone.md:1:1: this page has no `fr` version: create content/guide/alone.fr.md"), "{err}");

    // Without the setting, `qi check` lists it as a warning and builds.
    let toml = std::fs::read_to_string(dir.path().join("site.toml")).unwrap();
    std::fs::write(dir.path().join("site.toml"), toml.replace("require_translations = true", "require_translations = false")).unwrap();
    let summary = qi_site::build(&Options { check: true, ..Options::new(dir.path()) }, &qi_site::NullSink).unwrap();
    assert!(
        summary.warnings.iter().any(|w| w.to_string().contains("alone.md:1:1: this page has no `fr` version")),
        "{:?}",
        summary.warnings
    );
}

#[test]
fn a_template_key_missing_from_a_language_is_reported_at_the_template() {
    let dir = copy_of_fixture();
    let fr = dir.path().join("i18n/fr.toml");
    let text = std::fs::read_to_string(&fr).unwrap();
    std::fs::write(&fr, text.replace("home = \"Accueil\"\n", "")).unwrap();
    let err = build(dir.path()).unwrap_err();
    assert!(err.contains("theme/templates/base.html:14:59: translation key `nav.home` is missing from i18n/fr.toml"), "{err}");
    assert!(err.contains("i18n/en.toml:2:1: `nav.home` has no translation in i18n/fr.toml"), "{err}");
}
