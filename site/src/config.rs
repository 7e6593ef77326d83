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
    #[serde(default = "default_language")]
    language: String,
    #[serde(default)]
    templates_dir: Option<String>,
    #[serde(default)]
    static_dir: Option<String>,
    #[serde(default)]
    extra: toml::Table,
}

fn default_language() -> String {
    "en".to_string()
}

/// The site configuration, with the base URL split into what links need.
#[derive(Debug, Clone)]
pub struct Config {
    pub title: String,
    pub description: String,
    pub language: String,
    /// `https://example.org` with no trailing slash (and no path).
    pub origin: String,
    /// The path the site lives under, `""` at the root of its host, or `/qi`.
    pub base_path: String,
    pub root: PathBuf,
    pub content_dir: PathBuf,
    pub templates_dir: PathBuf,
    pub static_dir: PathBuf,
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
        Ok(Config {
            title: raw.title,
            description: raw.description,
            language: raw.language,
            origin,
            base_path,
            root: root.to_path_buf(),
            content_dir: root.join("content"),
            templates_dir: dir(&raw.templates_dir, "site/templates"),
            static_dir: dir(&raw.static_dir, "site/static"),
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
