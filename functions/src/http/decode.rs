//! Form fields into domain values: each field's problem is reported under
//! its own name, so a form lists every error at once.
use std::collections::BTreeSet;

use super::error::ApiError;
use super::input::Fields;
use crate::domain::{
    values, Cpso, Email, FieldError, GoalInput, Invalid, Language, LeadDetails, PersonDetails, PersonName, PipDraft, Text,
};

/// `r`'s value, or its message recorded under `name`.
pub fn field<T>(errors: &mut Vec<FieldError>, name: &str, r: Result<T, Invalid>) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(e) => {
            errors.push(FieldError::invalid(name, e));
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
                            Text::new(format!("Unexpected field {key}"), format!("Champ inattendu\u{a0}: {key}")),
                            vec![FieldError::tr(
                                key.clone(),
                                "out_of_range",
                                "Rows are numbered from 1",
                                "Les lignes sont numérotées à partir de 1",
                            )],
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
        _ => Err(Invalid::tr("invalid_format", "Say true (done) or false (not done)", "Indiquez true (terminée) ou false (non terminée)")),
    }
}

/// A completion date, required when the activity is done.
pub fn completion_date(f: &Fields, errors: &mut Vec<FieldError>) -> Option<chrono::NaiveDate> {
    if f.get("completed_on").trim().is_empty() {
        errors.push(FieldError::tr(
            "completed_on",
            "required",
            "Enter the date you finished this activity",
            "Inscrivez la date à laquelle vous avez terminé cette activité",
        ));
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
    PipDraft::parse(f.get("strengths"), f.get("improvements"), goals).map_err(|e| {
        ApiError::validation(
            Text::new("The plan could not be saved; nothing was changed", "Le plan n’a pas pu être enregistré; rien n’a été modifié"),
            e,
        )
    })
}

/// A plain form post from one of the server-rendered pages (hidden field
/// `from=page`): the answer goes back to that page.
pub fn from_page(f: &Fields) -> bool {
    f.get("from") == "page"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_are_said_in_both_languages_under_their_field() {
        let mut f = Fields::default();
        f.insert("done", "maybe");
        let mut errors = Vec::new();
        assert_eq!(field(&mut errors, "done", done(f.get("done"))), None);
        assert_eq!(completion_date(&f, &mut errors), None);
        assert_eq!(errors[0].field, "done");
        assert_eq!(errors[0].code, "invalid_format");
        assert_eq!(errors[0].message, "Say true (done) or false (not done)");
        assert_eq!(errors[0].fr, "Indiquez true (terminée) ou false (non terminée)");
        assert_eq!((errors[1].field.as_str(), errors[1].code.as_str()), ("completed_on", "required"));
        assert_eq!(errors[1].fr, "Inscrivez la date à laquelle vous avez terminé cette activité");

        f.insert("goal_0_aim", "x");
        let Err(e) = row_numbers(&f, "goal") else { panic!("row 0 accepted") };
        assert_eq!(e.fields()[0].code, "out_of_range");
        assert_eq!(e.fields()[0].fr, "Les lignes sont numérotées à partir de 1");
        assert_eq!(e.message(Language::Fr), "Champ inattendu\u{a0}: goal_0_aim");
    }
}
