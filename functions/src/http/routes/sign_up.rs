//! `POST /api/groups`: propose a group. The answer is the same whether or
//! not the lead is invited (and never carries a code, link or cookie); only
//! the form's own mistakes are reported.
use http::StatusCode;
use serde_json::json;

use super::{Req, Res};
use crate::app::sign_up;
use crate::app::App;
use crate::domain::{FieldError, GroupName, PracticeSetting, SignUp};
use crate::http::decode::{field, lead, person, row_numbers};
use crate::http::error::ApiError;
use crate::http::input::{read_fields, Fields, Wants};
use crate::http::respond::{json, see_other};

const NOTHING_SAVED: &str = "Some answers need correcting; nothing was sent";

/// What every well-formed sign-up is told.
pub const SIGN_UP_ANSWER: &str =
    "If this CPSO number is on this cycle's invitation list, we have emailed the physician at the address on file.";

/// The form as a valid sign-up, or every field error.
fn decode(f: &Fields, peer_rows: &[usize]) -> Result<SignUp, Vec<FieldError>> {
    let mut errors = Vec::new();
    let name = field(&mut errors, "group_name", GroupName::parse(f.get("group_name")));
    let setting = field(&mut errors, "practice_setting", PracticeSetting::parse(f.get("practice_setting")));
    let lead = lead(f, &mut errors);
    let mut peers = Vec::new();
    for &n in peer_rows {
        let p = format!("peer_{n}_");
        if ["cpso", "name", "email"].iter().all(|k| f.get(&format!("{p}{k}")).trim().is_empty()) {
            continue;
        }
        if let Some(d) = person(f, &p, &mut errors) {
            peers.push((n, d));
        }
    }
    let peer_errors = errors.iter().any(|e| e.field.starts_with("peer_"));
    match (name, setting, lead) {
        (Some(name), Some(setting), Some(lead)) => match SignUp::new(name, setting, lead, peers.clone()) {
            Ok(s) if errors.is_empty() => return Ok(s),
            Ok(_) => {}
            // "Add a peer" is noise when a peer row was entered but has errors.
            Err(es) => errors.extend(es.into_iter().filter(|e| !(peer_errors && e.field == "peer_1_cpso" && peers.is_empty()))),
        },
        _ if peers.is_empty() && !peer_errors => {
            errors.push(FieldError::new("peer_1_cpso", "Add at least one peer: a group is a lead and 1 to 6 peers"))
        }
        _ => {}
    }
    Err(errors)
}

pub async fn sign_up(app: &App, req: &Req, wants: Wants) -> Res {
    let f = read_fields(req)?;
    if !f.get("website").trim().is_empty() {
        return Err(ApiError::validation("This form could not be accepted", vec![FieldError::new("website", "Leave this field empty")]));
    }
    if !f.get("lead_email").trim().is_empty() {
        return Err(ApiError::validation(
            NOTHING_SAVED,
            vec![FieldError::new(
                "lead_email",
                "The lead's email is not asked for: we write only to the address on the program's invitation list",
            )],
        ));
    }
    let peer_rows = row_numbers(&f, "peer")?;
    let signup = decode(&f, &peer_rows).map_err(|errors| ApiError::validation(NOTHING_SAVED, errors))?;
    if let Some(why) = sign_up::sign_up(app, signup).await? {
        // Logged by kind only; the caller is told the same as everyone.
        tracing::info!(skipped = why.as_str(), "sign-up without a proposal");
    }
    match wants {
        Wants::Json => Ok(json(StatusCode::ACCEPTED, &json!({ "message": SIGN_UP_ANSWER }))),
        Wants::Html => Ok(see_other("/groups/sign-up/check-your-email/")),
    }
}
