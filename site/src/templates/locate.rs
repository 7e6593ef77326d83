//! Where in which template a tera error happened. tera 1 reports the
//! template being rendered (and for variables the innermost one) but no
//! line, so the line is found by searching that template, then its parents,
//! for what the error names (a variable, a function, a filter, a test).
use tera::{ErrorKind, Tera};

use crate::error::Problem;

/// A render error, placed.
pub(super) struct Found {
    /// The template the error is most likely in.
    pub template: String,
    /// That template (or another it was found in) with a 1-based line and column.
    pub at: Option<(String, usize, usize)>,
    /// What went wrong, without tera's "Failed to render" wrappers.
    pub cause: String,
}

/// What the error names, to find in a template's tags.
#[derive(Debug, PartialEq)]
enum Needle {
    Variable(String),
    Function(String),
    Filter(String),
    Test(String),
    Text(String),
}

pub(super) fn render_error<'t>(tera: &Tera, template: &str, err: &tera::Error, text_of: &dyn Fn(&str) -> Option<&'t str>) -> Found {
    let mut messages: Vec<String> = Vec::new();
    let mut needles: Vec<Needle> = Vec::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(t) = e.downcast_ref::<tera::Error>() {
            match &t.kind {
                ErrorKind::CallFunction(n) | ErrorKind::FunctionNotFound(n) => needles.push(Needle::Function(n.clone())),
                ErrorKind::CallFilter(n) | ErrorKind::FilterNotFound(n) => needles.push(Needle::Filter(n.clone())),
                ErrorKind::CallTest(n) | ErrorKind::TestNotFound(n) => needles.push(Needle::Test(n.clone())),
                ErrorKind::TemplateNotFound(n) => needles.push(Needle::Text(n.clone())),
                _ => {}
            }
        }
        messages.push(e.to_string());
        cur = e.source();
    }

    // Candidates, most precise first: the innermost template a message
    // names, the one tera says the block came from, a macro's file, then
    // the rendered template and its parents.
    let mut candidates: Vec<String> = Vec::new();
    for m in messages.iter().rev() {
        candidates.extend(quoted_after(m, "while rendering '", '\''));
    }
    for m in &messages {
        candidates.extend(quoted_after(m, "(error happened in '", '\''));
        if let Some(path) = quoted_after(m, "error while rendering macro `", '`') {
            let name = path.rsplit("::").next().unwrap_or(&path).to_string();
            let mut names: Vec<&String> = tera.templates.keys().collect();
            names.sort();
            for n in names {
                if text_of(n).is_some_and(|t| defines_macro(t, &name)) {
                    candidates.push(n.clone());
                }
            }
        }
    }
    candidates.push(template.to_string());
    if let Some(t) = tera.templates.get(template) {
        candidates.extend(t.parents.iter().cloned());
    }
    let mut seen = std::collections::HashSet::new();
    candidates.retain(|c| seen.insert(c.clone()));

    for m in &messages {
        if let Some(v) = quoted_after(m, "Variable `", '`') {
            needles.push(Needle::Variable(v));
        }
        if let Some(name) = quoted_after(m, "Macro `", '`') {
            needles.push(Needle::Text(name));
        }
    }
    if needles.is_empty() {
        if let Some(last) = messages.last() {
            needles.extend(last.split('`').skip(1).step_by(2).filter(|t| !t.is_empty()).map(|t| Needle::Text(t.to_string())));
        }
    }

    let mut at = None;
    'search: for needle in &needles {
        for c in &candidates {
            if let Some((line, col)) = text_of(c).and_then(|t| find(t, needle)) {
                at = Some((c.clone(), line, col));
                break 'search;
            }
        }
    }
    Found { template: candidates.first().cloned().unwrap_or_else(|| template.to_string()), at, cause: cause(&messages) }
}

/// A template that does not parse: its file, the line and column the parser
/// stopped at, and what it expected there.
pub(super) fn parse_problem(file: &str, err: &tera::Error) -> Problem {
    let mut messages = Vec::new();
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        messages.push(e.to_string());
        cur = e.source();
    }
    let detail = messages.last().cloned().unwrap_or_default();
    let expected: Vec<&str> = detail.lines().filter_map(|l| l.trim_start().strip_prefix("= ")).collect();
    let message = if expected.is_empty() { detail.trim().to_string() } else { expected.join("; ") };
    let position = detail.lines().find_map(|l| l.trim_start().strip_prefix("--> ")).and_then(|p| {
        let (line, col) = p.trim().split_once(':')?;
        Some((line.parse::<usize>().ok()?, col.parse::<usize>().ok()?))
    });
    let message = format!("this template does not parse: {message}");
    match position {
        Some((line, col)) => Problem::at(file, line, col, message),
        None => Problem::in_file(file, message),
    }
}

/// The messages of the chain without tera's location wrappers (the problem
/// now names the place itself).
fn cause(messages: &[String]) -> String {
    let mut out = String::new();
    for m in messages {
        if m.starts_with("Failed to render '") {
            continue;
        }
        let m = match m.find(" while rendering '") {
            Some(i) => {
                let rest = &m[i + " while rendering '".len()..];
                let after = rest.find('\'').map(|j| &rest[j + 1..]).unwrap_or("");
                format!("{}{after}", &m[..i])
            }
            None => m.trim_end().to_string(),
        };
        if m.is_empty() || out.contains(&m) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&m);
    }
    if out.is_empty() {
        messages.first().cloned().unwrap_or_default()
    } else {
        out
    }
}

/// The text between `prefix` and the next `close` in `m`.
fn quoted_after(m: &str, prefix: &str, close: char) -> Option<String> {
    let start = m.find(prefix)? + prefix.len();
    let len = m[start..].find(close)?;
    Some(m[start..start + len].to_string())
}

fn defines_macro(text: &str, name: &str) -> bool {
    tags(text).any(|(_, tag)| {
        let t = tag.trim_start_matches(['{', '%', '-']).trim_start();
        t.strip_prefix("macro")
            .is_some_and(|rest| rest.trim_start().starts_with(name) && rest.trim_start()[name.len()..].trim_start().starts_with('('))
    })
}

/// The `{{ ... }}` and `{% ... %}` tags of a template (comments skipped),
/// each with its byte offset.
fn tags(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut pos = 0;
    std::iter::from_fn(move || loop {
        let open = pos + text[pos..].find('{')?;
        let close = match text.as_bytes().get(open + 1) {
            Some(b'{') => "}}",
            Some(b'%') => "%}",
            Some(b'#') => "#}",
            _ => {
                pos = open + 1;
                continue;
            }
        };
        let end = text[open + 2..].find(close).map(|i| open + 2 + i + 2).unwrap_or(text.len());
        pos = end;
        if close != "#}" {
            return Some((open, &text[open..end]));
        }
    })
}

fn is_ident(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

/// Offsets in `tag` where `word` stands alone (not part of a longer name).
fn word_at(tag: &str, word: &str, dotted: bool) -> Vec<usize> {
    let part = |c: char| is_ident(c) || (dotted && c == '.');
    tag.match_indices(word)
        .map(|(i, _)| i)
        .filter(|&i| !tag[..i].chars().next_back().is_some_and(part) && !tag[i + word.len()..].chars().next().is_some_and(part))
        .collect()
}

/// The first place in a tag of `text` where the needle occurs, as 1-based
/// line and column.
fn find(text: &str, needle: &Needle) -> Option<(usize, usize)> {
    let hit = tags(text).find_map(|(offset, tag)| {
        let inside = match needle {
            Needle::Variable(v) => word_at(tag, v, true).first().copied(),
            Needle::Function(f) => word_at(tag, f, false).into_iter().find(|&i| tag[i + f.len()..].trim_start().starts_with('(')),
            Needle::Filter(f) => word_at(tag, f, false).into_iter().find(|&i| tag[..i].trim_end().ends_with('|')),
            Needle::Test(t) => word_at(tag, t, false).into_iter().find(|&i| {
                let before = tag[..i].trim_end();
                let before = before.strip_suffix("not").map(str::trim_end).unwrap_or(before);
                before.ends_with(" is")
            }),
            Needle::Text(s) => tag.find(s.as_str()),
        };
        inside.map(|i| offset + i)
    })?;
    let line_start = text[..hit].rfind('\n').map(|i| i + 1).unwrap_or(0);
    Some((text[..hit].matches('\n').count() + 1, text[line_start..hit].chars().count() + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PAGE: &str = "{# page.subtitle in a comment #}\n<h1>{{ page.title }}</h1>\n<p>{{ page.subtitles }} {{ page.subtitle | upper }}</p>\n{% if x is not odd %}{{ asset (path='a') | date }}{% endif %}\n";

    #[test]
    fn finds_what_the_error_names_in_tags() {
        assert_eq!(find(PAGE, &Needle::Variable("page.subtitle".into())), Some((3, 28)));
        assert_eq!(find(PAGE, &Needle::Variable("page.title".into())), Some((2, 8)));
        assert_eq!(find(PAGE, &Needle::Filter("upper".into())), Some((3, 44)));
        assert_eq!(find(PAGE, &Needle::Function("asset".into())), Some((4, 25)));
        assert_eq!(find(PAGE, &Needle::Filter("date".into())), Some((4, 44)));
        assert_eq!(find(PAGE, &Needle::Test("odd".into())), Some((4, 16)));
        assert_eq!(find(PAGE, &Needle::Variable("nope".into())), None);
    }

    #[test]
    fn causes_lose_the_location_wrappers() {
        let m = vec![
            "Failed to render 'page.html' (error happened in 'base.html').".to_string(),
            "Variable `page.subtitle` not found in context while rendering 'base.html'".to_string(),
        ];
        assert_eq!(cause(&m), "Variable `page.subtitle` not found in context");
        let m = vec!["Failed to render 'x.html'".to_string(), "Function call 'asset' failed".to_string(), "asset: no file".to_string()];
        assert_eq!(cause(&m), "Function call 'asset' failed: asset: no file");
    }

    #[test]
    fn macros_are_found_by_name() {
        assert!(defines_macro("{% macro date(value) %}x{% endmacro %}", "date"));
        assert!(defines_macro("{%- macro date (value) %}x{% endmacro %}", "date"));
        assert!(!defines_macro("{% macro dates(value) %}x{% endmacro %}", "date"));
    }
}
