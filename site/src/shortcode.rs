//! Shortcode syntax inside Markdown:
//!
//! - inline: `{{ name(key="text", n=3, flag=true) }}`
//! - block:  `{% name(key="v") %}` Markdown body `{% end %}`
//!
//! Shortcodes inside code spans and fenced or indented code are left alone.
//! Offsets in errors and results are byte offsets into the scanned text.
//!
//! This module is the shortcode layer's shared ground: the syntax, the calls
//! it yields and the [`Shortcodes`] port that renders them. `markdown` uses
//! it; it never uses `markdown`.
use std::ops::Range;

use pulldown_cmark::{Event, Parser, Tag};
use serde_json::{Map, Value};

use crate::error::Problem;

/// Renders shortcode calls (implemented over tera by `templates`).
pub trait Shortcodes: Sync {
    /// Whether a shortcode of this name exists; `Err` carries why not.
    fn check(&self, name: &str) -> Result<(), String>;
    fn render(&self, call: &Call, body: Option<&str>, page: &Value) -> Result<String, ShortcodeError>;
}

/// Why a shortcode call did not render.
#[derive(Debug, Clone, PartialEq)]
pub enum ShortcodeError {
    /// The call itself is wrong (a missing or refused argument): the content
    /// author fixes it where the call is written.
    Call(String),
    /// The shortcode's template failed: the problem points at the template;
    /// the Markdown renderer adds where the call was written.
    Template(Problem),
}

/// One shortcode call: its name, arguments and where it was written.
#[derive(Debug, Clone, PartialEq)]
pub struct Call {
    pub name: String,
    pub args: Map<String, Value>,
    /// Offset of the opening `{{` or `{%`.
    pub start: usize,
    /// Offset just after the closing `}}` or `%}`.
    pub end: usize,
}

/// A shortcode at the top level of a piece of Markdown.
#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Inline(Call),
    /// A block: `body` is the text between the opening tag and `{% end %}`;
    /// `end` is the offset just after `{% end %}`.
    Block {
        call: Call,
        body: Range<usize>,
        end: usize,
    },
}

impl Node {
    pub fn span(&self) -> Range<usize> {
        match self {
            Node::Inline(c) => c.start..c.end,
            Node::Block { call, end, .. } => call.start..*end,
        }
    }
    pub fn call(&self) -> &Call {
        match self {
            Node::Inline(c) | Node::Block { call: c, .. } => c,
        }
    }
}

/// A syntax error at a byte offset.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntaxError {
    pub offset: usize,
    pub message: String,
}

enum Token {
    Inline(Call),
    Open(Call),
    End(Range<usize>),
}

/// Byte ranges of code spans and code blocks, where shortcodes are not expanded.
pub fn code_ranges(src: &str) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    for (event, range) in Parser::new_ext(src, crate::cmark::options()).into_offset_iter() {
        match event {
            Event::Code(_) | Event::Start(Tag::CodeBlock(_)) => out.push(range),
            _ => {}
        }
    }
    out
}

/// The top-level shortcodes of `src`, in order.
pub fn parse(src: &str) -> Result<Vec<Node>, SyntaxError> {
    if !src.contains("{{") && !src.contains("{%") {
        return Ok(Vec::new());
    }
    let code = code_ranges(src);
    let tokens = scan(src, &code)?;
    let mut nodes = Vec::new();
    let mut stack: Vec<Call> = Vec::new();
    for t in tokens {
        match t {
            Token::Inline(c) => {
                if stack.is_empty() {
                    nodes.push(Node::Inline(c));
                }
            }
            Token::Open(c) => stack.push(c),
            Token::End(r) => match stack.pop() {
                None => return Err(SyntaxError { offset: r.start, message: "`{% end %}` without an open block shortcode".into() }),
                Some(call) => {
                    if stack.is_empty() {
                        let body = call.end..r.start;
                        nodes.push(Node::Block { call, body, end: r.end });
                    }
                }
            },
        }
    }
    if let Some(open) = stack.into_iter().next() {
        return Err(SyntaxError {
            offset: open.start,
            message: format!("block shortcode `{}` is never closed: add `{{% end %}}` after its body", open.name),
        });
    }
    Ok(nodes)
}

fn scan(src: &str, code: &[Range<usize>]) -> Result<Vec<Token>, SyntaxError> {
    let bytes = src.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    let mut code_iter = code.iter().peekable();
    while i + 1 < bytes.len() {
        if bytes[i] != b'{' || (bytes[i + 1] != b'{' && bytes[i + 1] != b'%') {
            i += 1;
            continue;
        }
        while code_iter.peek().is_some_and(|r| r.end <= i) {
            code_iter.next();
        }
        if let Some(r) = code_iter.peek() {
            if r.contains(&i) {
                i = r.end;
                continue;
            }
        }
        let block = bytes[i + 1] == b'%';
        let mut p = Cursor { src, pos: i + 2 };
        p.skip_ws();
        let Some(name) = p.ident() else {
            i += 2;
            continue;
        };
        let close = if block { "%}" } else { "}}" };
        if block && name == "end" {
            p.skip_ws();
            p.expect(close, "expected `%}` to close `{% end`")?;
            tokens.push(Token::End(i..p.pos));
            i = p.pos;
            continue;
        }
        p.skip_ws();
        if !p.eat("(") {
            return Err(p.error(format!(
                "expected `(` after shortcode name `{name}`: write `{}{name}(){}`",
                if block { "{% " } else { "{{ " },
                if block { " %}" } else { " }}" }
            )));
        }
        let args = p.args(&name)?;
        p.skip_ws();
        if !p.eat(close) {
            let hint = if (block && p.rest().starts_with("}}")) || (!block && p.rest().starts_with("%}")) {
                format!(": a shortcode opened with `{}` must close with `{close}`", &src[i..i + 2])
            } else {
                String::new()
            };
            return Err(p.error(format!("expected `{close}` to close shortcode `{name}`{hint}")));
        }
        let call = Call { name, args, start: i, end: p.pos };
        tokens.push(if block { Token::Open(call) } else { Token::Inline(call) });
        i = p.pos;
    }
    Ok(tokens)
}

struct Cursor<'a> {
    src: &'a str,
    pos: usize,
}

impl Cursor<'_> {
    fn rest(&self) -> &str {
        &self.src[self.pos..]
    }
    fn skip_ws(&mut self) {
        let trimmed = self.rest().trim_start();
        self.pos = self.src.len() - trimmed.len();
    }
    fn eat(&mut self, s: &str) -> bool {
        if self.rest().starts_with(s) {
            self.pos += s.len();
            true
        } else {
            false
        }
    }
    fn expect(&mut self, s: &str, message: &str) -> Result<(), SyntaxError> {
        if self.eat(s) {
            Ok(())
        } else {
            Err(self.error(message.to_string()))
        }
    }
    fn error(&self, message: String) -> SyntaxError {
        SyntaxError { offset: self.pos, message }
    }
    fn ident(&mut self) -> Option<String> {
        let rest = self.rest();
        let first = rest.chars().next()?;
        if !(first.is_ascii_alphabetic() || first == '_') {
            return None;
        }
        let len = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '-')).unwrap_or(rest.len());
        let name = rest[..len].to_string();
        self.pos += len;
        Some(name)
    }

    fn args(&mut self, name: &str) -> Result<Map<String, Value>, SyntaxError> {
        let mut args = Map::new();
        loop {
            self.skip_ws();
            if self.eat(")") {
                return Ok(args);
            }
            let key_at = self.pos;
            let Some(key) = self.ident() else {
                return Err(self.error(format!("expected an argument name or `)` in shortcode `{name}`")));
            };
            self.skip_ws();
            if !self.eat("=") {
                return Err(self.error(format!("expected `=` after argument `{key}` of shortcode `{name}`")));
            }
            self.skip_ws();
            let value = self.value(&key)?;
            if args.insert(key.clone(), value).is_some() {
                return Err(SyntaxError { offset: key_at, message: format!("argument `{key}` is given twice") });
            }
            self.skip_ws();
            if self.eat(",") {
                continue;
            }
            if !self.rest().starts_with(')') {
                return Err(self.error(format!("expected `,` or `)` after argument `{key}` of shortcode `{name}`")));
            }
        }
    }

    fn value(&mut self, key: &str) -> Result<Value, SyntaxError> {
        let rest = self.rest();
        if let Some(q) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') {
            let start = self.pos;
            let mut out = String::new();
            let mut chars = rest[1..].char_indices();
            while let Some((i, c)) = chars.next() {
                if c == q {
                    self.pos += 1 + i + 1;
                    return Ok(Value::String(out));
                }
                if c == '\\' {
                    match chars.next() {
                        Some((_, 'n')) => out.push('\n'),
                        Some((_, 't')) => out.push('\t'),
                        Some((_, e @ ('\\' | '"' | '\''))) => out.push(e),
                        Some((j, other)) => {
                            return Err(SyntaxError {
                                offset: self.pos + 1 + j,
                                message: format!("unknown escape `\\{other}` in a string"),
                            })
                        }
                        None => break,
                    }
                } else {
                    out.push(c);
                }
            }
            return Err(SyntaxError { offset: start, message: format!("the string for argument `{key}` is never closed") });
        }
        let len = rest.find(|c: char| !(c.is_ascii_alphanumeric() || c == '.' || c == '-' || c == '+' || c == '_')).unwrap_or(rest.len());
        let word = &rest[..len];
        let value = match word {
            "true" => Some(Value::Bool(true)),
            "false" => Some(Value::Bool(false)),
            _ => word.parse::<i64>().ok().map(Value::from).or_else(|| word.parse::<f64>().ok().filter(|f| f.is_finite()).map(Value::from)),
        };
        match value {
            Some(v) if !word.is_empty() => {
                self.pos += len;
                Ok(v)
            }
            _ => Err(self.error(format!("argument `{key}` needs a value: a \"string\", a number, true or false"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn inline_and_block_shortcodes() {
        let src = "A {{ form(name=\"sign-up\", n=3, x=-1.5, f=true) }} B\n\n{% callout(kind=\"note\") %}\nBody {{ inner() }}\n{% end %}\n";
        let nodes = parse(src).unwrap();
        assert_eq!(nodes.len(), 2);
        let Node::Inline(c) = &nodes[0] else { panic!() };
        assert_eq!(c.name, "form");
        assert_eq!(Value::Object(c.args.clone()), json!({"name": "sign-up", "n": 3, "x": -1.5, "f": true}));
        assert_eq!(&src[c.start..c.end], "{{ form(name=\"sign-up\", n=3, x=-1.5, f=true) }}");
        let Node::Block { call, body, end } = &nodes[1] else { panic!() };
        assert_eq!(call.name, "callout");
        assert_eq!(&src[body.clone()], "\nBody {{ inner() }}\n");
        assert_eq!(&src[*end - 9..*end], "{% end %}");
    }

    #[test]
    fn nested_blocks_are_left_to_the_body() {
        let src = "{% a() %}\n{% b() %}\nx\n{% end %}\n{% end %}";
        let nodes = parse(src).unwrap();
        assert_eq!(nodes.len(), 1);
    }

    #[test]
    fn code_is_not_expanded() {
        let src = "`{{ a() }}` and\n\n```\n{% b() %}\n```\n\n    {{ c() }}\n";
        assert_eq!(parse(src).unwrap(), vec![]);
    }

    #[test]
    fn text_that_is_not_a_shortcode_is_left_alone() {
        assert_eq!(parse("a {{ 5 }} {%%} {{").unwrap(), vec![]);
    }

    #[test]
    fn errors() {
        let err = |s: &str| parse(s).unwrap_err();
        assert_eq!(err("x\n{% callout() %}\nbody\n").offset, 2);
        assert!(err("{% callout() %}").message.contains("never closed"));
        assert_eq!(err("a {% end %}").message, "`{% end %}` without an open block shortcode");
        assert_eq!(err("{{ form }}").offset, 8);
        assert_eq!(err("{{ form(name=\"x) }}").message, "the string for argument `name` is never closed");
        assert_eq!(err("{{ form(name=\"x\" n=1) }}").offset, 17);
        assert_eq!(err("{{ form(name=x) }}").message, "argument `name` needs a value: a \"string\", a number, true or false");
        assert_eq!(err("{{ form(a=1, a=2) }}").message, "argument `a` is given twice");
        assert!(err("{% form() }}").message.contains("must close with `%}`"));
    }
}
