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
    /// The address on file: the only one the lead's link is ever sent to.
    pub email: Email,
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

/// Two entries of one list for the same (cycle, CPSO number).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("CPSO number {cpso} appears twice for cycle {cycle}")]
pub struct DuplicateInvitation {
    pub cpso: Cpso,
    pub cycle: Cycle,
}

impl InvitationList {
    pub fn new(entries: Vec<Invitation>) -> Result<Self, DuplicateInvitation> {
        let mut seen = BTreeSet::new();
        for e in &entries {
            if !seen.insert((e.cycle.clone(), e.cpso.clone())) {
                return Err(DuplicateInvitation { cpso: e.cpso.clone(), cycle: e.cycle.clone() });
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
    /// `cpso` and `email` required, the others optional). An empty or missing `cycle` means
    /// `default_cycle`. Every row is checked; any bad row means an error listing
    /// all of them, so nothing is imported half-way.
    pub fn parse_csv(text: &str, default_cycle: &Cycle) -> Result<InvitationList, Vec<RowError>> {
        let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).trim(csv::Trim::All).from_reader(text.as_bytes());
        let mut records = reader.records();
        let line_of = |r: &csv::StringRecord| r.position().map(|p| p.line() as usize).unwrap_or(1);
        let header = match records.next() {
            None => {
                return Err(vec![RowError { line: 1, message: "the file is empty: expected a header line cpso,name,email,cycle".into() }])
            }
            Some(Err(e)) => return Err(vec![csv_problem(&e)]),
            Some(Ok(h)) => h,
        };
        let hline = line_of(&header);
        let cols: Vec<String> = header.iter().map(|c| c.trim_start_matches('\u{feff}').trim().to_ascii_lowercase()).collect();
        let pos = |name: &str| cols.iter().position(|c| c == name);
        if pos("email").is_none() {
            return Err(vec![RowError {
                line: hline,
                message: format!(
                    "the header must name an `email` column: the address on file for each physician (found: {})",
                    cols.join(",")
                ),
            }]);
        }
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
        let mut errors = Vec::new();
        let mut entries = Vec::new();
        let mut seen = std::collections::BTreeMap::new();
        for record in records {
            let fields = match record {
                Ok(f) => f,
                Err(e) => {
                    errors.push(csv_problem(&e));
                    continue;
                }
            };
            let line = line_of(&fields);
            if fields.len() != cols.len() {
                errors.push(RowError { line, message: format!("expected {} columns, found {}", cols.len(), fields.len()) });
                continue;
            }
            let get = |c: Option<usize>| c.and_then(|i| fields.get(i)).unwrap_or("");
            let mut problems = Vec::new();
            let cpso = Cpso::parse(get(Some(cpso_col))).map_err(|e| problems.push(format!("cpso: {e}"))).ok();
            let name = match get(name_col) {
                "" => None,
                s => PersonName::parse(s).map_err(|e| problems.push(format!("name: {e}"))).ok(),
            };
            let email = match get(email_col) {
                "" => {
                    problems
                        .push("email: every invited physician needs the email address on file (the lead's link goes only there)".into());
                    None
                }
                s => Email::parse(s).map_err(|e| problems.push(format!("email: {e}"))).ok(),
            };
            let cycle = match get(cycle_col) {
                "" => Some(default_cycle.clone()),
                s => Cycle::parse(s).map_err(|e| problems.push(format!("cycle: {e}"))).ok(),
            };
            let (Some(cpso), Some(cycle), Some(email), true) = (cpso, cycle, email, problems.is_empty()) else {
                errors.push(RowError { line, message: problems.join("; ") });
                continue;
            };
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

/// A row the CSV reader could not read (e.g. not UTF-8), with its line.
fn csv_problem(e: &csv::Error) -> RowError {
    let line = e.position().map(|p| p.line() as usize).unwrap_or(1);
    let message = match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "the row is not valid UTF-8 text: save the file as CSV UTF-8".to_string(),
        _ => format!("the row could not be read as CSV: {e}"),
    };
    RowError { line, message }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cycle() -> Cycle {
        Cycle::parse("2026").unwrap()
    }

    #[test]
    fn parses_good_csv() {
        let csv = "cpso,name,email,cycle\n12345,\"Lee, Ada\",ada@example.org,2026\n\n777,,b@example.org,\n";
        let l = InvitationList::parse_csv(csv, &cycle()).unwrap();
        assert_eq!(l.len(), 2);
        assert_eq!(l.entries()[0].name.as_ref().unwrap().as_str(), "Lee, Ada");
        assert_eq!(l.entries()[1].cycle, cycle());
        assert_eq!(l.entries()[1].email.as_str(), "b@example.org");
    }

    #[test]
    fn reports_every_bad_row_with_line() {
        let csv = "cpso,name,email,cycle\n12a,A,a@example.org,2026\n5,B,not-an-email,2026\n6,C\n7,D,d@example.org,20 26\n8,E,e@example.org,\n8,F,f@example.org,\n9,G,,\n";
        let e = InvitationList::parse_csv(csv, &cycle()).unwrap_err();
        let lines: Vec<_> = e.iter().map(|e| e.line).collect();
        assert_eq!(lines, vec![2, 3, 4, 5, 7, 8]);
        assert!(e[0].message.contains("cpso"));
        assert!(e[1].message.contains("email"));
        assert!(e[2].message.contains("columns"));
        assert!(e[3].message.contains("cycle"));
        assert!(e[4].message.contains("line 6"));
        assert!(e[5].message.contains("address on file"), "a row without an email is an error");
    }

    #[test]
    fn header_required() {
        assert!(InvitationList::parse_csv("", &cycle()).is_err());
        assert!(InvitationList::parse_csv("12345,A,a@example.org,2026\n", &cycle()).is_err());
        assert!(InvitationList::parse_csv("cpso,phone\n1,2\n", &cycle()).is_err());
        assert_eq!(InvitationList::parse_csv("\u{feff}CPSO,Email\n1,a@example.org\n", &cycle()).unwrap().len(), 1);
        assert!(InvitationList::parse_csv("cpso\n1\n", &cycle()).unwrap_err()[0].message.contains("email"));
    }

    #[test]
    fn csv_quoting() {
        let l = InvitationList::parse_csv("cpso,name,email\r\n5,\"Lee \"\"Doc\"\" Ada\",a@example.org\r\n", &cycle()).unwrap();
        assert_eq!(l.entries()[0].name.as_ref().unwrap().as_str(), "Lee \"Doc\" Ada");
        // An unclosed quote swallows the line break: the row is refused, not half read.
        let e = InvitationList::parse_csv("cpso,name,email\n5,\"Lee\n6,B,b@example.org\n", &cycle()).unwrap_err();
        assert_eq!(e[0].line, 2);
        let e = InvitationList::parse_csv(&format!("cpso,name,email\n5,{},a@example.org\n", "\u{1}"), &cycle()).unwrap_err();
        assert_eq!(e[0].line, 2);
    }
}
