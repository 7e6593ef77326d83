//! Static files from `site/static/`, copied with a content hash in their
//! name (`css/site.css` → `css/site.3f2a9c1b.css`) so a CDN can cache them
//! for ever; templates ask for them through `asset(path=...)`.
//!
//! Stylesheets and scripts are also copied under their plain name (`css/site.css`): the
//! functions' server-rendered pages link that stable URL, since they are
//! built and deployed apart from the site and cannot know its hashes. The
//! deploy gives unhashed files a short cache lifetime and invalidates the CDN.
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::error::Problem;

#[derive(Debug, Default)]
pub struct Assets {
    /// `css/site.css` → `css/site.3f2a9c1b.css`
    pub hashed: HashMap<String, String>,
    /// (output path, source file): every file under its hashed name, and
    /// stylesheets under their plain name too (see [`has_stable_name`]).
    pub files: Vec<(String, PathBuf)>,
}

impl Assets {
    pub fn scan(dir: &Path, problems: &mut Vec<Problem>) -> Assets {
        if !dir.is_dir() {
            return Assets::default();
        }
        let mut found = Vec::new();
        for item in walkdir::WalkDir::new(dir).sort_by_file_name() {
            match item {
                Ok(i) if i.file_type().is_file() && !i.file_name().to_string_lossy().starts_with('.') => {
                    let rel = i.path().strip_prefix(dir).unwrap_or(i.path());
                    let key = rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
                    found.push((key, i.path().to_path_buf()));
                }
                Ok(_) => {}
                Err(e) => problems.push(Problem::in_file(dir.display().to_string(), format!("cannot read: {e}"))),
            }
        }
        let hashed: Vec<Result<(String, String, PathBuf), Problem>> = found
            .into_par_iter()
            .map(|(key, path)| {
                let bytes = std::fs::read(&path).map_err(|e| Problem::in_file(path.display().to_string(), format!("cannot read: {e}")))?;
                let digest = Sha256::digest(&bytes);
                let short: String = digest[..4].iter().map(|b| format!("{b:02x}")).collect();
                Ok((key.clone(), hashed_name(&key, &short), path))
            })
            .collect();
        let mut assets = Assets::default();
        for h in hashed {
            match h {
                Ok((key, name, path)) => {
                    if has_stable_name(&key) {
                        assets.files.push((key.clone(), path.clone()));
                    }
                    assets.hashed.insert(key, name.clone());
                    assets.files.push((name, path));
                }
                Err(p) => problems.push(p),
            }
        }
        assets
    }
}

/// Whether a static file is also published under its own name: the
/// stylesheets and scripts, which the functions' pages link by that name.
pub use qi_facts::has_stable_name;

/// `css/site.css` + `3f2a9c1b` → `css/site.3f2a9c1b.css`.
pub fn hashed_name(key: &str, hash: &str) -> String {
    let file_start = key.rfind('/').map(|i| i + 1).unwrap_or(0);
    match key[file_start..].rfind('.') {
        Some(dot) if dot > 0 => {
            let dot = file_start + dot;
            format!("{}.{hash}{}", &key[..dot], &key[dot..])
        }
        _ => format!("{key}.{hash}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_goes_before_the_extension() {
        assert_eq!(hashed_name("css/site.css", "3f2a9c1b"), "css/site.3f2a9c1b.css");
        assert_eq!(hashed_name("LICENSE", "ab"), "LICENSE.ab");
        assert_eq!(hashed_name("a.b/.x", "ab"), "a.b/.x.ab");
    }

    #[test]
    fn names_depend_on_content() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("css")).unwrap();
        std::fs::write(dir.path().join("css/a.css"), "a").unwrap();
        std::fs::write(dir.path().join("css/b.css"), "b").unwrap();
        let mut problems = vec![];
        let assets = Assets::scan(dir.path(), &mut problems);
        assert!(problems.is_empty());
        // sha256("a") starts ca978112.
        assert_eq!(assets.hashed["css/a.css"], "css/a.ca978112.css");
        assert_ne!(assets.hashed["css/b.css"], "css/b.ca978112.css");
        // Stylesheets and scripts keep their plain name too; other files do not.
        assert!(assets.files.iter().any(|(name, _)| name == "css/a.css"));
        assert!(assets.files.iter().any(|(name, _)| name == "css/a.ca978112.css"));
    }

    #[test]
    fn only_stylesheets_and_scripts_have_a_stable_name() {
        assert!(has_stable_name("css/site.css"));
        assert!(has_stable_name("js/forms.js"));
        assert!(!has_stable_name("js/x/forms.js"));
        assert!(!has_stable_name("img/site.css.png"));
    }
}
