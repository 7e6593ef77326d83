//! `site.toml`: the site's title, address and language, read once per build.
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Problem, SourceText};

pub const CONFIG_FILE: &str = "site.toml";

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    title: String,
    base_url: String,
    #[serde(default)]
    description: String,
    /// The language of the pages without a language in their file name.
    #[serde(default = "default_language", alias = "language")]
    default_language: String,
    /// The other languages: `[languages.fr]` with the site's `title` and
    /// `description` in that language and the `name` its switcher shows.
    #[serde(default)]
    languages: std::collections::BTreeMap<String, RawLanguage>,
    /// Whether `qi check` and builds fail when a page lacks a translation
    /// (otherwise `qi check` lists them as warnings).
    #[serde(default)]
    require_translations: bool,
    #[serde(default)]
    templates_dir: Option<String>,
    #[serde(default)]
    static_dir: Option<String>,
    #[serde(default)]
    i18n_dir: Option<String>,
    #[serde(default)]
    extra: toml::Table,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLanguage {
    name: String,
    #[serde(default)]
    title: Option<String>,
    #[serde(default)]
    description: Option<String>,
}

fn default_language() -> String {
    "en".to_string()
}

/// One language of the site.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Language {
    /// `en`, `fr`: the `lang` attribute, the file-name suffix (`page.fr.md`)
    /// and, for every language but the default, the path prefix (`/fr/`).
    pub code: String,
    /// The language's own name, as the switcher shows it: `Français`.
    pub name: String,
    /// The site's title and description in this language.
    pub title: String,
    pub description: String,
    /// The path prefix: `""` for the default language, `/fr` for French.
    pub prefix: String,
}

/// The site configuration, with the base URL split into what links need.
#[derive(Debug, Clone)]
pub struct Config {
    pub title: String,
    pub description: String,
    /// The default language's code.
    pub language: String,
    /// Every language, the default first.
    pub languages: Vec<Language>,
    pub require_translations: bool,
    /// `https://example.org` with no trailing slash (and no path).
    pub origin: String,
    /// The path the site lives under, `""` at the root of its host, or `/qi`.
    pub base_path: String,
    pub root: PathBuf,
    pub content_dir: PathBuf,
    pub templates_dir: PathBuf,
    pub static_dir: PathBuf,
    /// The translation files of the templates' strings (`site/i18n/`).
    pub i18n_dir: PathBuf,
    pub extra: serde_json::Value,
}

impl Config {
    /// Read `<root>/site.toml`; `base_url` overrides the file's `base_url`.
    pub fn load(root: &Path, base_url: Option<&str>) -> Result<Config, Problem> {
        let path = root.join(CONFIG_FILE);
        let text = std::fs::read_to_string(&path)
            .map_err(|e| Problem::in_file(CONFIG_FILE, format!("cannot read the site configuration: {e}")))?;
        let source = SourceText::new(CONFIG_FILE, text);
        let raw: RawConfig = toml::from_str(&source.text).map_err(|e| {
            let offset = e.span().map(|s| s.start).unwrap_or(0);
            source.problem(offset, e.message().to_string())
        })?;
        let base = base_url.unwrap_or(&raw.base_url);
        let (origin, base_path) = split_base_url(base).map_err(|m| {
            if base_url.is_some() {
                Problem::at("", 0, 0, format!("--base-url {base}: {m}"))
            } else {
                let at = source.text.find("base_url").unwrap_or(0);
                source.problem(at, format!("base_url: {m}"))
            }
        })?;
        let dir = |d: &Option<String>, default: &str| root.join(d.as_deref().unwrap_or(default));
        let mut languages = vec![Language {
            code: raw.default_language.clone(),
            name: raw.languages.get(&raw.default_language).map(|l| l.name.clone()).unwrap_or_else(|| raw.default_language.clone()),
            title: raw.title.clone(),
            description: raw.description.clone(),
            prefix: String::new(),
        }];
        for (code, l) in &raw.languages {
            if *code == raw.default_language {
                continue;
            }
            if code.is_empty() || !code.chars().all(|c| c.is_ascii_lowercase() || c == '-') {
                let at = source.text.find(&format!("[languages.{code}]")).unwrap_or(0);
                return Err(source.problem(at, format!("language code `{code}` must be lowercase letters, like `fr`")));
            }
            languages.push(Language {
                code: code.clone(),
                name: l.name.clone(),
                title: l.title.clone().unwrap_or_else(|| raw.title.clone()),
                description: l.description.clone().unwrap_or_else(|| raw.description.clone()),
                prefix: format!("/{code}"),
            });
        }
        Ok(Config {
            title: raw.title,
            description: raw.description,
            language: raw.default_language,
            languages,
            require_translations: raw.require_translations,
            origin,
            base_path,
            root: root.to_path_buf(),
            content_dir: root.join("content"),
            templates_dir: dir(&raw.templates_dir, "site/templates"),
            static_dir: dir(&raw.static_dir, "site/static"),
            i18n_dir: dir(&raw.i18n_dir, "site/i18n"),
            extra: serde_json::to_value(&raw.extra).unwrap_or_default(),
        })
    }

    /// A site path (`/groups/forming/`) as a link (`/qi/groups/forming/`).
    pub fn link(&self, path: &str) -> String {
        format!("{}{}", self.base_path, path)
    }

    /// A site path as an absolute URL, for the sitemap and the feed.
    pub fn permalink(&self, path: &str) -> String {
        format!("{}{}{}", self.origin, self.base_path, path)
    }

    /// The language with this code, if the site has it.
    pub fn lang(&self, code: &str) -> Option<&Language> {
        self.languages.iter().find(|l| l.code == code)
    }

    /// The language of a code the library gave an entry (always configured).
    pub fn lang_or_default(&self, code: &str) -> &Language {
        self.lang(code).unwrap_or(&self.languages[0])
    }

    pub fn base_url(&self) -> String {
        format!("{}{}", self.origin, self.base_path)
    }
}

fn split_base_url(base: &str) -> Result<(String, String), String> {
    let url = url::Url::parse(base).map_err(|e| format!("`{base}` is not a valid URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!("`{base}` must be an http or https URL with a host"));
    }
    let origin = url.origin().ascii_serialization();
    let path = url.path().trim_end_matches('/').to_string();
    Ok((origin, path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_url_splits_into_origin_and_path() {
        assert_eq!(split_base_url("https://a.org/").unwrap(), ("https://a.org".into(), "".into()));
        assert_eq!(split_base_url("https://a.org/qi/").unwrap(), ("https://a.org".into(), "/qi".into()));
        assert_eq!(split_base_url("http://127.0.0.1:8080").unwrap(), ("http://127.0.0.1:8080".into(), "".into()));
        assert!(split_base_url("ftp://a.org").is_err());
        assert!(split_base_url("not a url").is_err());
    }

    #[test]
    fn unknown_keys_are_reported_with_their_position() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(CONFIG_FILE), "title = \"T\"\nbase_url = \"https://a.org\"\ntitel = 1\n").unwrap();
        let err = Config::load(dir.path(), None).unwrap_err();
        assert_eq!(err.file, "site.toml");
        assert_eq!((err.line, err.col), (3, 1));
        assert!(err.message.contains("unknown field `titel`"), "{}", err.message);
    }
}
