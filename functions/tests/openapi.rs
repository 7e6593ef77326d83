//! `functions/openapi.yaml` describes exactly the routes the router serves:
//! every (method, path) of the router is in the document and vice versa, and
//! every `$ref` in the document resolves.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test, with its message
use std::collections::BTreeSet;

use qi_functions::Route;
use serde_yaml::Value;

fn doc() -> Value {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.yaml")).unwrap();
    serde_yaml::from_str(&text).expect("openapi.yaml is valid YAML")
}

#[test]
fn every_route_is_documented_and_every_documented_route_exists() {
    let d = doc();
    assert!(d["openapi"].as_str().unwrap().starts_with("3."));
    let mut documented = BTreeSet::new();
    for (path, item) in d["paths"].as_mapping().unwrap() {
        for (method, _) in item.as_mapping().unwrap() {
            let m = method.as_str().unwrap();
            if ["get", "put", "post", "delete", "patch", "head", "options"].contains(&m) {
                documented.insert((m.to_uppercase(), path.as_str().unwrap().to_string()));
            }
        }
    }
    let mut routed = BTreeSet::new();
    for r in Route::ALL {
        for m in r.methods() {
            routed.insert((m.to_string(), r.template().to_string()));
        }
    }
    let missing: Vec<_> = routed.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&routed).collect();
    assert!(missing.is_empty(), "routes missing from openapi.yaml: {missing:?}");
    assert!(extra.is_empty(), "openapi.yaml documents routes the router does not serve: {extra:?}");
}

fn refs(v: &Value, out: &mut Vec<String>) {
    match v {
        Value::Mapping(m) => {
            for (k, v) in m {
                if k.as_str() == Some("$ref") {
                    out.push(v.as_str().unwrap().to_string());
                } else {
                    refs(v, out);
                }
            }
        }
        Value::Sequence(s) => s.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[test]
fn every_ref_resolves_and_every_operation_has_responses() {
    let d = doc();
    let mut all = Vec::new();
    refs(&d, &mut all);
    assert!(!all.is_empty());
    for r in all {
        let mut node = &d;
        for part in r.trim_start_matches("#/").split('/') {
            node = &node[part];
        }
        assert!(!node.is_null(), "unresolved $ref {r}");
    }
    for (path, item) in d["paths"].as_mapping().unwrap() {
        for (method, op) in item.as_mapping().unwrap() {
            let responses = op["responses"].as_mapping();
            assert!(responses.is_some_and(|r| !r.is_empty()), "{} {} has no responses", method.as_str().unwrap(), path.as_str().unwrap());
        }
    }
}

#[test]
fn error_codes_match_the_router() {
    let d = doc();
    let codes: BTreeSet<&str> = d["components"]["schemas"]["Error"]["properties"]["error"]["enum"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    use qi_functions::domain::Text;
    use qi_functions::http::respond::ApiError;
    let t = || Text::new("", "");
    for e in [
        ApiError::validation(t(), vec![]),
        ApiError::Unauthorized(t()),
        ApiError::Forbidden(t()),
        ApiError::NotFound(t()),
        ApiError::MethodNotAllowed(&["GET"]),
        ApiError::conflict(t(), vec![]),
        ApiError::PayloadTooLarge,
        ApiError::TooManyRequests(t()),
        ApiError::UnsupportedMediaType,
        ApiError::Unavailable { retry_after: 1, cause: "test" },
        ApiError::Internal { cause: "test" },
    ] {
        assert!(codes.contains(e.code()), "{} not in openapi.yaml", e.code());
    }
}
