//! QI Groups domain, storage and HTTP handlers shared by the Lambda functions and the dev server.
pub mod domain;
pub mod http;
pub mod lambda;
pub mod mail;
pub mod store;

pub use crate::http::{handle, handle_routes, App, Config, Route};
