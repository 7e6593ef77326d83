//! `POST /api/groups`: propose a group. The answer is the same whether or
//! not the lead is invited (and never carries a code, link or cookie); only
//! the form's own mistakes are reported.
use http::StatusCode;
use serde_json::json;

use super::{Req, Res};
use crate::app::sign_up;
use crate::app::App;
use crate::domain::{FieldError, GroupName, Language, PracticeSetting, SignUp, Text};
use crate::http::decode::{field, lead, person, row_numbers};
use crate::http::error::ApiError;
use crate::http::input::{read_fields, Fields, Wants};
use crate::http::lang;
use crate::http::respond::{json, see_other};

fn nothing_sent() -> Text {
    Text::new("Some answers need correcting; nothing was sent", "Certaines réponses doivent être corrigées; rien n’a été envoyé")
}

/// What every well-formed sign-up is told.
pub const SIGN_UP_ANSWER: &str =
    "If this CPSO number is on this cycle's invitation list, we have emailed the physician at the address on file.";
/// [`SIGN_UP_ANSWER`] in French.
pub const SIGN_UP_ANSWER_FR: &str =
    "Si ce numéro d’inscription à l’OMCO figure sur la liste d’invitation de ce cycle-ci, nous avons écrit au médecin à l’adresse courriel qui figure à son dossier.";

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
        _ if peers.is_empty() && !peer_errors => errors.push(FieldError::tr(
            "peer_1_cpso",
            "too_few",
            "Add at least one peer: a group is a lead and 1 to 6 peers",
            "Ajoutez au moins une ou un collègue\u{a0}: un groupe compte une personne responsable et de 1 à 6 collègues",
        )),
        _ => {}
    }
    Err(errors)
}

pub async fn sign_up(app: &App, req: &Req, wants: Wants) -> Res {
    let f = read_fields(req)?;
    if !f.get("website").trim().is_empty() {
        return Err(ApiError::validation(
            Text::new("This form could not be accepted", "Ce formulaire n’a pas pu être accepté"),
            vec![FieldError::tr("website", "unexpected", "Leave this field empty", "Laissez ce champ vide")],
        ));
    }
    if !f.get("lead_email").trim().is_empty() {
        return Err(ApiError::validation(
            nothing_sent(),
            vec![FieldError::tr(
                "lead_email",
                "unexpected",
                "The lead's email is not asked for: we write only to the address on the program's invitation list",
                "L’adresse courriel de la personne responsable n’est pas demandée\u{a0}: nous écrivons seulement à l’adresse qui figure sur la liste d’invitation du Programme",
            )],
        ));
    }
    let peer_rows = row_numbers(&f, "peer")?;
    let signup = decode(&f, &peer_rows).map_err(|errors| ApiError::validation(nothing_sent(), errors))?;
    if let Some(why) = sign_up::sign_up(app, signup).await? {
        // Logged by kind only; the caller is told the same as everyone.
        tracing::info!(skipped = why.as_str(), "sign-up without a proposal");
    }
    match wants {
        Wants::Json => {
            let message = match lang::current() {
                Language::En => SIGN_UP_ANSWER,
                Language::Fr => SIGN_UP_ANSWER_FR,
            };
            Ok(json(StatusCode::ACCEPTED, &json!({ "message": message })))
        }
        Wants::Html => Ok(see_other("/groups/sign-up/check-your-email/")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sign_up_without_peers_is_told_in_both_languages() {
        let mut f = Fields::default();
        // No lead's name either, so the form's own check names the missing peer.
        for (k, v) in [("group_name", "Lakeside"), ("practice_setting", "Family practice"), ("lead_cpso", "100")] {
            f.insert(k, v);
        }
        let Err(errors) = decode(&f, &[]) else { panic!("a group without peers was accepted") };
        let e = errors.iter().find(|e| e.field == "peer_1_cpso").unwrap();
        assert_eq!(e.code, "too_few");
        assert_eq!(e.message, "Add at least one peer: a group is a lead and 1 to 6 peers");
        assert_eq!(e.fr, "Ajoutez au moins une ou un collègue\u{a0}: un groupe compte une personne responsable et de 1 à 6 collègues");
        assert_eq!(nothing_sent().get(Language::Fr), "Certaines réponses doivent être corrigées; rien n’a été envoyé");
    }
}
