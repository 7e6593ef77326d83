//! The invitation list: physicians invited to the QI Program for a cycle.
//! A group's lead must be on it for the current cycle.
use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use super::values::{Cpso, Cycle, Email, PersonName};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invitation {
    pub cycle: Cycle,
    pub cpso: Cpso,
    pub name: Option<PersonName>,
    pub email: Option<Email>,
}

/// A validated list, ready to import: no two entries for the same
/// (cycle, CPSO number).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InvitationList {
    entries: Vec<Invitation>,
}

/// A rejected CSV row: 1-based line number and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowError {
    pub line: usize,
    pub message: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl InvitationList {
    pub fn new(entries: Vec<Invitation>) -> Result<Self, String> {
        let mut seen = BTreeSet::new();
        for e in &entries {
            if !seen.insert((e.cycle.clone(), e.cpso.clone())) {
                return Err(format!("CPSO number {} appears twice for cycle {}", e.cpso, e.cycle));
            }
        }
        Ok(InvitationList { entries })
    }

    pub fn entries(&self) -> &[Invitation] {
        &self.entries
    }
    pub fn len(&self) -> usize {
        self.entries.len()
    }
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Parse CSV with the header `cpso,name,email,cycle` (columns in any order;
    /// `cpso` required, the others optional). An empty or missing `cycle` means
    /// `default_cycle`. Every row is checked; any bad row means an error listing
    /// all of them, so nothing is imported half-way.
    pub fn parse_csv(text: &str, default_cycle: &Cycle) -> Result<InvitationList, Vec<RowError>> {
        let mut errors = Vec::new();
        let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l.trim_end_matches('\r')));
        let header = loop {
            match lines.next() {
                None => {
                    return Err(vec![RowError {
                        line: 1,
                        message: "the file is empty: expected a header line cpso,name,email,cycle".into(),
                    }])
                }
                Some((_, l)) if l.trim().is_empty() => continue,
                Some((n, l)) => break (n, l),
            }
        };
        let (hline, htext) = header;
        let cols: Vec<String> = match split_csv_line(htext) {
            Ok(c) => c.into_iter().map(|c| c.trim().trim_start_matches('\u{feff}').to_ascii_lowercase()).collect(),
            Err(m) => return Err(vec![RowError { line: hline, message: m }]),
        };
        let pos = |name: &str| cols.iter().position(|c| c == name);
        let Some(cpso_col) = pos("cpso") else {
            return Err(vec![RowError {
                line: hline,
                message: format!("the header must name a `cpso` column (found: {})", cols.join(",")),
            }]);
        };
        if let Some(unknown) = cols.iter().find(|c| !["cpso", "name", "email", "cycle"].contains(&c.as_str())) {
            return Err(vec![RowError { line: hline, message: format!("unknown column `{unknown}`: expected cpso,name,email,cycle") }]);
        }
        let (name_col, email_col, cycle_col) = (pos("name"), pos("email"), pos("cycle"));
        let mut entries = Vec::new();
        let mut seen = std::collections::BTreeMap::new();
        for (line, l) in lines {
            if l.trim().is_empty() {
                continue;
            }
            let fields = match split_csv_line(l) {
                Ok(f) => f,
                Err(m) => {
                    errors.push(RowError { line, message: m });
                    continue;
                }
            };
            if fields.len() != cols.len() {
                errors.push(RowError { line, message: format!("expected {} columns, found {}", cols.len(), fields.len()) });
                continue;
            }
            let get = |c: Option<usize>| c.map(|i| fields[i].trim()).unwrap_or("");
            let mut problems = Vec::new();
            let cpso = Cpso::parse(&fields[cpso_col]).map_err(|e| problems.push(format!("cpso: {e}"))).ok();
            let name = match get(name_col) {
                "" => None,
                s => PersonName::parse(s).map_err(|e| problems.push(format!("name: {e}"))).ok(),
            };
            let email = match get(email_col) {
                "" => None,
                s => Email::parse(s).map_err(|e| problems.push(format!("email: {e}"))).ok(),
            };
            let cycle = match get(cycle_col) {
                "" => Some(default_cycle.clone()),
                s => Cycle::parse(s).map_err(|e| problems.push(format!("cycle: {e}"))).ok(),
            };
            if !problems.is_empty() {
                errors.push(RowError { line, message: problems.join("; ") });
                continue;
            }
            let (cpso, cycle) = (cpso.unwrap(), cycle.unwrap());
            if let Some(first) = seen.insert((cycle.clone(), cpso.clone()), line) {
                errors.push(RowError { line, message: format!("CPSO number {cpso} is already on line {first} for cycle {cycle}") });
                continue;
            }
            entries.push(Invitation { cycle, cpso, name, email });
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(InvitationList { entries })
    }
}

/// Split one CSV line (RFC 4180 quoting within a line; no embedded newlines).
fn split_csv_line(line: &str) -> Result<Vec<String>, String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut chars = line.chars().peekable();
    let mut in_quotes = false;
    let mut was_quoted = false;
    while let Some(c) = chars.next() {
        if in_quotes {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    cur.push('"');
                    chars.next();
                } else {
                    in_quotes = false;
                }
            } else {
                cur.push(c);
            }
        } else if c == ',' {
            out.push(std::mem::take(&mut cur));
            was_quoted = false;
        } else if c == '"' && cur.trim().is_empty() && !was_quoted {
            cur.clear();
            in_quotes = true;
            was_quoted = true;
        } else if c == '"' {
            return Err("a quote (\") in the middle of a field: quote the whole field and double inner quotes".into());
        } else {
            cur.push(c);
        }
    }
    if in_quotes {
        return Err("a quoted field is not closed".into());
    }
    out.push(cur);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cycle() -> Cycle {
        Cycle::parse("2026").unwrap()
    }

    #[test]
    fn parses_good_csv() {
        let csv = "cpso,name,email,cycle\n12345,\"Lee, Ada\",ada@example.org,2026\n\n777,,,\n";
        let l = InvitationList::parse_csv(csv, &cycle()).unwrap();
        assert_eq!(l.len(), 2);
        assert_eq!(l.entries()[0].name.as_ref().unwrap().as_str(), "Lee, Ada");
        assert_eq!(l.entries()[1].cycle, cycle());
        assert!(l.entries()[1].email.is_none());
    }

    #[test]
    fn reports_every_bad_row_with_line() {
        let csv = "cpso,name,email,cycle\n12a,A,a@example.org,2026\n5,B,not-an-email,2026\n6,C\n7,D,d@example.org,20 26\n8,E,,\n8,F,,\n";
        let e = InvitationList::parse_csv(csv, &cycle()).unwrap_err();
        let lines: Vec<_> = e.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![2, 3, 4, 5, 7]);
        assert!(e[0].message.contains("cpso"));
        assert!(e[1].message.contains("email"));
        assert!(e[2].message.contains("columns"));
        assert!(e[3].message.contains("cycle"));
        assert!(e[4].message.contains("line 6"));
    }

    #[test]
    fn header_required() {
        assert!(InvitationList::parse_csv("", &cycle()).is_err());
        assert!(InvitationList::parse_csv("12345,A,a@example.org,2026\n", &cycle()).is_err());
        assert!(InvitationList::parse_csv("cpso,phone\n1,2\n", &cycle()).is_err());
        assert_eq!(InvitationList::parse_csv("\u{feff}CPSO\n1\n", &cycle()).unwrap().len(), 1);
    }

    #[test]
    fn csv_quoting() {
        assert_eq!(split_csv_line(r#"a,"b ""c""",d"#).unwrap(), vec!["a", "b \"c\"", "d"]);
        assert!(split_csv_line(r#"a,"b"#).is_err());
        assert!(split_csv_line(r#"a,b"c"#).is_err());
    }
}
