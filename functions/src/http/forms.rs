//! A form refused by the server comes back as the same form (GOV.UK
//! pattern): every answer kept, "There is a problem" with each error linked
//! to its field in the order the form asks, and each message beside its
//! field. The member pages render their own forms this way
//! ([`super::pages`]); this module does it for the site's forms that post
//! from a static page (sign-up, new link, ask a coach), whose templates
//! the server renders too ([`super::html`]). The messages are the server's
//! own, so a browser with JavaScript (forms.js swaps the refused form in
//! without a reload) and one without read the same words.
use http::HeaderValue;
use serde_json::{json, Map, Value};

use super::error::ApiError;
use super::input::Fields;
use super::respond::{with_body, Resp};
use super::Route;
use crate::domain::FieldError;

/// What was sent and why it was refused.
#[derive(Debug, Clone)]
pub struct Refused {
    pub fields: Fields,
    pub errors: Vec<FieldError>,
    /// The refusal in one sentence (shown when no error names a field).
    pub message: String,
}

impl Refused {
    /// The refusal in the request's language.
    pub fn new(fields: Fields, err: &ApiError) -> Refused {
        Refused { fields, errors: err.fields().to_vec(), message: err.message(super::lang::current()) }
    }

    /// The template values of the refused form: `values` (field → what was
    /// sent), `errors` (field → message), `error_list` (the summary, in form
    /// order, linked by `href`) and `summary` (the refusal's sentence when
    /// the list does not say it all).
    pub fn values(&self, href: impl Fn(&str) -> Option<String>) -> Value {
        let values: Map<String, Value> = self.fields.keys().map(|k| (k.clone(), json!(self.fields.get(k)))).collect();
        let mut errors = Map::new();
        for e in &self.errors {
            errors.entry(e.field.clone()).or_insert_with(|| json!(e.text(super::lang::current())));
        }
        let list = error_list(&self.errors, href);
        let linked = list.iter().any(|e| !e["href"].is_null());
        json!({
            "values": values,
            "errors": errors,
            "error_list": list,
            "summary": if linked { String::new() } else { self.message.clone() },
        })
    }
}

/// The fields of every form, in the order the forms ask for them; a
/// numbered row's fields (`peer_2_email`, `goal_3_aim`) sit at their row's
/// place, row by row, in the row's own order.
const ORDER: &[&str] = &[
    "lead_cpso",
    "lead_name",
    "lead_language",
    "group_name",
    "practice_setting",
    "peers",
    "peer_#",
    "cpso",
    "email",
    "topic",
    "message",
    "activity",
    "completed_on",
    "done",
    "activities",
    "strengths",
    "improvements",
    "goals",
    "goal_#",
    "period",
    "numerator",
    "denominator",
    "value",
    "note",
    "change_idea",
    "plan",
    "prediction",
    "started_on",
    "ended_on",
    "study",
    "decision",
    "peer_cpso",
    "peer_name",
    "peer_email",
    "peer_language",
];
const PEER_PARTS: &[&str] = &["cpso", "name", "email", "language"];
const GOAL_PARTS: &[&str] = &[
    "kind",
    "aim",
    "measure",
    "baseline",
    "target",
    "target_date",
    "measure_kind",
    "measure_unit",
    "measure_counted",
    "measure_source",
    "measure_source_other",
    "measure_sampling",
    "measure_period",
    "measure_direction",
    "baseline_value",
    "target_value",
    "change_ideas",
];

/// Where a field comes in its form: (place in [`ORDER`], row, place in the row).
fn rank(field: &str) -> (usize, usize, usize) {
    let unknown = (ORDER.len(), 0, 0);
    for (prefix, parts) in [("peer_", PEER_PARTS), ("goal_", GOAL_PARTS)] {
        if let Some((n, part)) = field.strip_prefix(prefix).and_then(|r| r.split_once('_')) {
            if let Ok(n) = n.parse::<usize>() {
                let place = ORDER.iter().position(|o| o.strip_suffix('#') == Some(prefix)).unwrap_or(ORDER.len());
                return (place, n, parts.iter().position(|p| *p == part).unwrap_or(parts.len()));
            }
        }
    }
    ORDER.iter().position(|o| *o == field).map(|i| (i, 0, 0)).unwrap_or(unknown)
}

/// The summary's entries, in form order, each linked to its field when
/// `href` knows where it is, in the request's language.
pub fn error_list(errors: &[FieldError], href: impl Fn(&str) -> Option<String>) -> Vec<Value> {
    let mut sorted: Vec<&FieldError> = errors.iter().collect();
    sorted.sort_by_key(|e| rank(&e.field));
    sorted.into_iter().map(|e| json!({ "field": e.field, "href": href(&e.field), "message": summary_line(e) })).collect()
}

/// A summary entry says which row it is about ("Peer 2: Enter an email
/// address"); beside the field, inside the row, the message alone is enough.
fn summary_line(e: &FieldError) -> String {
    let lang = super::lang::current();
    let message = e.text(lang);
    let nouns = match lang {
        crate::domain::Language::En => [("peer_", "Peer", ":"), ("goal_", "Goal", ":")],
        crate::domain::Language::Fr => [("peer_", "Collègue", "\u{a0}:"), ("goal_", "Objectif", "\u{a0}:")],
    };
    for (prefix, noun, colon) in nouns {
        if let Some((n, _)) = e.field.strip_prefix(prefix).and_then(|r| r.split_once('_')) {
            if n.parse::<usize>().is_ok()
                && !message.contains(&format!("{noun} {n}"))
                && !message.contains(&format!("{} {n}", noun.to_lowercase()))
            {
                return format!("{noun} {n}{colon} {message}");
            }
        }
    }
    message.to_string()
}

/// Where the forms put a field: its own id, the first of a date's three
/// inputs, or the group of fields a whole-row rule is about.
pub fn default_href(field: &str) -> String {
    match field {
        "peers" => "#peers-group".into(),
        "goals" => "#goals-group".into(),
        f if f.ends_with("target_date") => format!("#{f}-day"),
        f if f.ends_with("_measure_kind") => format!("#{f}-proportion"),
        f if f.ends_with("_measure_period") => format!("#{f}-month"),
        f if f.ends_with("_measure_direction") => format!("#{f}-higher_is_better"),
        f if f.ends_with("_kind") => format!("#{f}-practice"),
        f => format!("#{f}"),
    }
}

/// The site's form a route answers: its name, its page's heading (English,
/// French: the pages' titles), and the page's English path (which the
/// navigation marks as current).
fn site_form(route: Route) -> Option<(&'static str, (&'static str, &'static str), &'static str)> {
    match route {
        Route::Groups => Some(("sign-up", ("Form a QI Group", "Former un groupe AQ"), "/groups/sign-up/")),
        Route::Recover => Some(("new-link", ("Get a new sign-in link", "Obtenir un nouveau lien de connexion"), "/me/new-link/")),
        Route::Coaching => Some(("ask", ("Ask a QI Coach", "Poser une question à un coach en AQ"), "/support/ask/")),
        _ => None,
    }
}

/// Fields the site's forms have, for the links of the summary (anything
/// else, such as the honeypot or a JSON-only field, is listed unlinked).
fn on_site_form(form: &str, field: &str) -> bool {
    match form {
        "sign-up" => {
            matches!(field, "lead_cpso" | "lead_name" | "lead_language" | "group_name" | "practice_setting" | "peers")
                || field
                    .strip_prefix("peer_")
                    .and_then(|r| r.split_once('_'))
                    .is_some_and(|(n, p)| n.parse::<u8>().is_ok() && PEER_PARTS.contains(&p))
        }
        "new-link" => matches!(field, "cpso" | "email"),
        "ask" => matches!(field, "topic" | "message"),
        _ => false,
    }
}

/// The refused post of a site form, as that form with its answers; `None`
/// when the route has no site form or the refusal is not about what was
/// typed (a wrong method, a body too large to read back).
pub fn refused_site_form(route: Route, fields: Fields, err: &ApiError) -> Option<Resp> {
    let (form, title, page) = site_form(route)?;
    let answerable = matches!(
        err,
        ApiError::Validation { .. }
            | ApiError::Conflict { .. }
            | ApiError::TooManyRequests(_)
            | ApiError::Unavailable { .. }
            | ApiError::Unauthorized(_)
            | ApiError::Forbidden(_)
    );
    if !answerable {
        return None;
    }
    let lang = super::lang::current();
    let refused = Refused::new(fields, err);
    let mut values = refused.values(|f| on_site_form(form, f).then(|| default_href(f)));
    values["form"] = json!(form);
    values["title"] = json!(if lang == crate::domain::Language::Fr { title.1 } else { title.0 });
    let page = super::lang::localized_path(page, lang);
    let html = super::html::render_or_fallback("member/refused.html", &page, values);
    let mut r = with_body(err.status(), "text/html; charset=utf-8", html);
    r.headers_mut().insert("content-security-policy", HeaderValue::from_static(super::html::CSP));
    Some(r)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Text;

    fn errors(names: &[&str]) -> Vec<FieldError> {
        names.iter().map(|n| FieldError::tr(*n, "invalid", format!("about {n}"), format!("à propos de {n}"))).collect()
    }

    #[test]
    fn the_summary_follows_the_form() {
        let list = error_list(&errors(&["peer_2_email", "group_name", "peer_10_cpso", "lead_cpso", "peer_2_cpso", "website"]), |f| {
            Some(format!("#{f}"))
        });
        let order: Vec<&str> = list.iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(order, ["lead_cpso", "group_name", "peer_2_cpso", "peer_2_email", "peer_10_cpso", "website"]);
        let goals = error_list(&errors(&["goal_2_aim", "goals", "strengths", "goal_1_target_date", "goal_1_kind"]), |_| None);
        let order: Vec<&str> = goals.iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(order, ["strengths", "goals", "goal_1_kind", "goal_1_target_date", "goal_2_aim"]);
    }

    #[test]
    fn a_refused_sign_up_keeps_every_answer_and_links_each_error() {
        let mut f = Fields::default();
        for (k, v) in [
            ("lead_cpso", "12a"),
            ("lead_name", "Dr \"Ada\" <Lee>"),
            ("group_name", ""),
            ("peer_1_cpso", "5001"),
            ("peer_1_language", "fr"),
        ] {
            f.insert(k, v);
        }
        let err = ApiError::validation(
            Text::new("Check the form", "Vérifiez le formulaire"),
            vec![
                FieldError::tr("group_name", "required", "Enter a name for the group", "Entrez un nom pour le groupe"),
                FieldError::tr("lead_cpso", "required", "Enter a CPSO number", "Entrez un numéro d’inscription à l’OMCO"),
            ],
        );
        let r = refused_site_form(Route::Groups, f, &err).unwrap();
        assert_eq!(r.status(), 400);
        let html = std::str::from_utf8(r.body()).unwrap();
        assert!(html.contains("<title>Error: Form a QI Group – QI Groups</title>"), "{html}");
        assert!(html.contains("There is a problem"));
        let first = html.find("href=\"#lead_cpso\"").unwrap();
        let second = html.find("href=\"#group_name\"").unwrap();
        assert!(first < second, "errors in form order");
        assert!(html.contains("value=\"12a\""));
        assert!(html.contains("value=\"Dr &quot;Ada&quot; &lt;Lee&gt;\""));
        assert!(html.contains("id=\"group_name-error\""));
        assert!(html.contains("aria-describedby=\"group_name-hint group_name-error\" aria-invalid=\"true\""));
        assert!(html.contains("<option value=\"fr\" lang=\"fr\" selected>"));
        assert!(html.contains("id=\"sign-up-form\""));
        assert!(html.contains("<a href=\"/groups/\" aria-current=\"true\">About</a>"), "the section is marked: {html}");
        assert!(!html.contains("Check the form"), "the list says it all");
    }

    #[test]
    fn a_refusal_without_fields_says_why_and_keeps_the_answers() {
        let mut f = Fields::default();
        f.insert("message", "How do we choose a measure?");
        f.insert("topic", "measures");
        let err = ApiError::Unauthorized(Text::new("You are not signed in", "Vous n’êtes pas connecté"));
        let r = refused_site_form(Route::Coaching, f, &err).unwrap();
        assert_eq!(r.status(), 401);
        let html = std::str::from_utf8(r.body()).unwrap();
        assert!(html.contains("<p>You are not signed in</p>"));
        assert!(html.contains(">How do we choose a measure?</textarea>"));
        assert!(refused_site_form(Route::Coaching, Fields::default(), &ApiError::PayloadTooLarge).is_none());
        assert!(refused_site_form(Route::MePip, Fields::default(), &err).is_none());
    }
}
