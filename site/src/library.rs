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
    /// Path under `content/`, with `/`: `groups/forming.md`, `groups/_index.md`.
    pub key: String,
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
    pub home: Option<usize>,
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
    pub fn load(root: &Path, content_dir: &Path, drafts: bool, problems: &mut Vec<Problem>) -> Library {
        let mut lib = Library::default();
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
                let is_section = key == "_index.md" || key.ends_with("/_index.md");
                let kind = if is_section { Kind::Section } else { Kind::Page };
                Ok(Entry {
                    kind,
                    key,
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
            let draft_dirs: Vec<String> =
                entries.iter().filter(|e| e.is_section() && e.fm.draft).map(|e| e.key.trim_end_matches("_index.md").to_string()).collect();
            entries.retain(|e| {
                let in_draft_dir = draft_dirs.iter().any(|d| e.key.starts_with(d.as_str()));
                if e.fm.draft || in_draft_dir {
                    lib.drafts.insert(e.key.clone());
                    false
                } else {
                    true
                }
            });
            lib.files.retain(|f| !draft_dirs.iter().any(|d| f.path[1..].starts_with(d.as_str())));
        }

        // URLs.
        for e in entries.iter_mut() {
            match url_path(e) {
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
        for i in 0..self.entries.len() {
            if i == home {
                continue;
            }
            let key = &self.entries[i].key;
            // The nearest folder above with an `_index.md`.
            let mut dir = parent_dir(key);
            if self.entries[i].is_section() {
                dir = parent_dir(dir.trim_end_matches('/'));
            }
            let parent = loop {
                let candidate = format!("{dir}_index.md");
                if let Some(&p) = self.by_key.get(&candidate) {
                    break p;
                }
                if dir.is_empty() {
                    break home;
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

    /// Resolve `@/groups/forming.md#goals`.
    pub fn resolve(&self, link: &str) -> Result<Target, String> {
        let rest = link.strip_prefix("@/").unwrap_or(link);
        let (key, anchor) = match rest.split_once('#') {
            Some((k, a)) => (k, Some(a.to_string())),
            None => (rest, None),
        };
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

/// The site path of an entry, or the offset and message of why it has none.
fn url_path(e: &Entry) -> Result<String, (usize, String)> {
    let parts: Vec<&str> = e.key.split('/').collect();
    let (dirs, file) = parts.split_at(parts.len() - 1);
    let mut path = String::from("/");
    for d in dirs {
        let s = slugify(d);
        if s.is_empty() {
            return Err((0, format!("folder name `{d}` has no letters or digits to make a URL from")));
        }
        path.push_str(&s);
        path.push('/');
    }
    let file = file[0];
    if e.is_section() {
        if let Some(s) = &e.fm.slug {
            return Err((s.offset, "`slug` cannot be set on a section (_index.md): rename its folder instead".to_string()));
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
