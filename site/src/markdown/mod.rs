//! Markdown to HTML: shortcodes expanded, `@/` links resolved, headings given
//! stable ids and anchor links, a table of contents and the plain text for
//! the search index collected on the way.
use std::collections::HashSet;
use std::ops::Range;

use pulldown_cmark::{CowStr, Event, HeadingLevel, LinkType, Parser, Tag, TagEnd};
use qi_facts::escape_html as escape;
use serde::Serialize;
use serde_json::Value;

use crate::cmark::options;
use crate::config::Config;
use crate::error::{Problem, SourceText};
use crate::library::Library;
use crate::shortcode::{self, Node, ShortcodeError, Shortcodes};
use crate::slug::slugify;

mod external;
mod source_map;

pub use external::external_link_problem;
use external::has_scheme;
use source_map::SourceMap;

/// Ids the page templates use themselves; headings never take them.
pub const RESERVED_IDS: &[&str] = &[
    "main",
    "main-content",
    "site-nav",
    "site-search",
    "toc",
    "toc-heading",
    "breadcrumbs",
    "search-results",
    "search-input",
    "section-nav",
    "page-nav",
    "skip-link",
    "footer",
    "top",
    "site-search-q",
    "section-nav-heading",
    "section-pages-heading",
    "section-subsections-heading",
    "home-guide-heading",
    "search-status",
];

#[derive(Debug, Clone, Serialize)]
pub struct TocEntry {
    pub level: u8,
    pub id: String,
    pub title: String,
    pub children: Vec<TocEntry>,
}

/// A link whose anchor must exist on its target once every page is rendered.
#[derive(Debug, Clone)]
pub struct AnchorLink {
    pub offset: usize,
    /// Entry index of the target page.
    pub target: usize,
    pub anchor: String,
    pub written: String,
}

#[derive(Debug, Default)]
pub struct Rendered {
    pub html: String,
    pub toc: Vec<TocEntry>,
    pub ids: HashSet<String>,
    pub text: String,
    pub anchor_links: Vec<AnchorLink>,
    /// Root-relative links (`/groups/`), checked against what the build makes.
    pub local_links: Vec<(usize, String)>,
    /// What `qi check` reports without failing: straight quotes in prose.
    pub warnings: Vec<Problem>,
}

pub struct Renderer<'a> {
    pub source: &'a SourceText,
    pub entry: usize,
    pub lib: &'a Library,
    pub config: &'a Config,
    pub shortcodes: &'a dyn Shortcodes,
    pub page: &'a Value,
    /// `qi check`: report malformed external links, and warn about straight
    /// quotes in prose.
    pub check_external: bool,
}

struct State {
    out: Rendered,
    problems: Vec<Problem>,
    counter: usize,
}

impl Renderer<'_> {
    /// Render the Markdown body that starts at `body_offset` of the source.
    pub fn render(&self, body_offset: usize) -> Result<Rendered, Vec<Problem>> {
        let mut st = State { out: Rendered::default(), problems: Vec::new(), counter: 0 };
        st.out.ids.extend(RESERVED_IDS.iter().map(|s| s.to_string()));
        let body = &self.source.text[body_offset..];
        let html = self.fragment(body, body_offset, true, &mut st);
        if !st.problems.is_empty() {
            return Err(st.problems);
        }
        st.out.html = html.unwrap_or_default();
        for id in RESERVED_IDS {
            st.out.ids.remove(*id);
        }
        let text = std::mem::take(&mut st.out.text);
        st.out.text = text.split_whitespace().collect::<Vec<_>>().join(" ");
        Ok(st.out)
    }

    fn problem(&self, st: &mut State, offset: usize, message: impl Into<String>) {
        st.problems.push(self.source.problem(offset, message));
    }

    /// Render one piece of Markdown found at `base` in the file: the body, or
    /// the body of a block shortcode. `None` after a problem was recorded.
    fn fragment(&self, src: &str, base: usize, top: bool, st: &mut State) -> Option<String> {
        let nodes = match shortcode::parse(src) {
            Ok(n) => n,
            Err(e) => {
                self.problem(st, base + e.offset, e.message);
                return None;
            }
        };
        // Replace each shortcode with a placeholder word, rendered afterwards.
        let mut text = String::with_capacity(src.len());
        let mut map = SourceMap::default();
        let mut placeholders: Vec<(String, String)> = Vec::new();
        let mut last = 0;
        let mut failed = false;
        for node in &nodes {
            let span = node.span();
            map.push(text.len(), base + last);
            text.push_str(&src[last..span.start]);
            let call = node.call();
            let at = base + call.start;
            let mut output = None;
            match self.shortcodes.check(&call.name) {
                Err(m) => {
                    self.problem(st, at, m);
                    failed = true;
                }
                Ok(()) => {
                    let body = match node {
                        Node::Inline(_) => None,
                        Node::Block { body, .. } => match self.fragment(&src[body.clone()], base + body.start, false, st) {
                            Some(h) => Some(h),
                            None => {
                                failed = true;
                                None
                            }
                        },
                    };
                    if !failed {
                        match self.shortcodes.render(call, body.as_deref(), self.page) {
                            Ok(h) => output = Some(h),
                            Err(ShortcodeError::Call(m)) => {
                                self.problem(st, at, format!("shortcode `{}`: {m}", call.name));
                                failed = true;
                            }
                            Err(ShortcodeError::Template(mut p)) => {
                                let (line, col) = self.source.position(at);
                                p.message.push_str(&format!(" (shortcode `{}` at {}:{line}:{col})", call.name, self.source.name));
                                st.problems.push(p);
                                failed = true;
                            }
                        }
                    }
                }
            }
            st.counter += 1;
            let token = format!("qiShortcode{}x", st.counter);
            let own_line = (span.start == 0 || src.as_bytes()[span.start - 1] == b'\n')
                && (span.end == src.len() || src[span.end..].starts_with('\n') || src[span.end..].starts_with("\r\n"));
            map.push_opaque(text.len(), at);
            if own_line {
                text.push_str("\n\n");
                text.push_str(&token);
                text.push_str("\n\n");
            } else {
                text.push_str(&token);
            }
            placeholders.push((token, output.unwrap_or_default()));
            last = span.end;
        }
        map.push(text.len(), base + last);
        text.push_str(&src[last..]);
        if failed {
            return None;
        }

        let events = self.events(&text, &map, top, st);
        let mut html = String::with_capacity(text.len() * 3 / 2);
        pulldown_cmark::html::push_html(&mut html, events.into_iter());
        for (token, output) in placeholders {
            let para = format!("<p>{token}</p>\n");
            if html.contains(&para) {
                html = html.replacen(&para, &format!("{output}\n"), 1);
            } else {
                html = html.replacen(&token, &output, 1);
            }
            st.out.text = st.out.text.replace(&token, " ");
        }
        Some(html)
    }

    fn events<'t>(&self, text: &'t str, map: &SourceMap, top: bool, st: &mut State) -> Vec<Event<'t>> {
        let mut out = Vec::new();
        // A heading being collected: level, explicit id, classes, offset, inner events.
        type OpenHeading<'t> = (HeadingLevel, Option<CowStr<'t>>, Vec<CowStr<'t>>, usize, Vec<Event<'t>>);
        let mut heading: Option<OpenHeading<'t>> = None;
        let mut toc_flat: Vec<(u8, String, String)> = Vec::new();
        // Inside a code block or an autolink, text is not prose.
        let mut not_prose = 0usize;
        // The latest heading's text: what a table below it is about.
        let mut last_heading = String::new();
        for (event, range) in Parser::new_ext(text, options()).into_offset_iter() {
            let at = map.original(range.start);
            match &event {
                Event::Start(Tag::CodeBlock(_) | Tag::Link { link_type: LinkType::Autolink | LinkType::Email, .. }) => not_prose += 1,
                Event::End(TagEnd::CodeBlock) => not_prose = not_prose.saturating_sub(1),
                Event::End(TagEnd::Link) if not_prose > 0 => not_prose -= 1,
                Event::Text(_) if self.check_external && not_prose == 0 => {
                    for i in straight_quotes(text, range.clone()) {
                        st.out.warnings.push(self.source.problem(map.original(i), STRAIGHT_QUOTE));
                    }
                }
                _ => {}
            }
            let event = match event {
                Event::Start(Tag::Heading { level, id, classes, .. }) => {
                    heading = Some((level, id, classes, at, Vec::new()));
                    continue;
                }
                Event::End(TagEnd::Heading(_)) => {
                    let Some((level, id, classes, h_at, inner)) = heading.take() else { continue };
                    let title: String = inner
                        .iter()
                        .filter_map(|e| match e {
                            Event::Text(t) | Event::Code(t) => Some(t.as_ref()),
                            _ => None,
                        })
                        .collect::<String>()
                        .trim()
                        .to_string();
                    if level == HeadingLevel::H1 {
                        self.problem(st, h_at, "the page title is the page's only level-1 heading: use `##` for headings in the text");
                    }
                    let mut id = match id {
                        Some(explicit) => explicit.to_string(),
                        None => {
                            let s = slugify(&title);
                            if s.is_empty() {
                                "section".to_string()
                            } else {
                                s
                            }
                        }
                    };
                    if st.out.ids.contains(&id) {
                        let base = id.clone();
                        let mut n = 1;
                        while st.out.ids.contains(&format!("{base}-{n}")) {
                            n += 1;
                        }
                        id = format!("{base}-{n}");
                    }
                    st.out.ids.insert(id.clone());
                    last_heading.clone_from(&title);
                    let lvl = level as u8;
                    let class = if classes.is_empty() { String::new() } else { format!(" class=\"{}\"", escape(&classes.join(" "))) };
                    out.push(Event::Html(format!("<h{lvl} id=\"{}\"{class}>", escape(&id)).into()));
                    out.extend(inner);
                    out.push(Event::Html(
                        format!(
                            "<a class=\"heading-anchor\" href=\"#{}\" aria-hidden=\"true\" tabindex=\"-1\">#</a></h{lvl}>\n",
                            escape(&id)
                        )
                        .into(),
                    ));
                    st.out.text.push(' ');
                    if top && (2..=3).contains(&lvl) {
                        toc_flat.push((lvl, id, title));
                    }
                    continue;
                }
                // A table scrolls sideways in its own box, so that a wide one
                // never makes the page scroll (WCAG 1.4.10); the box can be
                // reached and scrolled by keyboard, and is named after the
                // heading the table is under.
                Event::Start(Tag::Table(align)) if heading.is_none() => {
                    let name = if last_heading.is_empty() { "Table".to_string() } else { format!("Table: {last_heading}") };
                    out.push(Event::Html(
                        format!("<div class=\"table-wrap\" role=\"region\" tabindex=\"0\" aria-label=\"{}\">\n", escape(&name)).into(),
                    ));
                    out.push(Event::Start(Tag::Table(align)));
                    continue;
                }
                Event::End(TagEnd::Table) if heading.is_none() => {
                    out.push(Event::End(TagEnd::Table));
                    out.push(Event::Html("</div>\n".into()));
                    continue;
                }
                Event::Start(Tag::Link { link_type, dest_url, title, id }) => {
                    let dest = self.link(&dest_url, at, st).map(CowStr::from).unwrap_or(dest_url);
                    Event::Start(Tag::Link { link_type, dest_url: dest, title, id })
                }
                Event::Start(Tag::Image { link_type, dest_url, title, id }) => {
                    let dest = self.link(&dest_url, at, st).map(CowStr::from).unwrap_or(dest_url);
                    Event::Start(Tag::Image { link_type, dest_url: dest, title, id })
                }
                Event::Text(t) => {
                    st.out.text.push_str(&t);
                    Event::Text(t)
                }
                Event::Code(t) => {
                    st.out.text.push_str(&t);
                    Event::Code(t)
                }
                Event::End(TagEnd::Paragraph | TagEnd::Item | TagEnd::TableCell | TagEnd::CodeBlock)
                | Event::SoftBreak
                | Event::HardBreak => {
                    st.out.text.push(' ');
                    event
                }
                other => other,
            };
            match &mut heading {
                Some((.., inner)) => inner.push(event),
                None => out.push(event),
            }
        }
        if top {
            st.out.toc = nest_toc(toc_flat);
        }
        out
    }

    /// Check a link, record what must be checked later, and return the URL
    /// to write instead (for `@/` links).
    fn link(&self, dest: &str, at: usize, st: &mut State) -> Option<String> {
        if dest.starts_with("@/") {
            return match self.lib.resolve(dest, &self.lib.entries[self.entry].lang) {
                Ok(target) => {
                    let mut url = self.config.link(&self.lib.entries[target.entry].path);
                    if let Some(anchor) = target.anchor {
                        url.push('#');
                        url.push_str(&anchor);
                        st.out.anchor_links.push(AnchorLink { offset: at, target: target.entry, anchor, written: dest.to_string() });
                    }
                    Some(url)
                }
                Err(m) => {
                    if !m.is_empty() {
                        self.problem(st, at, m);
                    }
                    None
                }
            };
        }
        if let Some(anchor) = dest.strip_prefix('#') {
            st.out.anchor_links.push(AnchorLink { offset: at, target: self.entry, anchor: anchor.to_string(), written: dest.to_string() });
            return None;
        }
        if dest.starts_with('/') && !dest.starts_with("//") {
            st.out.local_links.push((at, dest.to_string()));
            return Some(self.config.link(dest));
        }
        if let Some(m) = external_link_problem(dest) {
            if self.check_external {
                self.problem(st, at, m);
            }
            return None;
        }
        if has_scheme(dest).is_none() && (dest.ends_with(".md") || dest.contains(".md#")) {
            self.problem(st, at, format!("link `{dest}` is a relative path to a Markdown file: write it as `@/` followed by its path under content/, such as `@/groups/forming.md`"));
        }
        None
    }
}

const STRAIGHT_QUOTE: &str =
    "straight quote in prose: write “ ” for quotations, ’ for an apostrophe (or \\\" and \\' to keep a straight one)";

/// Offsets in `text` of the straight quotes in the source of one text event
/// (`range`): `"` and `'` not escaped with a backslash. Smart punctuation
/// curls them in the output, but the source should say what it means. Code,
/// HTML, shortcodes and link targets are never text events.
fn straight_quotes(text: &str, range: Range<usize>) -> Vec<usize> {
    let bytes = text.as_bytes();
    range.filter(|&i| matches!(bytes.get(i), Some(b'"' | b'\'')) && (i == 0 || bytes[i - 1] != b'\\')).collect()
}

fn nest_toc(flat: Vec<(u8, String, String)>) -> Vec<TocEntry> {
    let mut toc: Vec<TocEntry> = Vec::new();
    for (level, id, title) in flat {
        let entry = TocEntry { level, id, title, children: vec![] };
        match toc.last_mut() {
            Some(parent) if level > parent.level => parent.children.push(entry),
            _ => toc.push(entry),
        }
    }
    toc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn straight_quotes_are_found_unless_escaped() {
        let t = "the group's \"plan\"";
        assert_eq!(straight_quotes(t, 0..t.len()), vec![9, 12, 17]);
        assert_eq!(straight_quotes(t, 10..t.len()), vec![12, 17]);
        let t = "a \\\"kept\\\" quote";
        assert_eq!(straight_quotes(t, 3..t.len()), Vec::<usize>::new());
        let t = "“curly” and ’";
        assert_eq!(straight_quotes(t, 0..t.len()), Vec::<usize>::new());
    }

    #[test]
    fn toc_nests_h3_under_h2() {
        let toc = nest_toc(vec![(2, "a".into(), "A".into()), (3, "b".into(), "B".into()), (2, "c".into(), "C".into())]);
        assert_eq!(toc.len(), 2);
        assert_eq!(toc[0].children[0].id, "b");
    }
}
