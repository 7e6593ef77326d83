//! `POST /api/coaching`: a member asks the QI Coaches for help.
use http::StatusCode;
use serde_json::json;

use super::{Req, Res};
use crate::app::{coaching, App};
use crate::domain::{CoachingMessage, CoachingTopic, Text};
use crate::http::decode::field;
use crate::http::error::ApiError;
use crate::http::input::{read_fields, Wants};
use crate::http::respond::{json, see_other};

pub async fn ask(app: &App, req: &Req, wants: Wants) -> Res {
    let f = read_fields(req)?;
    let caller = super::member(app, req, Some(&f)).await?;
    let mut errors = Vec::new();
    let topic = field(&mut errors, "topic", CoachingTopic::parse(f.get("topic")));
    let message = field(&mut errors, "message", CoachingMessage::parse(f.get("message")));
    let (Some(topic), Some(message)) = (topic, message) else {
        return Err(ApiError::validation(not_sent(), errors));
    };
    let r = coaching::ask(app, &caller, topic, message).await?;
    match wants {
        Wants::Json => Ok(json(StatusCode::CREATED, &json!({ "id": r.id }))),
        Wants::Html => Ok(see_other("/support/ask/done/")),
    }
}

fn not_sent() -> Text {
    Text::new("Your question could not be sent", "Votre question n’a pas pu être envoyée")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_refusal_is_said_in_both_languages() {
        assert_eq!(not_sent().en, "Your question could not be sent");
        assert_eq!(not_sent().get(crate::domain::Language::Fr), "Votre question n’a pas pu être envoyée");
    }
}
