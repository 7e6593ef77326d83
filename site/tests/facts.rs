//! The real site (`content/` + `site/templates/`) against `qi_facts`: every
//! form field's `maxlength` and every row maximum is the domain's limit, and
//! the names a form offers are the domain's names. A template that types a
//! number or a label of its own fails here.
// Test and benchmark scaffolding outside #[test] functions: a failure here is
// a failed run with its message, as in the tests themselves.
#![allow(clippy::unwrap_used, clippy::expect_used)]
use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use qi_facts::{limits, Facts};
use qi_site::{build, MemorySink, Options};

/// Every built HTML page of the real site, by path.
fn real_site() -> BTreeMap<String, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let sink = MemorySink::default();
    build(&Options::new(root), &sink).unwrap_or_else(|p| panic!("the real site failed to build:\n{p}"));
    let files = sink.0.into_inner().unwrap();
    files.into_iter().filter(|(p, _)| p.ends_with(".html")).map(|(p, b)| (p, String::from_utf8(b.to_vec()).unwrap())).collect()
}

/// The start tags named `name` in `html`, each as its attributes
/// (double-quoted values, as our templates write them).
fn tags(html: &str, name: &str) -> Vec<HashMap<String, String>> {
    let open = format!("<{name}");
    let mut out = Vec::new();
    let mut rest = html;
    while let Some(i) = rest.find(&open) {
        let after = &rest[i + open.len()..];
        if !after.starts_with(|c: char| c.is_whitespace() || c == '>') {
            rest = after;
            continue;
        }
        let end = after.find('>').unwrap();
        let mut attrs = HashMap::new();
        let mut text = &after[..end];
        loop {
            text = text.trim_start();
            let Some(key_end) = text.find(|c: char| c == '=' || c.is_whitespace()) else {
                if !text.is_empty() {
                    attrs.insert(text.to_string(), String::new());
                }
                break;
            };
            let key = &text[..key_end];
            if text[key_end..].starts_with("=\"") {
                let value_start = key_end + 2;
                let value_len = text[value_start..].find('"').unwrap();
                attrs.insert(key.to_string(), text[value_start..value_start + value_len].to_string());
                text = &text[value_start + value_len + 1..];
            } else {
                attrs.insert(key.to_string(), String::new());
                text = &text[key_end..];
            }
        }
        out.push(attrs);
        rest = &after[end..];
    }
    out
}

/// The domain's limit for a form field, by its name (the API's field names).
fn limit_of(field: &str) -> Option<usize> {
    let row_field = |prefix: &str| {
        field.strip_prefix(prefix).and_then(|rest| rest.split_once('_')).filter(|(n, _)| n.parse::<usize>().is_ok()).map(|(_, f)| f)
    };
    let limit = match (field, row_field("peer_"), row_field("goal_")) {
        ("lead_cpso" | "cpso", ..) | (_, Some("cpso"), _) => limits::CPSO_DIGITS,
        ("lead_name", ..) | (_, Some("name"), _) => limits::PERSON_NAME,
        ("email", ..) | (_, Some("email"), _) => limits::EMAIL,
        ("group_name", ..) => limits::GROUP_NAME,
        ("practice_setting", ..) => limits::PRACTICE_SETTING,
        ("strengths" | "improvements", ..) => limits::PIP_SECTION,
        (_, _, Some("aim" | "measure" | "baseline" | "target" | "change_ideas")) => limits::GOAL_FIELD,
        ("message", ..) => limits::COACHING_MESSAGE,
        _ => return None,
    };
    Some(limit)
}

#[test]
fn every_maxlength_is_the_domains_limit() {
    let mut checked: BTreeMap<String, usize> = BTreeMap::new();
    for (path, html) in real_site() {
        for tag in tags(&html, "input").into_iter().chain(tags(&html, "textarea")) {
            let Some(max) = tag.get("maxlength") else { continue };
            let name = tag.get("name").unwrap_or_else(|| panic!("{path}: a field with a maxlength has no name: {tag:?}"));
            let Some(limit) = limit_of(name) else {
                panic!("{path}: field `{name}` has maxlength {max}, but this test does not know its limit: add it to limit_of")
            };
            assert_eq!(max.parse::<usize>().ok(), Some(limit), "{path}: field `{name}` has maxlength {max}; the domain allows {limit}");
            checked.insert(name.clone(), limit);
        }
    }
    // The forms were found at all: one field of each limit.
    for field in ["lead_cpso", "lead_name", "group_name", "practice_setting", "peer_1_cpso", "peer_6_email", "cpso", "email"] {
        assert!(checked.contains_key(field), "no `{field}` field with a maxlength was built: {checked:?}");
    }
    // The plan's form is rendered by the functions (functions/src/http/pages.rs tests its limits).
    assert!(checked.contains_key("message"), "no `message` field with a maxlength was built: {checked:?}");
    assert!(!checked.contains_key(&format!("peer_{}_cpso", limits::MAX_PEERS + 1)), "more peer rows than the domain allows");
}

#[test]
fn row_limits_and_names_are_the_domains() {
    let pages = real_site();
    let rows: Vec<HashMap<String, String>> =
        pages.values().flat_map(|h| tags(h, "div")).filter(|t| t.contains_key("data-qi-rows")).collect();
    let of = |kind: &str| rows.iter().find(|t| t["data-qi-rows"] == kind).unwrap_or_else(|| panic!("no {kind} rows in the built site"));
    assert_eq!(of("peer")["data-qi-max"], limits::MAX_PEERS.to_string());

    // The plan's goal rows and the activities are the functions' pages now
    // (functions/src/http/pages.rs checks their names and limits).
    let facts = Facts::get();
    let all: String = pages.values().cloned().collect();
    for topic in facts.coaching_topics {
        assert!(all.contains(&format!("<option value=\"{}\">{}</option>", topic.key, topic.label)), "the coaching form lacks {topic:?}");
    }
}
