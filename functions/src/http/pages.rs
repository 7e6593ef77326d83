//! Server-rendered HTML: the no-JavaScript group status page
//! (`GET /api/me/status`, `GET /api/groups/{id}` for HTML callers) and the
//! shared document shell of HTML answers.
use super::respond::escape;
use crate::domain::pip::MAX_GOALS;
use crate::domain::{requirement_met_until, Activity, Credits, GoalDraft, GoalKind, Group, PipDraft, PipState};

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
dt{font-weight:700}dd{margin:0 0 .75rem}\
label,.qi-label{display:block;font-weight:700;margin-top:.75rem}.qi-radio label{display:inline;font-weight:400;margin-left:.4rem}\
.qi-hint{display:block;color:#4a4a4a}\
input,textarea,button{font:inherit;font-size:1rem}\
input[type=text],input[type=date],textarea{display:block;box-sizing:border-box;width:100%;max-width:40rem;padding:.4rem;border:2px solid #1b1b1b;border-radius:0}\
input[type=radio]{width:1.25rem;height:1.25rem;vertical-align:middle}\
fieldset{min-width:0;margin:1rem 0;border:1px solid #6b6b6b;padding:.5rem 1rem 1rem}legend{font-weight:700;padding:0 .25rem}\
button{margin:1rem .5rem 0 0;padding:.6rem 1rem;border:2px solid #0b4f8a;background:#0b4f8a;color:#fff;cursor:pointer}\
button.qi-secondary{background:#fff;color:#0b4f8a}\
input:focus,textarea:focus,button:focus{outline:3px solid #ffbf47;box-shadow:0 0 0 5px #1b1b1b}\
.qi-note{border-left:5px solid #0b4f8a;padding:.25rem 0 .25rem 1rem;margin:1rem 0}\
h1,h2,h3,p,li,dd{overflow-wrap:anywhere}";

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
        m.push_str(&format!("        <tr><th scope=\"row\">{} ({})</th>", escape(gm.member.name.as_str()), gm.member.role.as_str()));
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
            m.push_str(&text_block(&format!("Goal {}: target date", i + 1), &goal.target_date.map(|d| d.to_string()).unwrap_or_default()));
            m.push_str(&text_block(&format!("Goal {}: change ideas", i + 1), &goal.change_ideas));
        }
        m.push_str("    </dl>\n");
    }
    document(&format!("Group progress: {}", g.name), &m)
}

/// A confirmation shown above a page after a no-JavaScript save.
fn flash(text: &str) -> String {
    format!("    <p class=\"qi-note\" role=\"status\">{}</p>\n", escape(text))
}

/// What still stands between the group and submitting its plan.
fn missing_list(g: &Group, draft: Option<&PipDraft>) -> String {
    let mut m = String::new();
    let missing = g.missing_activities();
    if missing.is_empty() {
        m.push_str("    <p>Every member has completed all four activities.</p>\n");
    } else {
        m.push_str("    <p>These activities are not done yet:</p>\n    <ul>\n");
        for (c, a) in missing {
            let name = g.member_by_cpso(&c).map(|x| x.member.name.to_string()).unwrap_or_default();
            m.push_str(&format!("      <li>{}: {}</li>\n", escape(&name), escape(a.label())));
        }
        m.push_str("    </ul>\n");
    }
    let counting = draft.map(|d| d.counting_goals()).unwrap_or(0);
    m.push_str(&format!(
        "    <p>Goals that count in the saved draft: {counting} of the 2 needed (every practice-improvement goal counts; at most one physician health and self-care goal counts).</p>\n"
    ));
    m
}

fn text_input(id: &str, label: &str, value: &str, max: usize, hint: Option<&str>) -> String {
    let (hint_html, described) = match hint {
        Some(h) => (format!("<span class=\"qi-hint\" id=\"{id}-hint\">{}</span>", escape(h)), format!(" aria-describedby=\"{id}-hint\"")),
        None => (String::new(), String::new()),
    };
    format!(
        "        <label for=\"{id}\">{}</label>{hint_html}<input type=\"text\" id=\"{id}\" name=\"{id}\" maxlength=\"{max}\" value=\"{}\"{described}>\n",
        escape(label),
        escape(value)
    )
}

fn text_area(id: &str, label: &str, value: &str, max: usize, rows: usize, hint: Option<&str>) -> String {
    let (hint_html, described) = match hint {
        Some(h) => (format!("<span class=\"qi-hint\" id=\"{id}-hint\">{}</span>", escape(h)), format!(" aria-describedby=\"{id}-hint\"")),
        None => (String::new(), String::new()),
    };
    format!(
        "        <label for=\"{id}\">{}</label>{hint_html}<textarea id=\"{id}\" name=\"{id}\" rows=\"{rows}\" maxlength=\"{max}\"{described}>{}</textarea>\n",
        escape(label),
        escape(value)
    )
}

fn goal_row(n: usize, goal: &GoalDraft) -> String {
    let mut m = format!("      <fieldset>\n        <legend>Goal {n}</legend>\n");
    m.push_str(&format!("        <fieldset>\n        <legend class=\"qi-label\">Kind of goal {n}</legend>\n"));
    for (value, label, kind) in
        [("practice", "Practice improvement", GoalKind::Practice), ("self_care", "Physician health or self-care", GoalKind::SelfCare)]
    {
        let checked = if goal.kind == Some(kind) { " checked" } else { "" };
        m.push_str(&format!(
            "        <div class=\"qi-radio\"><input type=\"radio\" id=\"goal_{n}_kind-{value}\" name=\"goal_{n}_kind\" value=\"{value}\"{checked}><label for=\"goal_{n}_kind-{value}\">{label}</label></div>\n"
        ));
    }
    m.push_str("        </fieldset>\n");
    m.push_str(&text_area(
        &format!("goal_{n}_aim"),
        "Aim statement",
        &goal.aim,
        2000,
        3,
        Some("What will improve, for whom, and by how much."),
    ));
    m.push_str(&text_input(&format!("goal_{n}_measure"), "Measure", &goal.measure, 500, Some("What you will count, and from which data.")));
    m.push_str(&text_input(&format!("goal_{n}_baseline"), "Baseline", &goal.baseline, 200, Some("Where you start from today.")));
    m.push_str(&text_input(&format!("goal_{n}_target"), "Target", &goal.target, 200, None));
    let date = goal.target_date.map(|d| d.to_string()).unwrap_or_default();
    m.push_str(&format!(
        "        <label for=\"goal_{n}_target_date\">Target date</label><span class=\"qi-hint\" id=\"goal_{n}_target_date-hint\">The day by which you aim to reach the target (YYYY-MM-DD).</span><input type=\"date\" id=\"goal_{n}_target_date\" name=\"goal_{n}_target_date\" value=\"{}\" aria-describedby=\"goal_{n}_target_date-hint\">\n",
        escape(&date)
    ));
    m.push_str(&text_area(
        &format!("goal_{n}_change_ideas"),
        "Change ideas",
        &goal.change_ideas,
        2000,
        3,
        Some("The changes you will try to reach the target."),
    ));
    m.push_str("      </fieldset>\n");
    m
}

/// The group's PIP for a member without JavaScript (`GET /api/me/pip`): the
/// saved draft in an editable form (every goal row up to [`MAX_GOALS`]), or
/// the submitted plan read-only.
pub fn pip_page(g: &Group, saved: bool, submitted: bool) -> String {
    let mut m = String::new();
    m.push_str(&format!("    <h1>Group PIP: {}</h1>\n", escape(g.name.as_str())));
    m.push_str("    <p><a href=\"/me/\">Back to my activities</a> · <a href=\"/api/me/activities\">My activities (without JavaScript)</a> · <a href=\"/api/me/status\">Group progress</a></p>\n");
    if let PipState::Submitted { pip, submitted_on } = &g.pip {
        if submitted {
            m.push_str(&flash("Your group's plan has been submitted."));
        }
        m.push_str(&format!(
            "    <p>Your group submitted its plan on {submitted_on}. It can no longer be changed. Each member's quality requirement is met until {}.</p>\n",
            requirement_met_until(*submitted_on)
        ));
        m.push_str("    <h2>The submitted plan</h2>\n    <dl>\n");
        m.push_str(&text_block("Areas of strength", &pip.strengths));
        m.push_str(&text_block("Areas for improvement", &pip.improvements));
        for (i, goal) in pip.goals.iter().enumerate() {
            let kind = match goal.kind {
                Some(GoalKind::Practice) => "practice improvement",
                Some(GoalKind::SelfCare) => "physician health and self-care",
                None => "kind not chosen",
            };
            let n = i + 1;
            m.push_str(&text_block(&format!("Goal {n} ({kind}): aim"), &goal.aim));
            m.push_str(&text_block(&format!("Goal {n}: measure"), &goal.measure));
            m.push_str(&text_block(&format!("Goal {n}: baseline"), &goal.baseline));
            m.push_str(&text_block(&format!("Goal {n}: target"), &goal.target));
            m.push_str(&text_block(&format!("Goal {n}: target date"), &goal.target_date.map(|d| d.to_string()).unwrap_or_default()));
            m.push_str(&text_block(&format!("Goal {n}: change ideas"), &goal.change_ideas));
        }
        m.push_str("    </dl>\n");
        return document(&format!("Group PIP: {}", g.name), &m);
    }
    if saved {
        m.push_str(&flash("Your group's draft has been saved."));
    }
    let empty = PipDraft::default();
    let draft = g.pip.draft().unwrap_or(&empty);
    m.push_str(match g.pip {
        PipState::None => "    <p>No draft has been saved yet: the form below is empty.</p>\n",
        _ => "    <p>The form below shows your group's saved draft. Saving replaces it with what the form holds when you press the button.</p>\n",
    });
    m.push_str("    <h2>Before your group can submit</h2>\n");
    m.push_str("    <p>The plan can be submitted once every member has finished all four activities and it has at least two goals that count.</p>\n");
    m.push_str(&missing_list(g, g.pip.draft()));
    m.push_str("    <h2>The plan</h2>\n");
    m.push_str("    <form method=\"post\" action=\"/api/me/pip\">\n      <input type=\"hidden\" name=\"from\" value=\"page\">\n");
    m.push_str(&text_area(
        "strengths",
        "Areas of strength",
        &draft.strengths,
        4000,
        5,
        Some("What your group's practices do well, as the activities showed it."),
    ));
    m.push_str(&text_area(
        "improvements",
        "Areas for improvement",
        &draft.improvements,
        4000,
        5,
        Some("What the activities showed could be better."),
    ));
    m.push_str(&format!(
        "      <fieldset>\n      <legend>Goals</legend>\n      <p class=\"qi-hint\">At least two goals that count, up to {MAX_GOALS}. Leave the goals you do not need empty.</p>\n"
    ));
    let blank = GoalDraft::default();
    for n in 1..=MAX_GOALS.max(draft.goals.len()) {
        m.push_str(&goal_row(n, draft.goals.get(n - 1).unwrap_or(&blank)));
    }
    m.push_str("      </fieldset>\n");
    m.push_str("      <p>Saving keeps a draft that every member of the group can see and change. Submitting sends the plan to the program; after that it cannot be changed.</p>\n");
    m.push_str("      <button type=\"submit\" name=\"action\" value=\"save\" class=\"qi-secondary\">Save draft</button>\n");
    m.push_str("      <button type=\"submit\" name=\"action\" value=\"submit\">Submit plan</button>\n    </form>\n");
    document(&format!("Group PIP: {}", g.name), &m)
}

/// The member's own four activities for a browser without JavaScript
/// (`GET /api/me/activities`), each with its check-off form.
pub fn activities_page(g: &Group, idx: usize, saved: Option<Activity>) -> String {
    let gm = &g.members[idx];
    let mut m = String::new();
    m.push_str("    <h1>My activities</h1>\n");
    m.push_str(&format!("    <p>Signed in as {}, member of the group {}.</p>\n", escape(gm.member.name.as_str()), escape(g.name.as_str())));
    m.push_str("    <p><a href=\"/api/me/pip\">Group PIP (without JavaScript)</a> · <a href=\"/api/me/status\">Group progress</a> · <a href=\"/me/\">My activities page</a></p>\n");
    if let Some(a) = saved {
        m.push_str(&flash(&format!("Saved: {}.", a.label())));
    }
    let done = Activity::ALL.iter().filter(|a| gm.activities.completed_on(**a).is_some()).count();
    m.push_str(&format!("    <p><strong>{done} of 4 done.</strong></p>\n"));
    let locked = g.pip.is_submitted();
    if locked {
        m.push_str("    <p>Your group has submitted its plan, so check-offs can no longer be changed.</p>\n");
    }
    for a in Activity::ALL {
        let key = a.key();
        let label = escape(a.label());
        m.push_str(&format!("    <h2 id=\"activity-{key}-title\">{label}</h2>\n"));
        let state = gm.activities.completed_on(a);
        match state {
            Some(d) => m.push_str(&format!("    <p>Done on {d}.</p>\n")),
            None => m.push_str("    <p>Not done yet.</p>\n"),
        }
        if locked {
            continue;
        }
        let value = state.map(|d| d.to_string()).unwrap_or_default();
        m.push_str(&format!(
            "    <form method=\"post\" action=\"/api/me/activities\" aria-labelledby=\"activity-{key}-title\">\n      <input type=\"hidden\" name=\"from\" value=\"page\">\n      <input type=\"hidden\" name=\"activity\" value=\"{key}\">\n      <label for=\"completed_on-{key}\">Date you finished the {label}</label><span class=\"qi-hint\" id=\"completed_on-{key}-hint\">It cannot be in the future (YYYY-MM-DD).</span><input type=\"date\" id=\"completed_on-{key}\" name=\"completed_on\" value=\"{value}\" aria-describedby=\"completed_on-{key}-hint\">\n      <button type=\"submit\" name=\"done\" value=\"true\">Mark {label} as done</button>\n      <button type=\"submit\" name=\"done\" value=\"false\" class=\"qi-secondary\">Mark {label} as not done</button>\n    </form>\n"
        ));
    }
    document("My activities", &m)
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
