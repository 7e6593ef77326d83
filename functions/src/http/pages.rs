//! Server-rendered HTML: the no-JavaScript group status page
//! (`GET /api/me/status`, `GET /api/groups/{id}` for HTML callers) and the
//! shared document shell of HTML answers.
use super::respond::escape;
use crate::domain::{requirement_met_until, Activity, Credits, Group, PipState};

/// Content-Security-Policy of the HTML answers: no scripts, nothing loaded;
/// only the small inline stylesheet below.
pub const CSP: &str = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";

/// Readable text, visible focus, and a status table that scrolls inside its
/// own region on a narrow screen (the page itself never scrolls sideways).
const STYLE: &str = "body{margin:0;font-family:system-ui,-apple-system,\"Segoe UI\",Roboto,sans-serif;font-size:1.0625rem;line-height:1.5;color:#1b1b1b;background:#fff}\
main{max-width:60rem;margin:0 auto;padding:1rem}a{color:#0b4f8a}\
a:focus,.qi-scroll:focus{outline:3px solid #ffbf47;box-shadow:0 0 0 5px #1b1b1b}\
.qi-scroll{overflow-x:auto;max-width:100%}table{border-collapse:collapse;min-width:34rem}\
caption{text-align:left;font-weight:700;padding-bottom:.5rem}\
th,td{text-align:left;vertical-align:top;padding:.4rem .5rem;border-bottom:1px solid #6b6b6b}\
dt{font-weight:700}dd{margin:0 0 .75rem}";

/// A complete, accessible HTML5 document.
pub fn document(title: &str, main: &str) -> String {
    format!(
        "<!doctype html>\n<html lang=\"en\">\n<head>\n  <meta charset=\"utf-8\">\n  <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n  <title>{} — QI Groups</title>\n  <style>{STYLE}</style>\n</head>\n<body>\n  <main>\n{main}  </main>\n</body>\n</html>\n",
        escape(title)
    )
}

fn text_block(label: &str, text: &str) -> String {
    let body = if text.is_empty() {
        "<p>(empty)</p>".to_string()
    } else {
        text.split('\n').map(|l| format!("<p>{}</p>", escape(l))).collect::<Vec<_>>().join("")
    };
    format!("      <dt>{}</dt>\n      <dd>{body}</dd>\n", escape(label))
}

/// The group's progress, for members of the group.
pub fn status_page(g: &Group, credits: &Credits) -> String {
    let mut m = String::new();
    m.push_str(&format!("    <h1>Group progress: {}</h1>\n", escape(g.name.as_str())));
    m.push_str("    <p><a href=\"/me/\">Back to my activities</a></p>\n");
    m.push_str(&format!(
        "    <div class=\"qi-scroll\" role=\"region\" aria-label=\"Group progress table\" tabindex=\"0\">\n    <table>\n      <caption>The four QI activities of each member of {}</caption>\n      <thead>\n        <tr><th scope=\"col\">Member</th>",
        escape(g.name.as_str())
    ));
    for a in Activity::ALL {
        m.push_str(&format!("<th scope=\"col\">{}</th>", escape(a.label())));
    }
    m.push_str("<th scope=\"col\">CPD credits you can claim</th></tr>\n      </thead>\n      <tbody>\n");
    for gm in &g.members {
        m.push_str(&format!(
            "        <tr><th scope=\"row\">{} ({})</th>",
            escape(gm.member.name.as_str()),
            gm.member.role.as_str()
        ));
        for a in Activity::ALL {
            match gm.activities.completed_on(a) {
                Some(d) => m.push_str(&format!("<td>Done {d}</td>")),
                None => m.push_str("<td>Not done</td>"),
            }
        }
        m.push_str(&format!("<td>{}</td></tr>\n", credits.for_member(&gm.activities, &g.pip).total));
    }
    m.push_str("      </tbody>\n    </table>\n    </div>\n");
    m.push_str("    <h2>Group Practice Improvement Plan</h2>\n");
    match &g.pip {
        PipState::None => m.push_str("    <p>Not started: no plan has been saved yet.</p>\n"),
        PipState::Draft { .. } => m.push_str("    <p>A draft is saved; it has not been submitted.</p>\n"),
        PipState::Submitted { submitted_on, .. } => m.push_str(&format!(
            "    <p>Submitted on {submitted_on}. Each member's quality requirement is met until {}.</p>\n",
            requirement_met_until(*submitted_on)
        )),
    }
    if !g.pip.is_submitted() {
        let missing = g.missing_activities();
        if missing.is_empty() {
            m.push_str("    <p>Every member has completed all four activities: the plan can be submitted.</p>\n");
        } else {
            m.push_str("    <h3>Still to do before the plan can be submitted</h3>\n    <ul>\n");
            for (c, a) in missing {
                let name = g.member_by_cpso(&c).map(|x| x.member.name.to_string()).unwrap_or_default();
                m.push_str(&format!("      <li>{}: {}</li>\n", escape(&name), escape(a.label())));
            }
            m.push_str("    </ul>\n");
        }
    }
    if let Some(d) = g.pip.draft() {
        m.push_str(&format!(
            "    <p>Goals counting toward the two needed: {} (at most one physician health and self-care goal counts).</p>\n",
            d.counting_goals()
        ));
        m.push_str(if g.pip.is_submitted() { "    <h3>The submitted plan</h3>\n" } else { "    <h3>The saved draft</h3>\n" });
        m.push_str("    <dl>\n");
        m.push_str(&text_block("Areas of strength", &d.strengths));
        m.push_str(&text_block("Areas for improvement", &d.improvements));
        for (i, goal) in d.goals.iter().enumerate() {
            let kind = match goal.kind.map(|k| k.as_str()) {
                Some("practice") => "practice improvement",
                Some(_) => "physician health and self-care",
                None => "kind not chosen",
            };
            m.push_str(&text_block(&format!("Goal {} ({kind}): aim", i + 1), &goal.aim));
            m.push_str(&text_block(&format!("Goal {}: measure", i + 1), &goal.measure));
            m.push_str(&text_block(&format!("Goal {}: baseline", i + 1), &goal.baseline));
            m.push_str(&text_block(&format!("Goal {}: target", i + 1), &goal.target));
            m.push_str(&text_block(
                &format!("Goal {}: target date", i + 1),
                &goal.target_date.map(|d| d.to_string()).unwrap_or_default(),
            ));
            m.push_str(&text_block(&format!("Goal {}: change ideas", i + 1), &goal.change_ideas));
        }
        m.push_str("    </dl>\n");
    }
    document(&format!("Group progress: {}", g.name), &m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::conformance::{complete_draft, sample_group};

    #[test]
    fn status_page_is_accessible_and_escaped() {
        let (mut g, _) = sample_group("100", &["101"], "2026-01-05T10:00:00Z");
        g.members[1].activities.set(Activity::ChartReview, Some(chrono::NaiveDate::from_ymd_opt(2026, 2, 1).unwrap()));
        let mut d = complete_draft();
        d.strengths = "<b>bold</b>\nsecond line".into();
        g.pip = PipState::Draft { draft: d };
        let html = status_page(&g, &Credits::embedded());
        assert!(html.starts_with("<!doctype html>\n<html lang=\"en\">"));
        assert_eq!(html.matches("<h1>").count(), 1);
        assert!(html.contains("<caption>"));
        assert!(html.contains("<th scope=\"col\">QI Survey</th>"));
        assert!(html.contains("<td>Done 2026-02-01</td>"));
        assert!(html.contains("<td>Not done</td>"));
        assert!(html.contains("&lt;b&gt;bold&lt;/b&gt;"));
        assert!(!html.contains("<b>bold"));
        assert!(html.contains("&quot;north&quot;"));
        assert!(html.contains("Still to do"));
        assert!(html.contains("<a href=\"/me/\">"));
    }
}
