//! QI Groups domain, storage and HTTP handlers shared by the Lambda functions and the dev server.
//!
//! Cargo features (none by default), so each binary compiles only what it uses:
//! - `sqlite`: the embedded store (`store::sqlite`); `outbox`: the dev `.eml`
//!   outbox mailer; `local` = both + the local dev App (`local`), for `qi serve`.
//! - `dynamodb`: the DynamoDB store (`store::dynamo`, table creation);
//!   `ses`: the SES mailer; `lambda` = both + `lambda_http`: the Lambda
//!   entry (`lambda`), the mail functions (`mail_lambda`: the outbox's
//!   mailer and the SES bounce and complaint handler) and the binaries in
//!   `src/bin/`.
//! - `test-support`: the store conformance suite, the DynamoDB round-trip
//!   counter and their sample data (tests and benchmarks only).
pub mod app;
pub mod domain;
pub mod env;
pub mod export;
pub mod http;
#[cfg(feature = "lambda")]
pub mod lambda;
#[cfg(feature = "local")]
pub mod local;
pub mod mail;
#[cfg(feature = "lambda")]
pub mod mail_lambda;
pub mod store;

pub use crate::app::{App, Config};
pub use crate::http::{handle, handle_routes, Route};

/// Made-up invitations the local dev server loads into an empty store, so a
/// newcomer can sign up (CPSO numbers 10001–10005; cycle = the current one).
pub const DEV_INVITATIONS_CSV: &str = include_str!("../data/dev-invitations.csv");

/// Re-exported for the mailer's tests (stream events).
#[cfg(feature = "lambda")]
pub use aws_lambda_events;
/// Re-exported for `qi admin` (DynamoDB client construction).
#[cfg(feature = "dynamodb")]
pub use aws_sdk_dynamodb;
/// Re-exported for the mailer's tests (SES clients).
#[cfg(feature = "ses")]
pub use aws_sdk_sesv2;
/// Re-exported for the mailer's tests (the dead-letter queue on moto).
#[cfg(feature = "lambda")]
pub use aws_sdk_sqs;
