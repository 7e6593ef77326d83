//! One source of truth for the table: the DynamoDB table that
//! `infra/template.yaml` deploys has exactly the key schema, attribute
//! definitions, indexes and settings of `store::schema::TABLE` (which
//! `qi admin table create` and the moto tests use). No server needed.
#![allow(clippy::unwrap_used, clippy::expect_used)] // test code: a failed unwrap is a failed test, with its message

/// An index as (name, key schema as (attribute, key type), projection).
type Gsi = (String, Vec<(String, String)>, String);
/// A named change that makes the template drift from the code.
type Drift = Box<dyn Fn(&mut Value)>;
use std::collections::BTreeSet;

use qi_functions::store::schema::{KeyPart, TABLE};
use serde_yaml::Value;

fn template() -> Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../infra/template.yaml");
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {path}: {e}"));
    // CloudFormation short forms (!Ref, !Sub, !If...) parse as tagged values.
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("parse {path}: {e}"))
}

/// The one `AWS::DynamoDB::Table` resource's Properties.
fn table_properties(t: &Value) -> Value {
    let resources = t.get("Resources").and_then(Value::as_mapping).expect("Resources");
    let tables: Vec<&Value> =
        resources.values().filter(|r| r.get("Type").and_then(Value::as_str) == Some("AWS::DynamoDB::Table")).collect();
    assert_eq!(tables.len(), 1, "the template declares exactly one DynamoDB table");
    tables[0].get("Properties").expect("table Properties").clone()
}

fn str_at<'a>(v: &'a Value, key: &str) -> &'a str {
    v.get(key).and_then(Value::as_str).unwrap_or_else(|| panic!("{key} missing or not a plain string in {v:?}"))
}

fn key_schema(v: &Value) -> Vec<(String, String)> {
    v.as_sequence()
        .expect("KeySchema is a list")
        .iter()
        .map(|k| (str_at(k, "AttributeName").to_string(), str_at(k, "KeyType").to_string()))
        .collect()
}

fn code_key(parts: &[KeyPart]) -> Vec<(String, String)> {
    parts.iter().map(|k| (k.name.to_string(), k.key_type.to_string())).collect()
}

#[test]
fn template_table_matches_the_code() {
    assert_table_matches(&table_properties(&template()));
}

fn assert_table_matches(p: &Value) {
    let p = p.clone();
    let view = p.get("StreamSpecification").and_then(|s| s.get("StreamViewType")).and_then(Value::as_str);
    assert_eq!(view, Some(qi_functions::store::schema::STREAM_VIEW_TYPE), "the table's stream (the mailer's input)");
    assert_eq!(key_schema(p.get("KeySchema").expect("KeySchema")), code_key(TABLE.key), "table KeySchema");

    let defs: BTreeSet<(String, String)> = p
        .get("AttributeDefinitions")
        .and_then(Value::as_sequence)
        .expect("AttributeDefinitions")
        .iter()
        .map(|a| (str_at(a, "AttributeName").to_string(), str_at(a, "AttributeType").to_string()))
        .collect();
    let code_defs: BTreeSet<(String, String)> = TABLE.attributes.iter().map(|(n, t)| (n.to_string(), t.as_str().to_string())).collect();
    assert_eq!(defs, code_defs, "AttributeDefinitions");

    let gsis: Vec<Gsi> = p
        .get("GlobalSecondaryIndexes")
        .and_then(Value::as_sequence)
        .map(|s| {
            s.iter()
                .map(|g| {
                    (
                        str_at(g, "IndexName").to_string(),
                        key_schema(g.get("KeySchema").expect("index KeySchema")),
                        str_at(g.get("Projection").expect("Projection"), "ProjectionType").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    let code_gsis: Vec<Gsi> =
        TABLE.global_indexes.iter().map(|i| (i.name.to_string(), code_key(i.key), i.projection.to_string())).collect();
    assert_eq!(gsis, code_gsis, "GlobalSecondaryIndexes");
    assert!(p.get("LocalSecondaryIndexes").is_none(), "the code defines no local secondary index");

    assert_eq!(str_at(&p, "BillingMode"), TABLE.billing_mode, "BillingMode");
    let pitr = p
        .get("PointInTimeRecoverySpecification")
        .and_then(|s| s.get("PointInTimeRecoveryEnabled"))
        .and_then(Value::as_bool)
        .unwrap_or(false);
    assert_eq!(pitr, TABLE.point_in_time_recovery, "point-in-time recovery");
    let sse = p.get("SSESpecification").expect("SSESpecification");
    assert_eq!(sse.get("SSEEnabled").and_then(Value::as_bool), Some(true));
    assert_eq!(sse.get("SSEType").and_then(Value::as_str) == Some("KMS"), TABLE.sse_kms, "SSE with KMS");
    assert_eq!(p.get("DeletionProtectionEnabled").and_then(Value::as_bool), Some(TABLE.deletion_protection), "deletion protection");
    let ttl = p
        .get("TimeToLiveSpecification")
        .filter(|t| t.get("Enabled").and_then(Value::as_bool) == Some(true))
        .map(|t| str_at(t, "AttributeName").to_string());
    assert_eq!(ttl.as_deref(), TABLE.ttl_attribute, "time to live");
}

/// The check above must be able to fail: each kind of drift is caught.
#[test]
fn a_drifted_template_is_detected() {
    let original = table_properties(&template());
    let drifts: Vec<(&str, Drift)> = vec![
        (
            "index projection",
            Box::new(|p| p["GlobalSecondaryIndexes"][0]["Projection"]["ProjectionType"] = Value::String("KEYS_ONLY".into())),
        ),
        ("sort key type", Box::new(|p| p["KeySchema"][1]["KeyType"] = Value::String("HASH".into()))),
        ("attribute type", Box::new(|p| p["AttributeDefinitions"][0]["AttributeType"] = Value::String("N".into()))),
        ("index name", Box::new(|p| p["GlobalSecondaryIndexes"][0]["IndexName"] = Value::String("byType".into()))),
        ("billing", Box::new(|p| p["BillingMode"] = Value::String("PROVISIONED".into()))),
        ("PITR", Box::new(|p| p["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] = Value::Bool(false))),
        ("time to live attribute", Box::new(|p| p["TimeToLiveSpecification"]["AttributeName"] = Value::String("expires".into()))),
        ("time to live", Box::new(|p| p["TimeToLiveSpecification"]["Enabled"] = Value::Bool(false))),
        ("stream view", Box::new(|p| p["StreamSpecification"]["StreamViewType"] = Value::String("NEW_IMAGE".into()))),
    ];
    for (what, drift) in drifts {
        let mut p = original.clone();
        drift(&mut p);
        let caught = std::panic::catch_unwind(|| assert_table_matches(&p)).is_err();
        assert!(caught, "a template whose {what} differs from the code passed the check");
    }
}

/// Every function's table permissions name the table, not `*`.
#[test]
fn function_policies_name_the_table() {
    let t = template();
    let resources = t.get("Resources").and_then(Value::as_mapping).unwrap();
    let mut functions = 0;
    for (name, r) in resources {
        if r.get("Type").and_then(Value::as_str) != Some("AWS::Serverless::Function") {
            continue;
        }
        functions += 1;
        let policies = r["Properties"]["Policies"].as_sequence().unwrap_or_else(|| panic!("{name:?} has no Policies"));
        for policy in policies {
            for st in policy["Statement"].as_sequence().expect("Statement list") {
                let actions: Vec<&str> = match &st["Action"] {
                    Value::String(a) => vec![a.as_str()],
                    Value::Sequence(s) => s.iter().filter_map(Value::as_str).collect(),
                    other => panic!("{name:?}: Action {other:?}"),
                };
                assert!(actions.iter().all(|a| !a.contains('*')), "{name:?}: wildcard action {actions:?}");
                // The stream's actions (the mailer's event source mapping)
                // have no keys to condition: they must name the stream.
                const STREAM: [&str; 4] =
                    ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator", "dynamodb:ListStreams"];
                let res = format!("{:?}", st["Resource"]);
                if actions.iter().any(|a| STREAM.contains(a)) {
                    assert!(actions.iter().all(|a| STREAM.contains(a)), "{name:?}: stream and table actions in one statement");
                    assert!(res.contains("/stream/"), "{name:?}: stream actions on {res}");
                } else if actions.iter().any(|a| a.starts_with("dynamodb:")) {
                    assert!(res.contains("Table.Arn") || res.contains("Table"), "{name:?}: table actions on {res}");
                    assert!(st.get("Condition").is_some(), "{name:?}: table actions without a LeadingKeys condition");
                }
            }
        }
    }
    assert_eq!(functions, 8, "signup, activities, pip, status, coaching, reminders, mailer, mail-events");
}

/// The HTTP API in the template sends each (method, path) to the function
/// whose binary serves it (`http::lambda_routes`), and has no other route.
#[test]
fn template_routes_match_the_lambda_binaries() {
    use qi_functions::http::lambda_routes;
    use std::collections::BTreeMap;

    let mut expected: BTreeMap<String, String> = BTreeMap::new();
    for (integration, routes) in [
        ("SignupIntegration", lambda_routes::SIGNUP),
        ("ActivitiesIntegration", lambda_routes::ACTIVITIES),
        ("PipIntegration", lambda_routes::PIP),
        ("StatusIntegration", lambda_routes::STATUS),
        ("CoachingIntegration", lambda_routes::COACHING),
    ] {
        for r in routes {
            for m in r.methods() {
                let prev = expected.insert(format!("{m} {}", r.template()), integration.to_string());
                assert!(prev.is_none(), "{m} {} is served by two functions", r.template());
            }
        }
    }

    let t = template();
    let resources = t.get("Resources").and_then(Value::as_mapping).unwrap();
    let mut actual: BTreeMap<String, String> = BTreeMap::new();
    for r in resources.values() {
        if r.get("Type").and_then(Value::as_str) != Some("AWS::ApiGatewayV2::Route") {
            continue;
        }
        let key = str_at(&r["Properties"], "RouteKey").to_string();
        let target = match &r["Properties"]["Target"] {
            Value::Tagged(t) => t.value.as_str().unwrap_or_default().to_string(),
            other => other.as_str().unwrap_or_default().to_string(),
        };
        let integration = target.trim_start_matches("integrations/${").trim_end_matches('}').to_string();
        assert!(actual.insert(key.clone(), integration).is_none(), "route {key} declared twice");
    }
    assert_eq!(actual, expected, "template routes vs lambda_routes");
}
