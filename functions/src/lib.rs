//! QI Groups domain, storage and HTTP handlers shared by the Lambda functions and the dev server.
pub mod domain;
pub mod store;
