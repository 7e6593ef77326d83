//! `GET /api/me/status` for a browser without JavaScript: the group's status
//! (the same data as `GET /api/groups/{id}`) as a small, accessible HTML page.
//! The static `/me/`, `/me/pip/` and `/me/status/` pages link here from
//! `<noscript>`. Rendered from the status JSON so both views cannot disagree.
use serde_json::Value;

use super::respond::escape;

const ACTIVITIES: [(&str, &str); 4] = [
    ("qi_survey", "QI Survey"),
    ("practice_profile", "Practice Profile"),
    ("chart_review", "Self-Guided Chart Review"),
    ("data_driven_qi", "Data-Driven QI"),
];

fn activity_label(key: &str) -> &str {
    ACTIVITIES.iter().find(|(k, _)| *k == key).map(|(_, l)| *l).unwrap_or(key)
}

fn text<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or("")
}

/// The page for the member with CPSO number `me` of the group `status`.
pub fn render(status: &Value, me: &str) -> String {
    let empty = Vec::new();
    let members = status.get("members").and_then(Value::as_array).unwrap_or(&empty);
    let pip = status.get("pip").cloned().unwrap_or(Value::Null);
    let state = text(&pip, "state");
    let mut h = String::new();
    h.push_str("<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    h.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    h.push_str("<title>Your group's progress — QI Groups</title>\n<style>");
    h.push_str(STYLE);
    h.push_str("</style>\n</head>\n<body>\n<main>\n<h1>Your group's progress</h1>\n");

    let me_name = members.iter().find(|m| text(m, "cpso") == me).map(|m| text(m, "name")).unwrap_or("");
    h.push_str(&format!(
        "<p>Group: <strong>{}</strong> ({}). You are signed in as <strong>{}</strong>.</p>\n",
        escape(text(status, "name")),
        escape(text(status, "practice_setting")),
        escape(me_name)
    ));

    // Activities and credits: a real table, text in every cell.
    h.push_str("<div class=\"scroll\" role=\"region\" aria-label=\"Group progress table\" tabindex=\"0\">\n<table>\n");
    h.push_str("<caption>Each member's activities and the CPD credits they may claim</caption>\n<thead><tr><th scope=\"col\">Member</th>");
    for (_, label) in ACTIVITIES {
        h.push_str(&format!("<th scope=\"col\">{label}</th>"));
    }
    h.push_str("<th scope=\"col\">CPD credits</th></tr></thead>\n<tbody>\n");
    for m in members {
        let role = if text(m, "role") == "lead" { " (lead)" } else { "" };
        h.push_str(&format!("<tr><th scope=\"row\">{}{role}</th>", escape(text(m, "name"))));
        for (key, _) in ACTIVITIES {
            let a = m.get("activities").and_then(|a| a.get(key));
            let done = a.and_then(|a| a.get("done")).and_then(Value::as_bool).unwrap_or(false);
            let on = a.map(|a| text(a, "completed_on")).unwrap_or("");
            if done {
                h.push_str(&format!("<td>Done {}</td>", escape(on)));
            } else {
                h.push_str("<td>Not done</td>");
            }
        }
        let credits = m.get("credits").and_then(|c| c.get("total")).and_then(Value::as_u64).unwrap_or(0);
        h.push_str(&format!("<td>{credits}</td></tr>\n"));
    }
    h.push_str("</tbody>\n</table>\n</div>\n");

    // The plan.
    h.push_str("<h2>Group Practice Improvement Plan</h2>\n<dl>\n");
    let state_text = match state {
        "submitted" => "Submitted",
        "draft" => "Draft, not submitted",
        _ => "Not started",
    };
    h.push_str(&format!("<dt>State</dt><dd>{state_text}</dd>\n"));
    if state == "submitted" {
        h.push_str(&format!("<dt>Submitted on</dt><dd>{}</dd>\n", escape(text(&pip, "submitted_on"))));
        h.push_str(&format!(
            "<dt>Quality requirement met until</dt><dd>{} for every member of the group (five years from submission)</dd>\n",
            escape(text(&pip, "requirement_met_until"))
        ));
    } else {
        let missing = pip.get("missing").and_then(Value::as_array).unwrap_or(&empty);
        h.push_str("<dt>Activities still to do</dt><dd>");
        if missing.is_empty() {
            h.push_str("None: every member has finished all four.");
        } else {
            h.push_str("<ul>");
            for x in missing {
                h.push_str(&format!("<li>{}: {}</li>", escape(text(x, "name")), activity_label(text(x, "activity"))));
            }
            h.push_str("</ul>");
        }
        h.push_str("</dd>\n");
        let counting = pip.get("counting_goals").and_then(Value::as_u64).unwrap_or(0);
        h.push_str(&format!(
            "<dt>Goals that count</dt><dd>{counting} of the 2 needed. Every practice-improvement goal counts; at most one self-care goal does.</dd>\n"
        ));
    }
    h.push_str("</dl>\n");

    if state != "none" {
        h.push_str(if state == "submitted" { "<h2>The submitted plan</h2>\n" } else { "<h2>The saved draft</h2>\n" });
        h.push_str(&format!(
            "<h3>Areas of strength</h3>\n<p class=\"text\">{}</p>\n<h3>Areas for improvement</h3>\n<p class=\"text\">{}</p>\n",
            escape(text(&pip, "strengths")),
            escape(text(&pip, "improvements"))
        ));
        let goals = pip.get("goals").and_then(Value::as_array).unwrap_or(&empty);
        for (i, g) in goals.iter().enumerate() {
            let kind = match text(g, "kind") {
                "practice" => "practice improvement",
                "self_care" => "physician health or self-care",
                _ => "kind not chosen",
            };
            h.push_str(&format!("<h3>Goal {} ({kind})</h3>\n<dl>\n", i + 1));
            for (key, label) in [
                ("aim", "Aim"),
                ("measure", "Measure"),
                ("baseline", "Baseline"),
                ("target", "Target"),
                ("target_date", "Target date"),
                ("change_ideas", "Change ideas"),
            ] {
                h.push_str(&format!("<dt>{label}</dt><dd class=\"text\">{}</dd>\n", escape(text(g, key))));
            }
            h.push_str("</dl>\n");
        }
    }
    h.push_str("<p><a href=\"/me/\">My activities</a> · <a href=\"/me/pip/\">Group PIP</a> · <a href=\"/\">Home</a></p>\n");
    h.push_str("</main>\n</body>\n</html>\n");
    h
}

const STYLE: &str = "body{font-family:system-ui,-apple-system,\"Segoe UI\",Roboto,sans-serif;font-size:1.0625rem;line-height:1.5;color:#1b1b1b;background:#fff;margin:0}\
main{max-width:60rem;margin:0 auto;padding:1rem}\
a{color:#0b4f8a}a:focus,.scroll:focus{outline:3px solid #ffbf47;box-shadow:0 0 0 5px #1b1b1b}\
.scroll{overflow-x:auto;max-width:100%}\
table{border-collapse:collapse;width:100%}caption{text-align:left;font-weight:700;padding-bottom:.5rem}\
th,td{text-align:left;vertical-align:top;padding:.4rem .5rem;border-bottom:1px solid #6b6b6b}\
dt{font-weight:700}dd{margin:0 0 .75rem}.text{white-space:pre-wrap;overflow-wrap:anywhere}";

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lists_members_dates_and_escapes_text() {
        let status = json!({
            "name": "G <1>", "practice_setting": "FHT",
            "members": [
                { "cpso": "1", "name": "Dr. A", "role": "lead",
                  "activities": { "qi_survey": { "done": true, "completed_on": "2026-01-02" } },
                  "credits": { "total": 6 } },
                { "cpso": "2", "name": "Dr. B", "role": "peer", "activities": {}, "credits": { "total": 0 } }
            ],
            "pip": { "state": "submitted", "submitted_on": "2026-03-01", "requirement_met_until": "2031-03-01",
                     "strengths": "s", "improvements": "i", "goals": [] }
        });
        let html = render(&status, "2");
        assert!(html.contains("<h1>Your group's progress</h1>"));
        assert!(html.contains("G &lt;1&gt;"));
        assert!(html.contains("<th scope=\"row\">Dr. A (lead)</th><td>Done 2026-01-02</td><td>Not done</td>"));
        assert!(html.contains("signed in as <strong>Dr. B</strong>"));
        assert!(html.contains("2031-03-01 for every member"));
        assert_eq!(html.matches("<h1>").count(), 1);
    }
}
