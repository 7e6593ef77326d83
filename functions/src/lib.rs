//! QI Groups domain, storage and HTTP handlers shared by the Lambda functions and the dev server.
pub mod app;
pub mod domain;
pub mod export;
pub mod http;
pub mod lambda;
pub mod local;
pub mod mail;
pub mod store;

pub use crate::app::{App, Config};
pub use crate::http::{handle, handle_routes, Route};

/// Made-up invitations the local dev server loads into an empty store, so a
/// newcomer can sign up (CPSO numbers 10001–10005; cycle = the current one).
pub const DEV_INVITATIONS_CSV: &str = include_str!("../data/dev-invitations.csv");

/// Re-exported for `qi admin` (DynamoDB client construction).
pub use aws_sdk_dynamodb;
