//! [`DynamoStore`]: the [`Store`] on one DynamoDB table (single-table design,
//! keys and index from [`super::schema::TABLE`]).
//!
//! # Items
//! | item | `pk` | `sk` | `gsi1pk` / `gsi1sk` | attributes |
//! |---|---|---|---|---|
//! | group | `GROUP#<id>` | `META` | `GROUPS` / `<created>#<id>#0` | `name`, `practice_setting`, `cycle`, `created_at`, `member_count`, `pip_state` (`none`/`draft`/`submitted`), `pip` (the draft or submitted plan, JSON), `submitted_on` |
//! | member | `GROUP#<id>` | `MEMBER#<cpso>` | `GROUPS` / `<created>#<id>#1#<pos>` | `pos`, `cpso`, `name`, `email`, `language`, `role`, `code_hash` (hex SHA-256), one attribute per completed activity (`act_qi_survey` = `YYYY-MM-DD`, ...), `pip_submitted` once the plan is in |
//! | lock | `PHYSICIAN#<cpso>` | `OPEN_GROUP` | – | `group_id`: the one open group of this physician |
//! | invitation | `INVITE#<cycle>` | `CPSO#<cpso>` | `INVITATIONS` / `<cycle>#<cpso>` | `cycle`, `cpso`, `name`, `email` |
//! | coaching request | `COACHING#<id>` | `META` | `COACHING` / `<created>#<id>` | `group_id`, `cpso`, `topic`, `message`, `created_at` |
//!
//! `<created>` is the creation instant as `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`,
//! which sorts as text in time order.
//!
//! # Round trips (counted by `RoundTripCounter` in the tests)
//! - `create_group`: 1 — one `TransactWriteItems`: the group item, every
//!   member item and every member's lock, each `attribute_not_exists(pk)`.
//!   Of two sign-ups naming the same physician, the lock lets one through.
//! - `create_group_if_invited` (what a sign-up calls): 1 — the same
//!   transaction plus a `ConditionCheck` that the lead's invitation exists.
//! - `set_activity`: 1 — one `UpdateItem` of the member item, conditioned on
//!   the item existing and `attribute_not_exists(pip_submitted)`; other
//!   activities are separate attributes, so concurrent check-offs never
//!   overwrite each other.
//! - `save_pip_draft`: 1 — conditional `UpdateItem` of the group item.
//! - `submit_pip`: 2 — a consistent `Query` of the group (to know its members),
//!   then one `TransactWriteItems`: the group item (`pip_state <> submitted`),
//!   every member item (all four activity attributes exist; sets
//!   `pip_submitted`, which closes check-offs) and every lock released. An
//!   incomplete group is refused after the read (1 round trip).
//!   `submit_pip_of` (the handler has read the group to authenticate): 1 —
//!   the transaction alone, built from that read.
//! - `get_group`: 1 consistent `Query` of the group's partition.
//! - `open_group_of`, `is_invited`: 1 consistent `GetItem`.
//! - listings (`list_groups`, `list_invitations(None)`,
//!   `list_coaching_requests`): `Query` pages of `gsi1` (eventually consistent,
//!   like every GSI read; they serve staff exports).
//!
//! # Errors
//! `TransactionCanceledException` reasons become the trait's conflicts;
//! throttling (`ProvisionedThroughputExceededException`, `ThrottlingException`,
//! `RequestLimitExceeded`, throttled transaction items) becomes
//! [`StoreError::Throttled`] once the SDK's own retries are spent. Transaction
//! conflicts (two transactions on one item at once) are retried here a few
//! times — safe, because every write is conditional — then reported as
//! `Throttled` (the handler answers 503 with Retry-After). Other failures:
//! see `dynamo/errors.rs` (5xx, timeouts → `Unavailable`; 4xx → `Internal`).
//!
//! # Rooms
//! `keys` (how items are keyed), `codec` (items <-> domain), `client`
//! (paginated reads, batch reads, retried transactions), `errors` (SDK
//! errors → [`StoreError`]), `transactions` (sign-up, submission), `import`
//! (the all-or-nothing invitation import), `store` (the [`Store`] impl),
//! `table` (CreateTable), `counter` (round trips, feature `test-support`).
//!
//! [`Store`]: crate::store::Store
use aws_sdk_dynamodb::Client;

use crate::store::{Internal, StoreError};

mod client;
mod codec;
#[cfg(feature = "test-support")]
mod counter;
mod errors;
mod import;
mod keys;
mod store;
pub(crate) mod table;
mod transactions;

pub use client::{MAX_BATCH_GET, MAX_TRANSACTION_ITEMS};
#[cfg(feature = "test-support")]
pub use counter::{client_with_counter, RoundTripCounter};

/// The AWS configuration from the environment (region, credentials, and the
/// endpoint from `AWS_ENDPOINT_URL_DYNAMODB` or `AWS_ENDPOINT_URL` when set,
/// e.g. a local moto_server). Loaded once per call; a Lambda calls it once at
/// start-up.
pub async fn sdk_config_from_env() -> aws_config::SdkConfig {
    let mut loader = aws_config::defaults(aws_config::BehaviorVersion::latest());
    let endpoint =
        ["AWS_ENDPOINT_URL_DYNAMODB", "AWS_ENDPOINT_URL"].iter().find_map(|k| std::env::var(k).ok().filter(|v| !v.trim().is_empty()));
    if let Some(url) = endpoint {
        loader = loader.endpoint_url(url);
    }
    loader.load().await
}

/// The [`Store`](crate::store::Store) on DynamoDB. Cheap to clone (the SDK
/// client is shared).
#[derive(Debug, Clone)]
pub struct DynamoStore {
    client: Client,
    table: String,
}

impl DynamoStore {
    pub fn new(client: Client, table: String) -> DynamoStore {
        DynamoStore { client, table }
    }

    /// Table from `QI_TABLE_NAME`; region, credentials and endpoint from the
    /// standard AWS environment (see [`sdk_config_from_env`]). No network call.
    pub async fn from_env() -> Result<DynamoStore, StoreError> {
        let table = std::env::var("QI_TABLE_NAME")
            .ok()
            .filter(|t| !t.trim().is_empty())
            .ok_or(StoreError::Internal(Internal::Config("QI_TABLE_NAME is not set")))?;
        let config = sdk_config_from_env().await;
        Ok(DynamoStore::new(Client::new(&config), table))
    }

    pub fn client(&self) -> &Client {
        &self.client
    }
    pub fn table(&self) -> &str {
        &self.table
    }
}
