//! Form fields into domain values: each field's problem is reported under
//! its own name, so a form lists every error at once.
use std::collections::BTreeSet;

use super::error::ApiError;
use super::input::Fields;
use crate::domain::{values, Cpso, Email, FieldError, GoalInput, Invalid, Language, LeadDetails, PersonDetails, PersonName, PipDraft};

/// `r`'s value, or its message recorded under `name`.
pub fn field<T>(errors: &mut Vec<FieldError>, name: &str, r: Result<T, Invalid>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(e) => {
            errors.push(FieldError::new(name, e.0));
            None
        }
    }
}

/// One person's four fields (`{prefix}cpso`, `name`, `email`, `language`).
pub fn person(f: &Fields, prefix: &str, errors: &mut Vec<FieldError>) -> Option<PersonDetails> {
    let k = |s: &str| format!("{prefix}{s}");
    let cpso = field(errors, &k("cpso"), Cpso::parse(f.get(&k("cpso"))));
    let name = field(errors, &k("name"), PersonName::parse(f.get(&k("name"))));
    let email = field(errors, &k("email"), Email::parse(f.get(&k("email"))));
    let language = field(errors, &k("language"), Language::parse(f.get(&k("language"))));
    Some(PersonDetails { cpso: cpso?, name: name?, email: email?, language: language? })
}

/// The lead's three fields (`lead_cpso`, `lead_name`, `lead_language`): no
/// email, which comes from the invitation list.
pub fn lead(f: &Fields, errors: &mut Vec<FieldError>) -> Option<LeadDetails> {
    let cpso = field(errors, "lead_cpso", Cpso::parse(f.get("lead_cpso")));
    let name = field(errors, "lead_name", PersonName::parse(f.get("lead_name")));
    let language = field(errors, "lead_language", Language::parse(f.get("lead_language")));
    Some(LeadDetails { cpso: cpso?, name: name?, language: language? })
}

/// The row numbers present in the fields (any `{noun}_N_*` key), ascending.
pub fn row_numbers(f: &Fields, noun: &str) -> Result<Vec<usize>, ApiError> {
    let mut rows = BTreeSet::new();
    for key in f.keys() {
        if let Some(rest) = key.strip_prefix(noun).and_then(|r| r.strip_prefix('_')) {
            if let Some((n, _)) = rest.split_once('_') {
                if let Ok(n) = n.parse::<usize>() {
                    if n == 0 || n > 50 {
                        return Err(ApiError::validation(
                            format!("Unexpected field {key}"),
                            vec![FieldError::new(key.clone(), "Rows are numbered from 1")],
                        ));
                    }
                    rows.insert(n);
                }
            }
        }
    }
    Ok(rows.into_iter().collect())
}

/// A check-off's `done` field (absent means done).
pub fn done(s: &str) -> Result<bool, Invalid> {
    match s.trim().to_ascii_lowercase().as_str() {
        "" | "true" | "on" | "1" | "yes" => Ok(true),
        "false" | "off" | "0" | "no" => Ok(false),
        _ => Err(Invalid::new("Say true (done) or false (not done)")),
    }
}

/// A completion date, required when the activity is done.
pub fn completion_date(f: &Fields, errors: &mut Vec<FieldError>) -> Option<chrono::NaiveDate> {
    if f.get("completed_on").trim().is_empty() {
        errors.push(FieldError::new("completed_on", "Enter the date you finished this activity"));
        return None;
    }
    field(errors, "completed_on", values::parse_date(f.get("completed_on")))
}

/// Whether the fields carry a plan (any of its sections or goals).
pub fn has_pip_fields(f: &Fields) -> bool {
    f.keys().any(|k| k == "strengths" || k == "improvements" || k.starts_with("goal_"))
}

/// The plan in the fields, shape-checked (lengths, dates, kinds).
pub fn pip_draft(f: &Fields) -> Result<PipDraft, ApiError> {
    let mut goals = Vec::new();
    for n in row_numbers(f, "goal")? {
        let g = |k: &str| f.get(&format!("goal_{n}_{k}")).to_string();
        goals.push((
            n,
            GoalInput {
                kind: g("kind"),
                aim: g("aim"),
                measure: g("measure"),
                baseline: g("baseline"),
                target: g("target"),
                target_date: g("target_date"),
                change_ideas: g("change_ideas"),
                id: g("id"),
                measure_kind: g("measure_kind"),
                measure_unit: g("measure_unit"),
                measure_counted: g("measure_counted"),
                measure_source: g("measure_source"),
                measure_source_other: g("measure_source_other"),
                measure_sampling: g("measure_sampling"),
                measure_period: g("measure_period"),
                measure_direction: g("measure_direction"),
                baseline_value: g("baseline_value"),
                target_value: g("target_value"),
            },
        ));
    }
    PipDraft::parse(f.get("strengths"), f.get("improvements"), goals)
        .map_err(|e| ApiError::validation("The plan could not be saved; nothing was changed", e))
}

/// A plain form post from one of the server-rendered pages (hidden field
/// `from=page`): the answer goes back to that page.
pub fn from_page(f: &Fields) -> bool {
    f.get("from") == "page"
}
