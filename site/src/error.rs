//! Problems a content author (or template author) can cause, each tied to a
//! place in a file so the message can say `file:line:col`.
use std::fmt;

/// One problem found while loading, checking or rendering the site.
///
/// `file` is relative to the site root (`content/groups/forming.md`); `line`
/// and `col` are 1-based (columns count characters), or 0 when the problem
/// belongs to a whole file (or to no file at all, when `file` is empty).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Problem {
    pub file: String,
    pub line: usize,
    pub col: usize,
    pub message: String,
}

impl Problem {
    pub fn at(file: impl Into<String>, line: usize, col: usize, message: impl Into<String>) -> Self {
        Problem { file: file.into(), line, col, message: message.into() }
    }

    /// A problem with a file as a whole (no useful position inside it).
    pub fn in_file(file: impl Into<String>, message: impl Into<String>) -> Self {
        Problem { file: file.into(), line: 0, col: 0, message: message.into() }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.file.is_empty(), self.line) {
            (true, _) => write!(f, "{}", self.message),
            (false, 0) => write!(f, "{}: {}", self.file, self.message),
            (false, _) => write!(f, "{}:{}:{}: {}", self.file, self.line, self.col, self.message),
        }
    }
}

/// Everything that went wrong in one build, sorted by place.
#[derive(Debug, Clone, Default)]
pub struct Problems(pub Vec<Problem>);

impl Problems {
    pub fn sorted(mut self) -> Self {
        self.0.sort();
        self.0.dedup();
        self
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn iter(&self) -> impl Iterator<Item = &Problem> {
        self.0.iter()
    }
}

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, p) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{p}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Problems {}

/// The problems of a build, sorted by place and without repeats.
pub(crate) fn fail(problems: Vec<Problem>) -> Problems {
    Problems(problems).sorted()
}

/// A source file's text with a line index, to turn byte offsets into
/// `line:col` positions.
#[derive(Debug)]
pub struct SourceText {
    /// Path relative to the site root, used in messages.
    pub name: String,
    pub text: String,
    line_starts: Vec<usize>,
}

impl SourceText {
    pub fn new(name: impl Into<String>, text: String) -> Self {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
        SourceText { name: name.into(), text, line_starts }
    }

    /// 1-based line and column (in characters) of a byte offset.
    pub fn position(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line];
        let mut end = offset;
        while !self.text.is_char_boundary(end) {
            end -= 1;
        }
        let col = self.text[start..end].chars().count() + 1;
        (line + 1, col)
    }

    pub fn problem(&self, offset: usize, message: impl Into<String>) -> Problem {
        let (line, col) = self.position(offset);
        Problem::at(self.name.clone(), line, col, message)
    }
}

/// The message of an error and every cause under it, joined with `: `
/// (tera puts the useful part of a template error in its causes).
pub fn error_chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string().trim_end().to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        let text = cause.to_string().trim_end().to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = cause.source();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_are_one_based_and_count_characters() {
        let s = SourceText::new("a.md", "ab\ncé d\n".to_string());
        assert_eq!(s.position(0), (1, 1));
        assert_eq!(s.position(3), (2, 1));
        // 'é' is two bytes but one column.
        assert_eq!(s.position(6), (2, 3));
        assert_eq!(s.problem(6, "x").to_string(), "a.md:2:3: x");
    }

    #[test]
    fn problems_display_with_and_without_positions() {
        assert_eq!(Problem::in_file("site.toml", "m").to_string(), "site.toml: m");
        assert_eq!(Problem::at("", 0, 0, "m").to_string(), "m");
    }
}
