//! [`DynamoStore`]: the [`Store`] on one DynamoDB table (single-table design,
//! keys, index and time to live from [`super::schema::TABLE`]).
//!
//! # Items
//! | item | `pk` | `sk` | `gsi1pk` / `gsi1sk` | attributes |
//! |---|---|---|---|---|
//! | group | `GROUP#<id>` | `META` | `GROUPS` / `<id>#0` | `group_id`, `name`, `practice_setting`, `cycle`, `created_at`, `version` (N), `next_slot` (N), `draft_version` (N), `pip_state` (`none`/`draft`/`submitted`), `pip` (the plan, JSON), `submitted_on`, `dissolved_at`, `audit` (list of JSON `AuditEvent`s); while a proposal: `proposal_expires_at` and `ttl` |
//! | member | `GROUP#<id>` | `MEMBER#<NN>` (the slot, two digits) | `GROUPS` / `<id>#1#<NN>` | `slot` (N), `cpso`, `name`, `email`, `language`, `role`, `status` (`proposed`/`invited`/`accepted`), `accepted_at`, `code_hash` (hex SHA-256), `sessions` (map: hex hash of a session token → `{c, s}`, created and last used, epoch milliseconds), one attribute per completed activity (`act_qi_survey` = `YYYY-MM-DD`, ...), `history` (list of JSON check-off events), `points` and `cycles` (maps of JSON), `reminders_off` (BOOL), `reminded_through` (`YYYY-MM-DD`), `reminder_tokens` (map: hex hash of an opt-out token → N, 0 the oldest), `closed` once the plan is submitted or the group dissolved; while proposed or invited: `expires_at` and `ttl` |
//! | lock | `PHYSICIAN#<cpso>` | `OPEN_GROUP` | – | `group_id`: the physician's current group; `open` (BOOL): it stops them joining another |
//! | invitation | `INVITE#<cycle>` | `CPSO#<cpso>` | `INVITATIONS` / `<cycle>#<cpso>` | `cycle`, `cpso`, `name`, `email` |
//! | coaching request | `COACHING#<id>` | `META` | `COACHING` / `<created>#<id>` | `group_id`, `cpso`, `topic`, `message`, `created_at` |
//! | day counter | `LIMIT#<key>` | `DAY#<YYYY-MM-DD>` | – | `n` (N), `ttl` (two days after the day) |
//! | write token | `TOKEN#<token>` | `TOKEN` | – | `group_id`, `at`, `ttl` (a day after the write) |
//! | queued mail | `OUTBOX#<id>` | `OUTBOX` | `OUTBOX` / `<queued>#<id>` | `id`, `kind`, `queued_at`, `state` (`pending`/`sent`/`suppressed`/`dead`/`requeued`), `attempts` (N), `next_attempt_at`, `last_error` (a kind), `holder` and `held_until` while an attempt holds it, `mail` (the message, JSON) until settled; `ttl` once settled |
//! | undeliverable address | `UNDELIVERABLE#<hash of the address>` | `ADDRESS` | – | `reason` (`bounce`/`complaint`), `at` |
//!
//! Instants are text `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ` (sorts in time order,
//! so conditions compare them as text) except in `sessions` (epoch
//! milliseconds, compared with `Session::cutoffs`); `ttl` is epoch seconds.
//! DynamoDB deletes items past their `ttl` some time later; every reader
//! applies `Group::as_of`, and every condition treats a lapsed item as gone.
//!
//! # Round trips (counted by `RoundTripCounter` in the tests)
//! - `write`: 1 `TransactWriteItems` (every effect, check and counter; see
//!   `dynamo/transactions.rs`). Sign-up (`Create`, with the invitation check,
//!   the day counters and the token), confirmation, acceptance, invitation,
//!   removal, leaving, a draft, a new link, sign-in and sign-out: 1.
//!   Submission, dissolution and discarding a proposal: 2 — a consistent
//!   `Query` of the partition first (their effects do not name the member
//!   items they close or delete), then the transaction. A sign-in that finds
//!   the member at `MAX_SESSIONS`: 2 transactions (the second ends the
//!   oldest). A transaction that meets another on the same item is retried
//!   (below), and one refused with `IdempotentParameterMismatch` is made
//!   again without DynamoDB's client token.
//! - `check_off`: 1 conditional `UpdateItem` of the member item (other
//!   activities are other attributes, so concurrent check-offs never
//!   overwrite each other); a refusal is named from the item's old image
//!   (`ReturnValuesOnConditionCheckFailure`), without another read.
//! - `touch_session`: 1 conditional `UpdateItem`.
//! - `mark_reminded`: 1 `TransactWriteItems` (the member item's conditional
//!   update and the reminder's queued mail);
//!   a refused reminder is told from the old image. `set_reminders`: 1
//!   conditional `UpdateItem` of the member item.
//! - `add_coaching_request`: 1 `TransactWriteItems` (the request and the
//!   coaches' queued copy), or 1 `PutItem` without a copy.
//! - The outbox (`dynamo/outbox.rs`): `claim_mail`, `settle_mail`: 1
//!   conditional `UpdateItem` each; `requeue_mail`: 1 `GetItem` and 1
//!   `TransactWriteItems`; `undeliverable`: 1 `BatchGetItem`;
//!   `mark_undeliverable`: 1 `PutItem`; `list_mail`: `Query` pages of `gsi1`.
//!   Every write's queued mails are items of its own transaction.
//! - `get_group` (status): 1 consistent `Query` of the group's partition.
//! - `group_of`, `invitation`: 1 consistent `GetItem`.
//! - listings (`list_groups`, `list_invitations(None)`,
//!   `list_coaching_requests`): `Query` pages of `gsi1` (eventually consistent,
//!   like every GSI read; they serve staff exports).
//!
//! # Errors
//! `TransactionCanceledException` reasons become the trait's conflicts (see
//! `dynamo/transactions.rs`); throttling (`ProvisionedThroughputExceededException`,
//! `ThrottlingException`, `RequestLimitExceeded`, throttled transaction
//! items) becomes [`StoreError::Throttled`] once the SDK's own retries are
//! spent. Transaction conflicts (two transactions on one item at once) are
//! retried here a few times — safe, because every write is conditional —
//! then reported as `Throttled` (the handler answers 503 with Retry-After).
//! Other failures: see `dynamo/errors.rs` (5xx, timeouts → `Unavailable`;
//! 4xx → `Internal`). No error carries an item's contents.
//!
//! # Rooms
//! `keys` (how items are keyed, attribute names), `codec` (items <-> domain),
//! `guards` (conditions as expressions and as checks of an old image),
//! `client` (paginated reads, batch reads, retried transactions), `errors`
//! (SDK errors → [`StoreError`]), `transactions` (`write`), `import` (the
//! all-or-nothing invitation import), `store` (the [`Store`] impl), `table`
//! (CreateTable and time to live), `counter` (round trips, feature
//! `test-support`).
//!
//! [`Store`]: crate::store::Store
use aws_sdk_dynamodb::Client;

use crate::store::{Internal, StoreError};

mod client;
mod codec;
#[cfg(feature = "test-support")]
mod counter;
mod errors;
mod guards;
mod import;
mod keys;
mod outbox;
mod store;
pub(crate) mod table;
mod transactions;

pub use client::{MAX_BATCH_GET, MAX_TRANSACTION_ITEMS};
#[cfg(feature = "test-support")]
pub use counter::{client_with_counter, RoundTripCounter};
pub use outbox::mail_id_of_keys;

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
