//! Asking the program's Medical Advisors and QI Coaches for help.
use super::access::Caller;
use super::{App, Failure};
use crate::domain::{CoachingMessage, CoachingRequest, CoachingTopic, PersonName};
use crate::mail::OutgoingMail;

/// Record the caller's question and, in the same write, queue its copy to
/// the coaches' inbox if one is configured (staff also see every request in
/// `qi admin export`).
pub async fn ask(app: &App, caller: &Caller, topic: CoachingTopic, message: CoachingMessage) -> Result<CoachingRequest, Failure> {
    let group = &caller.group;
    let m = &caller.member().member;
    let r = CoachingRequest::new(group.id.clone(), m.cpso.clone(), topic, message, app.clock.now(), app.random.as_ref())?;
    let mut queued = None;
    if let (Some(inbox), Ok(to_name)) = (&app.config.coaching_inbox, PersonName::parse("QI Coaches")) {
        let mail = OutgoingMail {
            to_name,
            to: inbox.clone(),
            subject: format!("QI coaching request: {} ({})", topic.key(), r.id),
            body: format!(
                "A QI coaching request.\n\nGroup: {} ({})\nFrom: {} (CPSO {}, {}, prefers {})\nTopic: {}\nRequest id: {}\n\n{}\n",
                group.name,
                group.id,
                m.name,
                m.cpso,
                m.email,
                m.language.as_str(),
                topic.key(),
                r.id,
                r.message.as_str()
            ),
            link: None,
            role: None,
        };
        queued = app.queue(vec![(mail, "coaching")])?.pop();
    }
    app.store.add_coaching_request(&r, queued.as_ref()).await?;
    Ok(r)
}
