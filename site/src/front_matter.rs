//! TOML front matter between `+++` lines, checked strictly: an unknown key,
//! a value of the wrong type or a malformed date is an error at its place.
use serde::Deserialize;
use toml::Spanned;

use crate::error::{Problem, SourceText};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Raw {
    title: Option<Spanned<String>>,
    description: Option<String>,
    date: Option<Spanned<toml::Value>>,
    weight: Option<i64>,
    draft: Option<bool>,
    slug: Option<Spanned<String>>,
    template: Option<Spanned<String>>,
    page_template: Option<Spanned<String>>,
    aliases: Option<Vec<Spanned<String>>>,
    extra: Option<toml::Table>,
}

/// A value and the byte offset (in the whole file) where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Located<T> {
    pub value: T,
    pub offset: usize,
}

/// A page or section date: `2026-05-01` or a full RFC 3339 date-time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Date {
    /// As written, normalised: `2026-05-01` or `2026-05-01T09:30:00-04:00`.
    pub value: String,
    /// Always a full date-time, for feeds and the sitemap.
    pub rfc3339: String,
    /// `YYYY-MM-DD`.
    pub day: String,
}

impl Date {
    fn from_toml(dt: &toml::value::Datetime) -> Option<Date> {
        let d = dt.date?;
        let day = format!("{:04}-{:02}-{:02}", d.year, d.month, d.day);
        let rfc3339 = match (dt.time, dt.offset) {
            (None, _) => format!("{day}T00:00:00Z"),
            (Some(t), Some(o)) => format!("{day}T{t}{o}"),
            (Some(t), None) => format!("{day}T{t}Z"),
        };
        Some(Date { value: dt.to_string(), rfc3339, day })
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct FrontMatter {
    pub title: String,
    pub description: Option<String>,
    pub date: Option<Date>,
    pub weight: Option<i64>,
    pub draft: bool,
    pub slug: Option<Located<String>>,
    pub template: Option<Located<String>>,
    pub page_template: Option<Located<String>>,
    pub aliases: Vec<Located<String>>,
    pub extra: serde_json::Value,
}

/// The parsed front matter and the byte offset where the Markdown body starts.
pub fn parse(source: &SourceText) -> Result<(FrontMatter, usize), Problem> {
    let text = &source.text;
    let start = if text.starts_with('\u{feff}') { 3 } else { 0 };
    let first_line_end = text[start..].find('\n').map(|i| start + i + 1).unwrap_or(text.len());
    if text[start..first_line_end].trim_end() != "+++" {
        return Err(source.problem(
            start,
            "a content file must start with front matter: a line `+++`, TOML such as `title = \"...\"`, and a closing line `+++`",
        ));
    }
    let fm_start = first_line_end;
    let mut pos = fm_start;
    let (fm_end, body_start) = loop {
        if pos >= text.len() {
            return Err(source.problem(start, "front matter opened here is never closed by a line `+++`"));
        }
        let end = text[pos..].find('\n').map(|i| pos + i + 1).unwrap_or(text.len());
        if text[pos..end].trim_end() == "+++" {
            break (pos, end);
        }
        pos = end;
    };
    let toml_text = &text[fm_start..fm_end];
    let raw: Raw = toml::from_str(toml_text).map_err(|e| {
        let at = fm_start + e.span().map(|s| s.start).unwrap_or(0);
        source.problem(at, format!("front matter: {}", e.message().trim_end()))
    })?;
    let loc = |s: Spanned<String>| Located { offset: fm_start + s.span().start, value: s.into_inner() };

    let title = match raw.title {
        None => return Err(source.problem(start, "front matter has no `title`")),
        Some(t) if t.get_ref().trim().is_empty() => return Err(source.problem(fm_start + t.span().start, "`title` is empty")),
        Some(t) => t.into_inner(),
    };
    let date = match raw.date {
        None => None,
        Some(d) => {
            let at = fm_start + d.span().start;
            let parsed = match d.get_ref() {
                toml::Value::Datetime(dt) => Date::from_toml(dt),
                toml::Value::String(s) => s.parse::<toml::value::Datetime>().ok().and_then(|dt| Date::from_toml(&dt)),
                _ => None,
            };
            Some(parsed.ok_or_else(|| {
                source.problem(at, "`date` must be a date such as 2026-05-01 or a date-time such as 2026-05-01T09:00:00-04:00")
            })?)
        }
    };
    let slug = raw.slug.map(loc);
    if let Some(s) = &slug {
        if s.value.is_empty() || crate::slug::slugify(&s.value) != s.value {
            return Err(source.problem(
                s.offset,
                format!(
                    "`slug` \"{}\" may contain only lowercase letters, digits and single hyphens (try \"{}\")",
                    s.value,
                    crate::slug::slugify(&s.value)
                ),
            ));
        }
    }
    let aliases: Vec<_> = raw.aliases.unwrap_or_default().into_iter().map(loc).collect();
    for a in &aliases {
        if !a.value.starts_with('/') || a.value.contains("..") || a.value.contains("://") {
            return Err(
                source.problem(a.offset, format!("alias \"{}\" must be a site path starting with `/`, such as \"/old/page/\"", a.value))
            );
        }
    }
    Ok((
        FrontMatter {
            title,
            description: raw.description,
            date,
            weight: raw.weight,
            draft: raw.draft.unwrap_or(false),
            slug,
            template: raw.template.map(loc),
            page_template: raw.page_template.map(loc),
            aliases,
            extra: serde_json::to_value(raw.extra.unwrap_or_default()).unwrap_or_default(),
        },
        body_start,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_str(s: &str) -> Result<(FrontMatter, usize), String> {
        parse(&SourceText::new("c.md", s.to_string())).map_err(|p| p.to_string())
    }

    #[test]
    fn parses_every_key() {
        let (fm, body) = parse_str(
            "+++\ntitle = \"T\"\ndescription = \"D\"\ndate = 2026-05-01\nweight = 3\ndraft = true\nslug = \"s-1\"\ntemplate = \"x.html\"\naliases = [\"/old/\"]\n[extra]\nlang = \"fr\"\n+++\nBody",
        )
        .unwrap();
        assert_eq!(fm.title, "T");
        assert_eq!(fm.date.as_ref().unwrap().rfc3339, "2026-05-01T00:00:00Z");
        assert_eq!(fm.weight, Some(3));
        assert!(fm.draft);
        assert_eq!(fm.slug.unwrap().value, "s-1");
        assert_eq!(fm.aliases[0].value, "/old/");
        assert_eq!(fm.extra["lang"], "fr");
        assert_eq!(&"+++\ntitle = \"T\"\ndescription = \"D\"\ndate = 2026-05-01\nweight = 3\ndraft = true\nslug = \"s-1\"\ntemplate = \"x.html\"\naliases = [\"/old/\"]\n[extra]\nlang = \"fr\"\n+++\nBody"[body..], "Body");
    }

    #[test]
    fn date_strings_are_accepted() {
        let (fm, _) = parse_str("+++\ntitle = \"T\"\ndate = \"2026-05-01T09:30:00-04:00\"\n+++\n").unwrap();
        assert_eq!(fm.date.unwrap().day, "2026-05-01");
    }

    #[test]
    fn errors_point_at_the_offending_place() {
        assert_eq!(
            parse_str("+++\ntitle = \"T\"\ncolour = 1\n+++\n").unwrap_err(),
            "c.md:3:1: front matter: unknown field `colour`, expected one of `title`, `description`, `date`, `weight`, `draft`, `slug`, `template`, `page_template`, `aliases`, `extra`"
        );
        assert_eq!(
            parse_str("+++\ntitle = \"T\"\nweight = \"1\"\n+++\n").unwrap_err(),
            "c.md:3:10: front matter: invalid type: string \"1\", expected i64"
        );
        assert_eq!(parse_str("+++\ntitle = \"T\"\ndate = \"May 1\"\n+++\n").unwrap_err().split(": `date`").next().unwrap(), "c.md:3:8");
        assert_eq!(parse_str("title = 1\n").unwrap_err().split(": a content").next().unwrap(), "c.md:1:1");
        assert_eq!(parse_str("+++\ntitle = \"T\"\n").unwrap_err(), "c.md:1:1: front matter opened here is never closed by a line `+++`");
        assert_eq!(parse_str("+++\ndescription = \"x\"\n+++\n").unwrap_err(), "c.md:1:1: front matter has no `title`");
        assert!(parse_str("+++\ntitle = \"T\"\nslug = \"Has Space\"\n+++\n").unwrap_err().starts_with("c.md:3:8: `slug`"));
        assert!(parse_str("+++\ntitle = \"T\"\naliases = [\"old\"]\n+++\n").unwrap_err().starts_with("c.md:3:12: alias"));
    }
}
