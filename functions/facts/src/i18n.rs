//! Translation files: one TOML file per language (`en.toml`, `fr.toml`) of
//! nested tables of strings, read by the generator's and the functions'
//! templates through `t(key="nav.home")`. A string may hold `{name}`
//! placeholders, filled from the call's other arguments
//! (`t(key="pip.goal", n=2)`).
//!
//! Written by hand rather than with Fluent or gettext: the templates need a
//! key lookup, placeholders and, for authors, the line of every key (so a
//! missing translation is reported where it is), which TOML and a line scan
//! give without a second file format.
use std::collections::{BTreeMap, HashMap};

/// One language's strings, by dotted key, with the line each is on.
#[derive(Debug, Clone, Default)]
pub struct Strings {
    map: BTreeMap<String, (String, usize)>,
}

impl Strings {
    /// Parse a translation file. An error is `(line, message)`.
    pub fn parse(text: &str) -> Result<Strings, (usize, String)> {
        let table: toml::Table = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| text[..s.start].matches('\n').count() + 1).unwrap_or(1);
            (line, e.message().to_string())
        })?;
        let lines = key_lines(text);
        let mut map = BTreeMap::new();
        flatten("", &table, &lines, &mut map)?;
        Ok(Strings { map })
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.map.get(key).map(|(t, _)| t.as_str())
    }

    /// The line `key` is defined on (1 if not found).
    pub fn line_of(&self, key: &str) -> usize {
        self.map.get(key).map(|(_, l)| *l).unwrap_or(1)
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.map.keys().map(String::as_str)
    }

    /// What a template's `t(key="…", name=…)` gives: the string for `key`,
    /// each `{name}` filled from the call's other arguments (the site's and
    /// the functions' templates both call this).
    pub fn translate(&self, args: &HashMap<String, serde_json::Value>) -> Result<String, String> {
        let key = args.get("key").and_then(serde_json::Value::as_str).ok_or("t needs a `key` argument, such as t(key=\"nav.home\")")?;
        let text = self.get(key).ok_or_else(|| format!("t: there is no `{key}`"))?;
        let values: HashMap<String, String> = args
            .iter()
            .filter(|(k, _)| *k != "key")
            .map(|(k, v)| (k.clone(), v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())))
            .collect();
        fill(text, &values).map_err(|m| format!("t(key=\"{key}\"): {m}"))
    }

    /// What `t_all(prefix="js")` gives: every string under `prefix.`, by the
    /// rest of its key (the browser scripts' strings).
    pub fn under(&self, prefix: &str) -> serde_json::Map<String, serde_json::Value> {
        let prefix = format!("{prefix}.");
        self.map.iter().filter_map(|(k, (text, _))| k.strip_prefix(&prefix).map(|rest| (rest.to_string(), text.clone().into()))).collect()
    }

    /// Add every string of `other` (the functions' own strings over the site's).
    pub fn extend(&mut self, other: Strings) {
        self.map.extend(other.map);
    }
}

fn flatten(
    prefix: &str,
    table: &toml::Table,
    lines: &HashMap<String, usize>,
    out: &mut BTreeMap<String, (String, usize)>,
) -> Result<(), (usize, String)> {
    for (k, v) in table {
        let key = if prefix.is_empty() { k.clone() } else { format!("{prefix}.{k}") };
        match v {
            toml::Value::String(s) => {
                out.insert(key.clone(), (s.clone(), lines.get(&key).copied().unwrap_or(1)));
            }
            toml::Value::Table(t) => flatten(&key, t, lines, out)?,
            _ => return Err((lines.get(&key).copied().unwrap_or(1), format!("`{key}` must be a string or a table of strings"))),
        }
    }
    Ok(())
}

/// The line of every `key = ` under its `[table]` header (the files are
/// tables of plain keys, as this project writes them).
fn key_lines(text: &str) -> HashMap<String, usize> {
    let mut out = HashMap::new();
    let mut table = String::new();
    for (n, line) in text.lines().enumerate() {
        let l = line.trim();
        if let Some(h) = l.strip_prefix('[').and_then(|r| r.split(']').next()) {
            table = h.trim().to_string();
            continue;
        }
        if let Some((k, _)) = l.split_once('=') {
            let k = k.trim().trim_matches('"');
            if !k.is_empty() && !k.starts_with('#') {
                let key = if table.is_empty() { k.to_string() } else { format!("{table}.{k}") };
                out.entry(key).or_insert(n + 1);
            }
        }
    }
    out
}

/// `text` with each `{name}` replaced by `args[name]`; `{{` is a literal `{`.
pub fn fill(text: &str, args: &HashMap<String, String>) -> Result<String, String> {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('{') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        if let Some(stripped) = after.strip_prefix('{') {
            out.push('{');
            rest = stripped;
            continue;
        }
        let Some(end) = after.find('}') else {
            return Err(format!("an unclosed `{{` in \"{text}\""));
        };
        let name = &after[..end];
        match args.get(name) {
            Some(v) => out.push_str(v),
            None => return Err(format!("the string \"{text}\" needs the argument `{name}`")),
        }
        rest = &after[end + 1..];
    }
    out.push_str(rest);
    Ok(out)
}

/// Every `t(key="…")` a template calls, as (key, line, column), 1-based.
pub fn keys_used(template: &str) -> Vec<(String, usize, usize)> {
    let mut out = Vec::new();
    for (n, line) in template.lines().enumerate() {
        let mut from = 0;
        while let Some(i) = line[from..].find("t(key=") {
            let at = from + i;
            from = at + 6;
            // `t(` as a whole name, not the end of `get_url(` or `set(`.
            if line[..at].chars().next_back().is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            let rest = &line[at + 6..];
            let Some(q) = rest.chars().next().filter(|c| *c == '"' || *c == '\'') else { continue };
            if let Some(end) = rest[1..].find(q) {
                out.push((rest[1..1 + end].to_string(), n + 1, line[..at].chars().count() + 1));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nested_tables_become_dotted_keys_with_their_lines() {
        let s = Strings::parse("# c\n[nav]\nhome = \"Home\"\nsearch = \"Search\"\n\n[pip.goal]\nheading = \"Goal {n}\"\n").unwrap();
        assert_eq!(s.get("nav.home"), Some("Home"));
        assert_eq!(s.line_of("nav.search"), 4);
        assert_eq!(s.line_of("pip.goal.heading"), 7);
        assert_eq!(s.keys().count(), 3);
        let err = Strings::parse("[nav]\nhome = 3\n").unwrap_err();
        assert_eq!(err.0, 2);
        assert!(Strings::parse("[nav\n").is_err());
    }

    #[test]
    fn template_calls_are_answered() {
        let s = Strings::parse("[pip]\ngoal = \"Goal {n}\"\n[js]\na = \"A\"\nb = \"B\"\n").unwrap();
        let args = |pairs: &[(&str, serde_json::Value)]| pairs.iter().map(|(k, v)| (k.to_string(), v.clone())).collect();
        assert_eq!(s.translate(&args(&[("key", "pip.goal".into()), ("n", 2.into())])).unwrap(), "Goal 2");
        assert!(s.translate(&args(&[("key", "pip.nope".into())])).unwrap_err().contains("no `pip.nope`"));
        assert!(s.translate(&args(&[("key", "pip.goal".into())])).unwrap_err().contains("`n`"));
        assert!(s.translate(&args(&[])).unwrap_err().contains("needs a `key`"));
        let js = s.under("js");
        assert_eq!((js.len(), js["a"].as_str(), js["b"].as_str()), (2, Some("A"), Some("B")));
    }

    #[test]
    fn placeholders_are_filled_or_reported() {
        let args = HashMap::from([("n".to_string(), "2".to_string())]);
        assert_eq!(fill("Goal {n}", &args).unwrap(), "Goal 2");
        assert_eq!(fill("a {{literal} b", &args).unwrap(), "a {literal} b");
        assert!(fill("Goal {m}", &args).unwrap_err().contains("`m`"));
    }

    #[test]
    fn keys_used_are_found_with_their_place() {
        let t = "<a>{{ t(key=\"nav.home\") }}</a>\n  {{ get_url(key='x') }} {{ t(key='b.c', n=1) }}";
        assert_eq!(keys_used(t), vec![("nav.home".into(), 1, 7), ("b.c".into(), 2, 29)]);
    }
}
