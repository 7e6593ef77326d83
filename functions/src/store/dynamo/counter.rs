//! [`RoundTripCounter`]: counts the requests a DynamoDB client sends, for the
//! tests and benchmarks that pin each operation's round trips (feature
//! `test-support`).
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::BoxError;
use aws_sdk_dynamodb::Client;

/// Counts the requests (attempts, retries included) a DynamoDB client sends,
/// per operation (`TransactWriteItems`, `Query`, ...). Add it to a client with
/// [`client_with_counter`]; clones share the counts.
#[derive(Debug, Clone, Default)]
pub struct RoundTripCounter {
    counts: Arc<Mutex<BTreeMap<String, u64>>>,
}

impl RoundTripCounter {
    pub fn new() -> Self {
        Self::default()
    }
    fn counts(&self) -> MutexGuard<'_, BTreeMap<String, u64>> {
        // A panic elsewhere while counting leaves the counts usable.
        self.counts.lock().unwrap_or_else(PoisonError::into_inner)
    }
    /// Requests per operation since the last [`take`](Self::take).
    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.counts().clone()
    }
    /// The counts so far, resetting them to zero.
    pub fn take(&self) -> BTreeMap<String, u64> {
        std::mem::take(&mut *self.counts())
    }
    pub fn total(&self) -> u64 {
        self.counts().values().sum()
    }
}

impl Intercept for RoundTripCounter {
    fn name(&self) -> &'static str {
        "RoundTripCounter"
    }

    fn read_before_attempt(
        &self,
        _context: &BeforeTransmitInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let op = cfg
            .load::<aws_smithy_runtime_api::client::orchestrator::Metadata>()
            .map(|m| m.name().to_string())
            .unwrap_or_else(|| "unknown".to_string());
        *self.counts().entry(op).or_default() += 1;
        Ok(())
    }
}

/// A DynamoDB client from `sdk_config` that reports to `counter`.
pub fn client_with_counter(sdk_config: &aws_config::SdkConfig, counter: &RoundTripCounter) -> Client {
    let conf = aws_sdk_dynamodb::config::Builder::from(sdk_config).interceptor(counter.clone()).build();
    Client::from_conf(conf)
}
