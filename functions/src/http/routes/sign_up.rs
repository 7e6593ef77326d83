//! `POST /api/groups`: form a group.
use http::StatusCode;
use serde_json::json;

use super::{Req, Res};
use crate::app::access::personal_link;
use crate::app::sign_up::{self, SignUpError};
use crate::app::App;
use crate::domain::{Cpso, FieldError, GroupName, PracticeSetting, SignUp};
use crate::http::decode::{field, person, row_numbers};
use crate::http::error::ApiError;
use crate::http::input::{read_fields, Fields, Wants};
use crate::http::respond::{access_cookie, json, see_other, with_cookie};

const NOTHING_SAVED: &str = "Some answers need correcting; nothing was saved";

/// The form as a valid sign-up, or every field error; `peer_fields` gets the
/// CPSO field name of each peer kept, in order (to name them in conflicts).
fn decode(f: &Fields, peer_rows: &[usize], peer_fields: &mut Vec<String>) -> Result<SignUp, Vec<FieldError>> {
    let mut errors = Vec::new();
    let name = field(&mut errors, "group_name", GroupName::parse(f.get("group_name")));
    let setting = field(&mut errors, "practice_setting", PracticeSetting::parse(f.get("practice_setting")));
    let lead = person(f, "lead_", &mut errors);
    let mut peers = Vec::new();
    for &n in peer_rows {
        let p = format!("peer_{n}_");
        if ["cpso", "name", "email"].iter().all(|k| f.get(&format!("{p}{k}")).trim().is_empty()) {
            continue;
        }
        if let Some(d) = person(f, &p, &mut errors) {
            peers.push((n, d));
            peer_fields.push(format!("{p}cpso"));
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

fn not_invited(app: &App) -> FieldError {
    FieldError::new(
        "lead_cpso",
        format!(
            "This CPSO number is not on the QI Program's invitation list for the {} cycle: only an invited physician can form a group (peers need not be invited)",
            app.config.cycle
        ),
    )
}

pub async fn sign_up(app: &App, req: &Req, wants: Wants) -> Res {
    let f = read_fields(req)?;
    if !f.get("website").trim().is_empty() {
        return Err(ApiError::validation("This form could not be accepted", vec![FieldError::new("website", "Leave this field empty")]));
    }
    let peer_rows = row_numbers(&f, "peer")?;
    let mut peer_fields = Vec::new();
    let signup = match decode(&f, &peer_rows, &mut peer_fields) {
        Ok(s) => s,
        Err(mut errors) => {
            if let Ok(lead) = Cpso::parse(f.get("lead_cpso")) {
                if !sign_up::lead_is_invited(app, &lead).await? {
                    errors.push(not_invited(app));
                }
            }
            return Err(ApiError::validation(NOTHING_SAVED, errors));
        }
    };
    let fields_by_member: Vec<String> = std::iter::once("lead_cpso".to_string()).chain(peer_fields).collect();
    let members = signup.all_cpsos();
    let done = match sign_up::sign_up(app, signup).await {
        Ok(d) => d,
        Err(SignUpError::LeadNotInvited) => return Err(ApiError::validation(NOTHING_SAVED, vec![not_invited(app)])),
        Err(SignUpError::InOpenGroup(cpsos)) => return Err(in_open_group(&cpsos, &members, &fields_by_member)),
        Err(SignUpError::Failed(e)) => return Err(e.into()),
    };
    let cookie = access_cookie(Some(&done.lead_code.expose()), app.config.secure_cookies());
    let resp = match wants {
        Wants::Json => json(
            StatusCode::CREATED,
            &json!({
                "group_id": done.group.id.as_str(),
                "lead_link": personal_link(app, &done.lead_code),
                "status_url": format!("/api/groups/{}", done.group.id),
            }),
        ),
        Wants::Html => see_other("/groups/sign-up/done/"),
    };
    Ok(with_cookie(resp, &cookie))
}

/// 409 naming, under each one's CPSO field, the members already in an open
/// group. `members` are the sign-up's CPSO numbers, lead first, matching
/// `fields_by_member`.
fn in_open_group(taken: &[Cpso], members: &[Cpso], fields_by_member: &[String]) -> ApiError {
    let fields = members
        .iter()
        .zip(fields_by_member)
        .enumerate()
        .filter(|(_, (cpso, _))| taken.contains(cpso))
        .map(|(i, (_, f))| {
            let who = if i == 0 { "You are" } else { "This physician is" };
            FieldError::new(f.clone(), format!("{who} already in an open QI group: a physician can be in only one group at a time"))
        })
        .collect();
    ApiError::conflict("Someone named on this form is already in an open QI group; nothing was saved", fields)
}
