//! Loading `content/` in one pass into a library keyed by content path
//! (`groups/forming.md`), with every page's URL, section and neighbours, so
//! links, URL collisions and navigation are all decided in one place.
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use rayon::prelude::*;

use crate::error::{Problem, SourceText};
use crate::front_matter::{self, FrontMatter};
use crate::slug::slugify;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Page,
    Section,
}

/// A page or a section (`_index.md`) of the site.
#[derive(Debug)]
pub struct Entry {
    pub kind: Kind,
    /// Path under `content/`, with `/`: `groups/forming.md`, `groups/_index.md`,
    /// `groups/forming.fr.md`.
    pub key: String,
    /// The language code: from the file name (`forming.fr.md`), else the
    /// site's default language.
    pub lang: String,
    /// The key of the default-language version this translates (its own key
    /// for a default-language entry): `groups/forming.md`.
    pub base_key: String,
    /// The other languages' versions of this entry, in the site's order.
    pub translations: Vec<usize>,
    pub source: SourceText,
    pub fm: FrontMatter,
    pub body_offset: usize,
    /// Site path, without the base path: `/groups/forming/`.
    pub path: String,
    /// The section this entry belongs to (none for the home page).
    pub parent: Option<usize>,
    /// Sections from the home page down to the parent.
    pub ancestors: Vec<usize>,
    /// For sections: their pages, in order.
    pub pages: Vec<usize>,
    /// For sections: their subsections, in order.
    pub subsections: Vec<usize>,
    pub prev: Option<usize>,
    pub next: Option<usize>,
}

impl Entry {
    pub fn is_section(&self) -> bool {
        self.kind == Kind::Section
    }

    /// `[extra] hidden = true`: built and linkable, but left out of
    /// navigation, section lists, previous/next, the search index and the
    /// sitemap (confirmation pages that forms redirect to).
    pub fn hidden(&self) -> bool {
        self.fm.extra.get("hidden").and_then(|v| v.as_bool()).unwrap_or(false)
    }
}

/// A redirect from an old path to an entry.
#[derive(Debug)]
pub struct Alias {
    pub path: String,
    pub target: usize,
}

/// A non-Markdown file under `content/` (an image, a PDF), copied as is.
#[derive(Debug)]
pub struct ContentFile {
    pub path: String,
    pub source: PathBuf,
}

#[derive(Debug, Default)]
pub struct Library {
    pub entries: Vec<Entry>,
    pub by_key: HashMap<String, usize>,
    pub by_path: HashMap<String, usize>,
    pub aliases: Vec<Alias>,
    pub files: Vec<ContentFile>,
    /// The default language's home page.
    pub home: Option<usize>,
    /// Each language's home page (`_index.md`, `_index.fr.md`), by code.
    pub homes: HashMap<String, usize>,
    /// The site's language codes, the default first.
    pub langs: Vec<String>,
    /// Content paths left out of this build because they are drafts.
    pub drafts: HashSet<String>,
    /// Content paths that failed to load (links to them are not reported again).
    pub failed: HashSet<String>,
}

/// What an `@/` link points at.
pub struct Target {
    pub entry: usize,
    pub anchor: Option<String>,
}

impl Library {
    /// Load every file under `content_dir`. Problems are collected, not fatal:
    /// the library holds everything that loaded.
    pub fn load(root: &Path, content_dir: &Path, langs: &[String], drafts: bool, problems: &mut Vec<Problem>) -> Library {
        let mut lib = Library { langs: langs.to_vec(), ..Library::default() };
        let mut md_files = Vec::new();
        let walker = walkdir::WalkDir::new(content_dir).sort_by_file_name().into_iter();
        for item in walker.filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.')) {
            let item = match item {
                Ok(i) => i,
                Err(e) => {
                    problems.push(Problem::in_file("content", format!("cannot read: {e}")));
                    continue;
                }
            };
            if !item.file_type().is_file() {
                continue;
            }
            let rel = item.path().strip_prefix(content_dir).unwrap_or(item.path());
            let key = rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/");
            if key.ends_with(".md") {
                md_files.push((key, item.path().to_path_buf()));
            } else {
                lib.files.push(ContentFile { path: format!("/{key}"), source: item.path().to_path_buf() });
            }
        }
        if md_files.is_empty() && !content_dir.is_dir() {
            problems.push(Problem::in_file(display_path(root, content_dir), "the content folder does not exist"));
            return lib;
        }

        let loaded: Vec<Result<Entry, (String, Problem)>> = md_files
            .into_par_iter()
            .map(|(key, path)| {
                let name = display_path(root, &path);
                let text = std::fs::read_to_string(&path)
                    .map_err(|e| (key.clone(), Problem::in_file(name.clone(), format!("cannot read: {e}"))))?;
                let source = SourceText::new(name, text);
                let (fm, body_offset) = front_matter::parse(&source).map_err(|p| (key.clone(), p))?;
                let (lang, base_key) = split_lang(&key, langs);
                let is_section = base_key == "_index.md" || base_key.ends_with("/_index.md");
                let kind = if is_section { Kind::Section } else { Kind::Page };
                Ok(Entry {
                    kind,
                    key,
                    lang,
                    base_key,
                    translations: vec![],
                    source,
                    fm,
                    body_offset,
                    path: String::new(),
                    parent: None,
                    ancestors: vec![],
                    pages: vec![],
                    subsections: vec![],
                    prev: None,
                    next: None,
                })
            })
            .collect();

        let mut entries = Vec::new();
        for r in loaded {
            match r {
                Ok(e) => entries.push(e),
                Err((key, p)) => {
                    lib.failed.insert(key);
                    problems.push(p);
                }
            }
        }

        // Drafts: a draft section takes its whole folder with it.
        if !drafts {
            // (A draft translation of a section takes only that language's pages.)
            let draft_dirs: Vec<(String, String)> = entries
                .iter()
                .filter(|e| e.is_section() && e.fm.draft)
                .map(|e| (e.base_key.trim_end_matches("_index.md").to_string(), e.lang.clone()))
                .collect();
            let default_lang = langs.first().cloned().unwrap_or_default();
            entries.retain(|e| {
                let in_draft_dir = draft_dirs.iter().any(|(d, l)| e.base_key.starts_with(d.as_str()) && *l == e.lang);
                if e.fm.draft || in_draft_dir {
                    lib.drafts.insert(e.key.clone());
                    false
                } else {
                    true
                }
            });
            lib.files.retain(|f| !draft_dirs.iter().any(|(d, l)| *l == default_lang && f.path[1..].starts_with(d.as_str())));
        }

        // URLs. A folder's segment is, in each language, the `slug` of its
        // section (`pip/_index.fr.md`) or of the page of the same name beside
        // it (`groups/sign-up.fr.md` for `groups/sign-up/`), else its name.
        let mut folder_slugs: HashMap<(String, String), (bool, String)> = HashMap::new();
        for e in entries.iter() {
            let Some(slug) = &e.fm.slug else { continue };
            let folder = if e.is_section() { parent_dir(&e.base_key) } else { format!("{}/", e.base_key.trim_end_matches(".md")) };
            let slot = folder_slugs.entry((folder, e.lang.clone())).or_insert((false, String::new()));
            if e.is_section() || !slot.0 {
                *slot = (e.is_section(), slug.value.clone());
            }
        }
        let default_lang = langs.first().map(String::as_str).unwrap_or("en");
        for e in entries.iter_mut() {
            match url_path(e, default_lang, &folder_slugs) {
                Ok(p) => e.path = p,
                Err((offset, m)) => {
                    lib.failed.insert(e.key.clone());
                    problems.push(e.source.problem(offset, m));
                }
            }
        }
        entries.retain(|e| !e.path.is_empty());

        for (i, e) in entries.iter().enumerate() {
            lib.by_key.insert(e.key.clone(), i);
        }
        // Translations: entries with the same base key.
        let mut by_base: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, e) in entries.iter().enumerate() {
            by_base.entry(e.base_key.clone()).or_default().push(i);
        }
        let rank = |code: &str| langs.iter().position(|l| l == code).unwrap_or(usize::MAX);
        for versions in by_base.values_mut() {
            versions.sort_by_key(|&i| rank(&entries[i].lang));
            for &i in versions.iter() {
                entries[i].translations = versions.iter().copied().filter(|&j| j != i).collect();
            }
        }
        let mut claimed: HashMap<String, String> = HashMap::new();
        for (i, e) in entries.iter().enumerate() {
            if let Some(other) = claimed.get(&e.path) {
                let at = e.fm.slug.as_ref().map(|s| s.offset).unwrap_or(0);
                problems.push(e.source.problem(at, format!("this page's URL {} is already used by {}", e.path, other)));
                continue;
            }
            claimed.insert(e.path.clone(), e.source.name.clone());
            lib.by_path.insert(e.path.clone(), i);
        }
        for (i, e) in entries.iter().enumerate() {
            for a in &e.fm.aliases {
                let path = normalise_alias(&a.value);
                if let Some(other) = claimed.get(&path) {
                    problems.push(e.source.problem(a.offset, format!("alias {path} is already used by {other}")));
                    continue;
                }
                claimed.insert(path.clone(), format!("an alias in {}", e.source.name));
                lib.aliases.push(Alias { path, target: i });
            }
        }
        lib.entries = entries;
        lib.link_sections(problems);
        lib
    }

    /// Work out parents, ordering, ancestors and previous/next again after
    /// entries' front matter changed (titles, weights and dates order pages).
    pub fn relink(&mut self) {
        for e in &mut self.entries {
            e.parent = None;
            e.ancestors.clear();
            e.pages.clear();
            e.subsections.clear();
            e.prev = None;
            e.next = None;
        }
        self.link_sections(&mut Vec::new());
    }

    /// Parents, ordering, ancestors and previous/next.
    fn link_sections(&mut self, problems: &mut Vec<Problem>) {
        self.home = self.by_key.get("_index.md").copied();
        let Some(home) = self.home else {
            if !self.entries.is_empty() {
                problems.push(Problem::in_file("content/_index.md", "the home page is missing: create content/_index.md"));
            }
            return;
        };
        self.homes.clear();
        for (i, e) in self.entries.iter().enumerate() {
            if e.base_key == "_index.md" {
                self.homes.insert(e.lang.clone(), i);
            }
        }
        let mut homeless: HashSet<String> = HashSet::new();
        for i in 0..self.entries.len() {
            if self.homes.values().any(|&h| h == i) {
                continue;
            }
            let lang = self.entries[i].lang.clone();
            let suffix = self.suffix(&lang);
            let key = &self.entries[i].base_key;
            // The nearest folder above with an `_index.md` in this language.
            let mut dir = parent_dir(key);
            if self.entries[i].is_section() {
                dir = parent_dir(dir.trim_end_matches('/'));
            }
            let lang_home = match self.homes.get(&lang) {
                Some(&h) => h,
                None => {
                    if homeless.insert(lang.clone()) {
                        problems.push(
                            self.entries[i]
                                .source
                                .problem(0, format!("this page is in `{lang}`, which has no home page: create content/_index{suffix}.md")),
                        );
                    }
                    home
                }
            };
            let parent = loop {
                let candidate = format!("{dir}_index{suffix}.md");
                if let Some(&p) = self.by_key.get(&candidate) {
                    break p;
                }
                if dir.is_empty() {
                    break lang_home;
                }
                dir = parent_dir(dir.trim_end_matches('/'));
            };
            self.entries[i].parent = Some(parent);
            // Hidden pages (the forms' confirmation pages) keep their
            // breadcrumbs but stay out of navigation, lists and prev/next.
            if self.entries[i].hidden() {
                continue;
            }
            if self.entries[i].is_section() {
                self.entries[parent].subsections.push(i);
            } else {
                self.entries[parent].pages.push(i);
            }
        }
        for s in 0..self.entries.len() {
            if !self.entries[s].is_section() {
                continue;
            }
            let mut pages = std::mem::take(&mut self.entries[s].pages);
            pages.sort_by(|&a, &b| order(&self.entries[a], &self.entries[b]));
            for (n, &p) in pages.iter().enumerate() {
                self.entries[p].prev = n.checked_sub(1).map(|k| pages[k]);
                self.entries[p].next = pages.get(n + 1).copied();
            }
            self.entries[s].pages = pages;
            let mut subs = std::mem::take(&mut self.entries[s].subsections);
            subs.sort_by(|&a, &b| order(&self.entries[a], &self.entries[b]));
            self.entries[s].subsections = subs;
        }
        for i in 0..self.entries.len() {
            let mut chain = Vec::new();
            let mut cur = self.entries[i].parent;
            while let Some(p) = cur {
                chain.push(p);
                cur = self.entries[p].parent;
            }
            chain.reverse();
            self.entries[i].ancestors = chain;
        }
    }

    /// `""` for the default language, `.fr` for French: what a file name
    /// carries before `.md`.
    pub fn suffix(&self, lang: &str) -> String {
        if self.langs.first().map(String::as_str) == Some(lang) || self.langs.is_empty() {
            String::new()
        } else {
            format!(".{lang}")
        }
    }

    /// The key of `key`'s version in `lang`: `pip/x.md` → `pip/x.fr.md`.
    pub fn localized_key(&self, key: &str, lang: &str) -> String {
        match key.strip_suffix(".md") {
            Some(stem) => format!("{stem}{}.md", self.suffix(lang)),
            None => key.to_string(),
        }
    }

    /// Resolve `@/groups/forming.md#goals` from a page in `lang`: to the
    /// version in that language when there is one (so the French guidance
    /// links to French pages), else to the file named.
    pub fn resolve(&self, link: &str, lang: &str) -> Result<Target, String> {
        let rest = link.strip_prefix("@/").unwrap_or(link);
        let (key, anchor) = match rest.split_once('#') {
            Some((k, a)) => (k, Some(a.to_string())),
            None => (rest, None),
        };
        if let Some(&entry) = self.by_key.get(&self.localized_key(key, lang)) {
            return Ok(Target { entry, anchor });
        }
        if let Some(&entry) = self.by_key.get(key) {
            return Ok(Target { entry, anchor });
        }
        if self.drafts.contains(key) {
            return Err(format!("link `{link}` points to a draft (build with --drafts to include drafts, or remove the link)"));
        }
        if self.failed.contains(key) {
            return Err(String::new());
        }
        if !key.ends_with(".md") {
            return Err(format!(
                "link `{link}` must name a Markdown file under content/, such as `@/groups/forming.md` or `@/groups/_index.md`"
            ));
        }
        Err(format!("link `{link}` points to a missing page: there is no content/{key}"))
    }
}

fn display_path(root: &Path, path: &Path) -> String {
    let rel = path.strip_prefix(root).unwrap_or(path);
    rel.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/")
}

/// `groups/forming.md` → `groups/`; `a.md` → ``.
fn parent_dir(key: &str) -> String {
    match key.rfind('/') {
        Some(i) => key[..=i].to_string(),
        None => String::new(),
    }
}

/// Order within a section: weight, then date (newest first), then title.
fn order(a: &Entry, b: &Entry) -> std::cmp::Ordering {
    let w = |e: &Entry| e.fm.weight.unwrap_or(i64::MAX);
    w(a).cmp(&w(b))
        .then_with(|| {
            let da = a.fm.date.as_ref().map(|d| d.rfc3339.as_str());
            let db = b.fm.date.as_ref().map(|d| d.rfc3339.as_str());
            match (da, db) {
                (Some(x), Some(y)) => y.cmp(x),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            }
        })
        .then_with(|| a.fm.title.to_lowercase().cmp(&b.fm.title.to_lowercase()))
        .then_with(|| a.key.cmp(&b.key))
}

/// `groups/forming.fr.md` with French configured → (`fr`, `groups/forming.md`).
fn split_lang(key: &str, langs: &[String]) -> (String, String) {
    let default = langs.first().cloned().unwrap_or_else(|| "en".to_string());
    if let Some(stem) = key.strip_suffix(".md") {
        if let Some((base, code)) = stem.rsplit_once('.') {
            if langs.iter().skip(1).any(|l| l == code) && !base.ends_with('/') && !base.is_empty() {
                return (code.to_string(), format!("{base}.md"));
            }
        }
    }
    (default, key.to_string())
}

/// The site path of an entry, or the offset and message of why it has none.
fn url_path(e: &Entry, default_lang: &str, folder_slugs: &HashMap<(String, String), (bool, String)>) -> Result<String, (usize, String)> {
    let parts: Vec<&str> = e.base_key.split('/').collect();
    let (dirs, file) = parts.split_at(parts.len() - 1);
    let mut path = if e.lang == default_lang { String::from("/") } else { format!("/{}/", e.lang) };
    let mut folder = String::new();
    for d in dirs {
        folder.push_str(d);
        folder.push('/');
        let s = match folder_slugs.get(&(folder.clone(), e.lang.clone())) {
            Some((_, slug)) => slug.clone(),
            None => slugify(d),
        };
        if s.is_empty() {
            return Err((0, format!("folder name `{d}` has no letters or digits to make a URL from")));
        }
        path.push_str(&s);
        path.push('/');
    }
    let file = file[0];
    if e.is_section() {
        if let Some(s) = &e.fm.slug {
            if dirs.is_empty() {
                return Err((s.offset, "`slug` cannot be set on the home page".to_string()));
            }
        }
        return Ok(path);
    }
    if let Some(t) = &e.fm.page_template {
        return Err((t.offset, "`page_template` only applies to a section (_index.md)".to_string()));
    }
    let stem = file.trim_end_matches(".md");
    let slug = match &e.fm.slug {
        Some(s) => s.value.clone(),
        None if stem == "index" => return Ok(path),
        None => slugify(stem),
    };
    if slug.is_empty() {
        return Err((0, format!("file name `{file}` has no letters or digits to make a URL from; set `slug`")));
    }
    path.push_str(&slug);
    path.push('/');
    Ok(path)
}

/// `/old/page` → `/old/page/`; `/old.html` stays.
pub fn normalise_alias(alias: &str) -> String {
    if alias.ends_with('/') || alias.ends_with(".html") {
        alias.to_string()
    } else {
        format!("{alias}/")
    }
}
