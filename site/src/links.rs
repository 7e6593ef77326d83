//! Links that can only be checked once every page is rendered: anchors on
//! other pages (`@/page.md#heading`, `#heading`) and root-relative links
//! (`/groups/`) against everything the build makes.
use std::collections::HashSet;

use percent_encoding::percent_decode_str;

use crate::error::Problem;
use crate::library::Library;
use crate::markdown::{Rendered, RESERVED_IDS};
use crate::prepare::{not_found_path, search_index_path, search_path, Prepared};

/// Add a problem for every broken anchor or local link of the rendered pages.
pub(crate) fn check_links(p: &Prepared, rendered: &[Option<Rendered>], problems: &mut Vec<Problem>) {
    let lib = &p.lib;
    let mut known: HashSet<String> = lib.by_path.keys().cloned().collect();
    known.extend(lib.aliases.iter().map(|a| a.path.clone()));
    known.extend(lib.files.iter().map(|f| f.path.clone()));
    known.extend(p.assets.files.iter().map(|(p, _)| format!("/{p}")));
    for p in ["/sitemap.xml", "/robots.txt"] {
        known.insert(p.to_string());
    }
    for l in &p.config.languages {
        known.insert(format!("{}/", l.prefix));
        known.insert(search_path(&l.prefix));
        known.insert(search_index_path(&l.prefix));
        known.insert(not_found_path(&l.prefix));
        if let Some(f) = crate::outputs::feed_path(lib, &l.code) {
            known.insert(f);
        }
    }
    for (i, r) in rendered.iter().enumerate() {
        let Some(r) = r else { continue };
        let e = &lib.entries[i];
        for link in &r.anchor_links {
            let Some(target) = rendered[link.target].as_ref() else { continue };
            if !target.ids.contains(&link.anchor) {
                let target_name = &lib.entries[link.target].source.name;
                let message = if link.target == i {
                    format!("link `{}` points to a missing heading: this page has no heading with id `{}`", link.written, link.anchor)
                } else {
                    format!("link `{}` points to a missing heading: {} has no heading with id `{}`", link.written, target_name, link.anchor)
                };
                problems.push(e.source.problem(link.offset, with_suggestion(message, &link.anchor, &target.ids)));
            }
        }
        for (at, dest) in &r.local_links {
            if let Some(m) = local_link_problem(dest, &known, lib, rendered) {
                problems.push(e.source.problem(*at, m));
            }
        }
    }
}

fn with_suggestion(mut message: String, anchor: &str, ids: &HashSet<String>) -> String {
    let mut close: Vec<&String> = ids.iter().filter(|id| id.contains(anchor) || anchor.contains(id.as_str())).collect();
    close.sort();
    if let Some(best) = close.first() {
        message.push_str(&format!(" (did you mean `{best}`?)"));
    }
    message
}

fn local_link_problem(dest: &str, known: &HashSet<String>, lib: &Library, rendered: &[Option<Rendered>]) -> Option<String> {
    let (path, anchor) = match dest.split_once('#') {
        Some((p, a)) => (p, Some(a)),
        None => (dest, None),
    };
    let path = path.split('?').next().unwrap_or(path);
    if path.starts_with("/api/") || path == "/api" {
        return None;
    }
    // A link to `files/annual report.pdf` is written `/files/annual%20report.pdf`:
    // compare decoded paths with the files the build makes.
    let path = percent_decode_str(path).decode_utf8_lossy();
    let candidates = [path.to_string(), format!("{path}/"), format!("{path}index.html")];
    let found = candidates.iter().find(|c| known.contains(c.as_str()) || c.strip_suffix("index.html").is_some_and(|d| known.contains(d)));
    let Some(found) = found else {
        return Some(format!("link `{dest}` points to nothing this site builds (link to pages as `@/path/under/content.md`)"));
    };
    if let (Some(anchor), Some(&entry)) = (anchor, lib.by_path.get(found.trim_end_matches("index.html"))) {
        if let Some(r) = &rendered[entry] {
            if !r.ids.contains(anchor) && !RESERVED_IDS.contains(&anchor) {
                return Some(format!(
                    "link `{dest}` points to a missing heading: {} has no heading with id `{anchor}`",
                    lib.entries[entry].source.name
                ));
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_name_the_closest_heading() {
        let ids: HashSet<String> = ["goals-1".to_string(), "measures".to_string()].into_iter().collect();
        assert_eq!(with_suggestion("m".into(), "goals", &ids), "m (did you mean `goals-1`?)");
        assert_eq!(with_suggestion("m".into(), "nothing", &ids), "m");
    }

    #[test]
    fn percent_encoded_local_links_find_their_file() {
        let known: HashSet<String> = ["/files/annual report.pdf".to_string(), "/guide/".to_string()].into_iter().collect();
        let lib = Library::default();
        assert_eq!(local_link_problem("/files/annual%20report.pdf", &known, &lib, &[]), None);
        assert_eq!(local_link_problem("/guide", &known, &lib, &[]), None);
        assert!(local_link_problem("/nope/", &known, &lib, &[]).is_some());
    }
}
