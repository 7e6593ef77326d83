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
//! # Round trips (counted by [`RoundTripCounter`] in the tests)
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
//! `Throttled` (the handler answers 503 with Retry-After).
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_dynamodb::config::interceptors::BeforeTransmitInterceptorContextRef;
use aws_sdk_dynamodb::config::{ConfigBag, Intercept, RuntimeComponents};
use aws_sdk_dynamodb::error::{BoxError, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::operation::transact_write_items::TransactWriteItemsError;
use aws_sdk_dynamodb::types::{
    AttributeValue, CancellationReason, ConditionCheck, Delete, KeysAndAttributes, Put, ReturnValue, ReturnValuesOnConditionCheckFailure,
    TransactWriteItem, Update,
};
use aws_sdk_dynamodb::Client;
use chrono::{DateTime, NaiveDate, Utc};

use super::schema::{GSI1, GSI1_PK, GSI1_SK, PK, SK};
use super::{ConflictKind, Store, StoreError, StoreResult};
use crate::domain::{
    Activities, Activity, CoachingMessage, CoachingRequest, CoachingTopic, CodeHash, Cpso, Cycle, Email, Group, GroupId, GroupMember,
    GroupName, Invitation, InvitationList, Language, Member, PersonName, PipDraft, PipState, PracticeSetting, Role,
};

type Item = HashMap<String, AttributeValue>;

/// Most items one `TransactWriteItems` may hold.
pub const MAX_TRANSACTION_ITEMS: usize = 100;
/// Most keys one `BatchGetItem` may ask for.
const MAX_BATCH_GET: usize = 100;
/// Attempts of a transaction that keeps meeting `TransactionConflict`.
const TRANSACTION_ATTEMPTS: u32 = 4;

const GROUPS: &str = "GROUPS";
const INVITATIONS: &str = "INVITATIONS";
const COACHING: &str = "COACHING";
const META: &str = "META";
const OPEN_GROUP: &str = "OPEN_GROUP";

fn group_pk(id: &GroupId) -> String {
    format!("GROUP#{}", id.as_str())
}
fn member_sk(cpso: &Cpso) -> String {
    format!("MEMBER#{}", cpso.as_str())
}
fn lock_pk(cpso: &Cpso) -> String {
    format!("PHYSICIAN#{}", cpso.as_str())
}
fn invite_pk(cycle: &Cycle) -> String {
    format!("INVITE#{}", cycle.as_str())
}
fn invite_sk(cpso: &Cpso) -> String {
    format!("CPSO#{}", cpso.as_str())
}
fn activity_attr(a: Activity) -> String {
    format!("act_{}", a.key())
}
/// Instants as text that sorts in time order and reads back exactly.
fn instant(t: &DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.9fZ").to_string()
}

fn s(v: impl Into<String>) -> AttributeValue {
    AttributeValue::S(v.into())
}
fn n(v: impl ToString) -> AttributeValue {
    AttributeValue::N(v.to_string())
}
fn key(pk: String, sk: impl Into<String>) -> Item {
    HashMap::from([(PK.to_string(), s(pk)), (SK.to_string(), s(sk))])
}

// ------------------------------------------------------------ round trips

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
    /// Requests per operation since the last [`take`](Self::take).
    pub fn snapshot(&self) -> BTreeMap<String, u64> {
        self.counts.lock().expect("counter lock").clone()
    }
    /// The counts so far, resetting them to zero.
    pub fn take(&self) -> BTreeMap<String, u64> {
        std::mem::take(&mut *self.counts.lock().expect("counter lock"))
    }
    pub fn total(&self) -> u64 {
        self.counts.lock().expect("counter lock").values().sum()
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
        *self.counts.lock().expect("counter lock").entry(op).or_default() += 1;
        Ok(())
    }
}

/// A DynamoDB client from `sdk_config` that reports to `counter`.
pub fn client_with_counter(sdk_config: &aws_config::SdkConfig, counter: &RoundTripCounter) -> Client {
    let conf = aws_sdk_dynamodb::config::Builder::from(sdk_config).interceptor(counter.clone()).build();
    Client::from_conf(conf)
}

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

// ------------------------------------------------------------------ store

/// The [`Store`] on DynamoDB. Cheap to clone (the SDK client is shared).
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
            .ok_or_else(|| StoreError::Unavailable("QI_TABLE_NAME is not set".into()))?;
        let config = sdk_config_from_env().await;
        Ok(DynamoStore::new(Client::new(&config), table))
    }

    pub fn client(&self) -> &Client {
        &self.client
    }
    pub fn table(&self) -> &str {
        &self.table
    }

    /// Sign-up as one transaction: the group item, every member item and
    /// every member's lock (each `attribute_not_exists(pk)`), and with
    /// `invited_lead` a `ConditionCheck` that the lead's invitation exists.
    async fn create(&self, group: &Group, invited_lead: bool) -> StoreResult<()> {
        let exists_not = "attribute_not_exists(pk)";
        let mut ops = vec![put_op(&self.table, group_item(group)?, Some(exists_not))?];
        for (pos, m) in group.members.iter().enumerate() {
            ops.push(put_op(&self.table, member_item(group, pos, m), Some(exists_not))?);
        }
        for m in &group.members {
            ops.push(put_op(&self.table, lock_item(&m.member.cpso, &group.id), Some(exists_not))?);
        }
        let n = group.members.len();
        if invited_lead {
            let lead = group
                .members
                .iter()
                .find(|m| m.member.role == Role::Lead)
                .ok_or_else(|| StoreError::Unavailable("a group without a lead".into()))?;
            let check = ConditionCheck::builder()
                .table_name(&self.table)
                .set_key(Some(key(invite_pk(&group.cycle), invite_sk(&lead.member.cpso))))
                .condition_expression("attribute_exists(#pk)")
                .expression_attribute_names("#pk", PK)
                .build()
                .map_err(build_error)?;
            ops.push(TransactWriteItem::builder().condition_check(check).build());
        }
        match self.transact(ops).await {
            Ok(()) => Ok(()),
            Err(Err(e)) => Err(e),
            Err(Ok(reasons)) => {
                let failed = |i: usize| reasons.get(i).is_some_and(is_conditional_failure);
                if invited_lead && failed(1 + 2 * n) {
                    return Err(StoreError::Conflict(ConflictKind::LeadNotInvited));
                }
                let taken: Vec<Cpso> = (0..n).filter(|i| failed(1 + n + i)).map(|i| group.members[i].member.cpso.clone()).collect();
                if !taken.is_empty() {
                    return Err(StoreError::Conflict(ConflictKind::MembersInOpenGroup(taken)));
                }
                if (0..=n).any(failed) {
                    return Err(StoreError::Conflict(ConflictKind::GroupIdTaken));
                }
                // Reasons not attributable to an item: name the members a
                // consistent re-read finds in another open group.
                let locks = self.batch_get(group.members.iter().map(|m| key(lock_pk(&m.member.cpso), OPEN_GROUP)).collect()).await?;
                let held: Vec<Cpso> = group
                    .members
                    .iter()
                    .filter(|m| {
                        locks.iter().any(|l| {
                            opt_s(l, PK) == Some(lock_pk(&m.member.cpso).as_str()) && opt_s(l, "group_id") != Some(group.id.as_str())
                        })
                    })
                    .map(|m| m.member.cpso.clone())
                    .collect();
                if held.is_empty() {
                    Err(StoreError::Unavailable("sign-up transaction cancelled for an unknown reason".into()))
                } else {
                    Err(StoreError::Conflict(ConflictKind::MembersInOpenGroup(held)))
                }
            }
        }
    }

    /// Every item of a partition (consistent read), all pages.
    async fn query_partition(&self, pk: String) -> StoreResult<Vec<Item>> {
        self.query_all(None, PK, &pk).await
    }

    /// Every item of one `gsi1` partition, in `gsi1sk` order, all pages.
    /// (Index reads are eventually consistent, as DynamoDB requires.)
    async fn query_index(&self, gsi1pk: &str) -> StoreResult<Vec<Item>> {
        self.query_all(Some(GSI1), GSI1_PK, gsi1pk).await
    }

    /// Every item whose `key_attr` equals `value`, on the table (consistent
    /// read) or on `index`, following pagination to the end.
    async fn query_all(&self, index: Option<&str>, key_attr: &str, value: &str) -> StoreResult<Vec<Item>> {
        let mut items = Vec::new();
        let mut start: Option<Item> = None;
        loop {
            let out = self
                .client
                .query()
                .table_name(&self.table)
                .set_index_name(index.map(str::to_owned))
                .key_condition_expression("#pk = :pk")
                .expression_attribute_names("#pk", key_attr)
                .expression_attribute_values(":pk", s(value))
                .set_consistent_read(index.is_none().then_some(true))
                .set_exclusive_start_key(start.take())
                .send()
                .await
                .map_err(sdk_error)?;
            items.extend(out.items().iter().cloned());
            match out.last_evaluated_key() {
                Some(k) if !k.is_empty() => start = Some(k.clone()),
                _ => return Ok(items),
            }
        }
    }

    /// Items by key (consistent), in no particular order; missing ones left out.
    async fn batch_get(&self, keys: Vec<Item>) -> StoreResult<Vec<Item>> {
        let mut found = Vec::new();
        for chunk in keys.chunks(MAX_BATCH_GET) {
            let mut pending =
                KeysAndAttributes::builder().set_keys(Some(chunk.to_vec())).consistent_read(true).build().map_err(build_error)?;
            for attempt in 0.. {
                let out = self.client.batch_get_item().request_items(&self.table, pending.clone()).send().await.map_err(sdk_error)?;
                if let Some(items) = out.responses().and_then(|r| r.get(&self.table)) {
                    found.extend(items.iter().cloned());
                }
                match out.unprocessed_keys().and_then(|u| u.get(&self.table)) {
                    Some(rest) if !rest.keys().is_empty() => {
                        if attempt >= 8 {
                            return Err(StoreError::Throttled);
                        }
                        pending = rest.clone();
                        backoff(attempt).await;
                    }
                    _ => break,
                }
            }
        }
        Ok(found)
    }

    /// Run a transaction, retrying while it only meets concurrent
    /// transactions (`TransactionConflict`). A cancellation for any other
    /// reason comes back as `Err(Ok(reasons))`; other failures as `Err(Err(e))`.
    async fn transact(&self, items: Vec<TransactWriteItem>) -> Result<(), Result<Vec<CancellationReason>, StoreError>> {
        debug_assert!(items.len() <= MAX_TRANSACTION_ITEMS);
        let mut attempt = 0;
        loop {
            attempt += 1;
            let result = self.client.transact_write_items().set_transact_items(Some(items.clone())).send().await;
            let err = match result {
                Ok(_) => return Ok(()),
                Err(e) => e,
            };
            let service = match err {
                SdkError::ServiceError(ctx) => ctx.into_err(),
                other => return Err(Err(sdk_error(other))),
            };
            match service {
                TransactWriteItemsError::TransactionCanceledException(c) => {
                    let reasons = c.cancellation_reasons().to_vec();
                    let codes: Vec<&str> = reasons.iter().filter_map(|r| r.code()).collect();
                    if codes.contains(&"ConditionalCheckFailed") {
                        return Err(Ok(reasons));
                    }
                    if codes.iter().any(|c| matches!(*c, "ThrottlingError" | "ProvisionedThroughputExceeded" | "RequestLimitExceeded")) {
                        return Err(Err(StoreError::Throttled));
                    }
                    if codes.contains(&"TransactionConflict") {
                        if attempt < TRANSACTION_ATTEMPTS {
                            backoff(attempt).await;
                            continue;
                        }
                        return Err(Err(StoreError::Throttled));
                    }
                    return Err(Err(StoreError::Unavailable(format!("transaction cancelled: {codes:?}"))));
                }
                TransactWriteItemsError::TransactionInProgressException(_) => {
                    if attempt < TRANSACTION_ATTEMPTS {
                        backoff(attempt).await;
                        continue;
                    }
                    return Err(Err(StoreError::Throttled));
                }
                other => return Err(Err(service_error(&other))),
            }
        }
    }

    /// Write `items` (already complete items) with transactions of at most 100.
    async fn put_all(&self, items: &[Item]) -> Result<(), (usize, StoreError)> {
        for (i, chunk) in items.chunks(MAX_TRANSACTION_ITEMS).enumerate() {
            let ops = chunk
                .iter()
                .map(|item| {
                    Ok(TransactWriteItem::builder()
                        .put(Put::builder().table_name(&self.table).set_item(Some(item.clone())).build()?)
                        .build())
                })
                .collect::<Result<Vec<_>, aws_sdk_dynamodb::error::BuildError>>()
                .map_err(|e| (i, build_error(e)))?;
            self.transact(ops).await.map_err(|e| {
                let err = match e {
                    Ok(reasons) => StoreError::Unavailable(format!("unconditional write cancelled ({} reasons)", reasons.len())),
                    Err(e) => e,
                };
                (i, err)
            })?;
        }
        Ok(())
    }
}

async fn backoff(attempt: u32) {
    // 10, 20, 40... ms plus up to 10 ms of jitter so racing writers spread out.
    let jitter = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos() % 10_000_000).unwrap_or(0);
    let base = 10_000_000u64 << attempt.min(6);
    tokio::time::sleep(Duration::from_nanos(base + u64::from(jitter))).await;
}

fn build_error(e: aws_sdk_dynamodb::error::BuildError) -> StoreError {
    StoreError::Unavailable(format!("building a DynamoDB request: {e}"))
}

fn is_throttling(code: Option<&str>) -> bool {
    matches!(
        code,
        Some(
            "ProvisionedThroughputExceededException"
                | "ThrottlingException"
                | "RequestLimitExceeded"
                | "TransactionConflictException"
                | "TransactionInProgressException"
        )
    )
}

fn service_error<E: ProvideErrorMetadata>(e: &E) -> StoreError {
    if is_throttling(e.code()) {
        return StoreError::Throttled;
    }
    // Codes and messages from DynamoDB name no item contents.
    StoreError::Unavailable(format!("DynamoDB {}: {}", e.code().unwrap_or("error"), e.message().unwrap_or("")))
}

/// Any SDK failure that no operation handles specially.
fn sdk_error<E: ProvideErrorMetadata + std::error::Error + 'static, R: std::fmt::Debug>(e: SdkError<E, R>) -> StoreError {
    match e {
        SdkError::ServiceError(ctx) => service_error(ctx.err()),
        SdkError::TimeoutError(_) => StoreError::Unavailable("DynamoDB request timed out".into()),
        other => StoreError::Unavailable(format!("DynamoDB request failed: {}", aws_sdk_dynamodb::error::DisplayErrorContext(other))),
    }
}

fn is_conditional_failure(r: &CancellationReason) -> bool {
    r.code() == Some("ConditionalCheckFailed")
}

// --------------------------------------------------------- item <-> domain

fn corrupt(what: &str) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

fn get_s<'a>(item: &'a Item, name: &str) -> StoreResult<&'a str> {
    match item.get(name) {
        Some(AttributeValue::S(v)) => Ok(v),
        _ => Err(corrupt(&format!("attribute {name} missing or not a string"))),
    }
}
fn opt_s<'a>(item: &'a Item, name: &str) -> Option<&'a str> {
    match item.get(name) {
        Some(AttributeValue::S(v)) => Some(v),
        _ => None,
    }
}
fn get_n(item: &Item, name: &str) -> StoreResult<u64> {
    match item.get(name) {
        Some(AttributeValue::N(v)) => v.parse().map_err(|_| corrupt(&format!("attribute {name} is not a whole number"))),
        _ => Err(corrupt(&format!("attribute {name} missing or not a number"))),
    }
}
fn parse<T, E>(item: &Item, name: &str, f: impl FnOnce(&str) -> Result<T, E>) -> StoreResult<T> {
    f(get_s(item, name)?).map_err(|_| corrupt(&format!("attribute {name} is not valid")))
}
fn date(v: &str) -> Result<NaiveDate, chrono::ParseError> {
    NaiveDate::parse_from_str(v, "%Y-%m-%d")
}
fn parse_instant(v: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    DateTime::parse_from_rfc3339(v).map(|t| t.with_timezone(&Utc))
}

fn activities_of(item: &Item) -> StoreResult<Activities> {
    let mut acts = Activities::default();
    for a in Activity::ALL {
        if let Some(v) = opt_s(item, &activity_attr(a)) {
            acts.set(a, Some(date(v).map_err(|_| corrupt("an activity date is not valid"))?));
        }
    }
    Ok(acts)
}

fn group_item(g: &Group) -> StoreResult<Item> {
    let created = instant(&g.created_at);
    let mut item = key(group_pk(&g.id), META);
    item.insert(GSI1_PK.into(), s(GROUPS));
    item.insert(GSI1_SK.into(), s(format!("{created}#{}#0", g.id.as_str())));
    item.insert("type".into(), s("group"));
    item.insert("group_id".into(), s(g.id.as_str()));
    item.insert("name".into(), s(g.name.as_str()));
    item.insert("practice_setting".into(), s(g.practice_setting.as_str()));
    item.insert("cycle".into(), s(g.cycle.as_str()));
    item.insert("created_at".into(), s(created));
    item.insert("member_count".into(), n(g.members.len()));
    match &g.pip {
        PipState::None => {
            item.insert("pip_state".into(), s("none"));
        }
        PipState::Draft { draft } => {
            item.insert("pip_state".into(), s("draft"));
            item.insert("pip".into(), s(pip_json(draft)?));
        }
        PipState::Submitted { pip, submitted_on } => {
            item.insert("pip_state".into(), s("submitted"));
            item.insert("pip".into(), s(pip_json(pip)?));
            item.insert("submitted_on".into(), s(submitted_on.to_string()));
        }
    }
    Ok(item)
}

fn pip_json(p: &PipDraft) -> StoreResult<String> {
    serde_json::to_string(p).map_err(|e| StoreError::Unavailable(format!("encoding the plan: {e}")))
}

fn member_item(g: &Group, pos: usize, m: &GroupMember) -> Item {
    let mut item = key(group_pk(&g.id), member_sk(&m.member.cpso));
    item.insert(GSI1_PK.into(), s(GROUPS));
    item.insert(GSI1_SK.into(), s(format!("{}#{}#1#{pos:02}", instant(&g.created_at), g.id.as_str())));
    item.insert("type".into(), s("member"));
    item.insert("pos".into(), n(pos));
    item.insert("cpso".into(), s(m.member.cpso.as_str()));
    item.insert("name".into(), s(m.member.name.as_str()));
    item.insert("email".into(), s(m.member.email.as_str()));
    item.insert("language".into(), s(m.member.language.as_str()));
    item.insert("role".into(), s(m.member.role.as_str()));
    item.insert("code_hash".into(), s(m.code_hash.to_hex()));
    for (a, d) in &m.activities.0 {
        item.insert(activity_attr(*a), s(d.to_string()));
    }
    if g.pip.is_submitted() {
        item.insert("pip_submitted".into(), AttributeValue::Bool(true));
    }
    item
}

fn lock_item(cpso: &Cpso, id: &GroupId) -> Item {
    let mut item = key(lock_pk(cpso), OPEN_GROUP);
    item.insert("type".into(), s("lock"));
    item.insert("group_id".into(), s(id.as_str()));
    item
}

fn parse_member(item: &Item) -> StoreResult<(u64, GroupMember)> {
    let pos = get_n(item, "pos")?;
    let role = match get_s(item, "role")? {
        "lead" => Role::Lead,
        "peer" => Role::Peer,
        _ => return Err(corrupt("attribute role is not valid")),
    };
    let member = Member {
        cpso: parse(item, "cpso", Cpso::parse)?,
        name: parse(item, "name", PersonName::parse)?,
        email: parse(item, "email", Email::parse)?,
        language: parse(item, "language", Language::parse)?,
        role,
    };
    let code_hash = parse(item, "code_hash", |h| CodeHash::from_hex(h).ok_or(()))?;
    Ok((pos, GroupMember { member, code_hash, activities: activities_of(item)? }))
}

/// A group from its items (the group item and its member items, any order).
fn parse_group(items: &[Item]) -> StoreResult<Group> {
    let meta = items.iter().find(|i| opt_s(i, SK) == Some(META)).ok_or(StoreError::NotFound)?;
    let mut members = items
        .iter()
        .filter(|i| opt_s(i, SK).is_some_and(|sk| sk.starts_with("MEMBER#")))
        .map(parse_member)
        .collect::<StoreResult<Vec<_>>>()?;
    members.sort_by_key(|(pos, _)| *pos);
    if members.len() as u64 != get_n(meta, "member_count")? {
        return Err(corrupt("the group's member items do not match its member count"));
    }
    let pip = match get_s(meta, "pip_state")? {
        "none" => PipState::None,
        "draft" => PipState::Draft { draft: parse(meta, "pip", |v| serde_json::from_str::<PipDraft>(v))? },
        "submitted" => PipState::Submitted {
            pip: parse(meta, "pip", |v| serde_json::from_str::<PipDraft>(v))?,
            submitted_on: parse(meta, "submitted_on", date)?,
        },
        _ => return Err(corrupt("attribute pip_state is not valid")),
    };
    Ok(Group {
        id: parse(meta, "group_id", GroupId::parse)?,
        name: parse(meta, "name", GroupName::parse)?,
        practice_setting: parse(meta, "practice_setting", PracticeSetting::parse)?,
        cycle: parse(meta, "cycle", Cycle::parse)?,
        created_at: parse(meta, "created_at", parse_instant)?,
        members: members.into_iter().map(|(_, m)| m).collect(),
        pip,
    })
}

fn invitation_item(inv: &Invitation) -> Item {
    let mut item = key(invite_pk(&inv.cycle), invite_sk(&inv.cpso));
    item.insert(GSI1_PK.into(), s(INVITATIONS));
    item.insert(GSI1_SK.into(), s(format!("{}#{}", inv.cycle.as_str(), inv.cpso.as_str())));
    item.insert("type".into(), s("invitation"));
    item.insert("cycle".into(), s(inv.cycle.as_str()));
    item.insert("cpso".into(), s(inv.cpso.as_str()));
    if let Some(name) = &inv.name {
        item.insert("name".into(), s(name.as_str()));
    }
    if let Some(email) = &inv.email {
        item.insert("email".into(), s(email.as_str()));
    }
    item
}

fn parse_invitation(item: &Item) -> StoreResult<Invitation> {
    Ok(Invitation {
        cycle: parse(item, "cycle", Cycle::parse)?,
        cpso: parse(item, "cpso", Cpso::parse)?,
        name: opt_s(item, "name").map(PersonName::parse).transpose().map_err(|_| corrupt("attribute name is not valid"))?,
        email: opt_s(item, "email").map(Email::parse).transpose().map_err(|_| corrupt("attribute email is not valid"))?,
    })
}

fn coaching_item(r: &CoachingRequest) -> Item {
    let created = instant(&r.created_at);
    let mut item = key(format!("COACHING#{}", r.id), META);
    item.insert(GSI1_PK.into(), s(COACHING));
    item.insert(GSI1_SK.into(), s(format!("{created}#{}", r.id)));
    item.insert("type".into(), s("coaching"));
    item.insert("id".into(), s(&r.id));
    item.insert("group_id".into(), s(r.group_id.as_str()));
    item.insert("cpso".into(), s(r.cpso.as_str()));
    item.insert("topic".into(), s(r.topic.key()));
    item.insert("message".into(), s(r.message.as_str()));
    item.insert("created_at".into(), s(created));
    item
}

fn parse_coaching(item: &Item) -> StoreResult<CoachingRequest> {
    Ok(CoachingRequest {
        id: get_s(item, "id")?.to_string(),
        group_id: parse(item, "group_id", GroupId::parse)?,
        cpso: parse(item, "cpso", Cpso::parse)?,
        topic: parse(item, "topic", CoachingTopic::parse)?,
        message: parse(item, "message", CoachingMessage::parse)?,
        created_at: parse(item, "created_at", parse_instant)?,
    })
}

fn put_op(table: &str, item: Item, condition: Option<&str>) -> StoreResult<TransactWriteItem> {
    let mut put = Put::builder()
        .table_name(table)
        .set_item(Some(item))
        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
    if let Some(c) = condition {
        put = put.condition_expression(c);
    }
    Ok(TransactWriteItem::builder().put(put.build().map_err(build_error)?).build())
}

// ------------------------------------------------------------------ trait

#[async_trait]
impl Store for DynamoStore {
    /// All-or-nothing: up to 100 entries are ONE transaction. A longer list
    /// is written in transactions of 100 after reading the entries it
    /// replaces; if a later transaction fails, the earlier ones are undone
    /// (replaced entries written back, new ones deleted) before the error is
    /// returned. Readers may see part of a large import while it runs; only if
    /// DynamoDB also refuses the undo can a partial import remain, and the
    /// error then says so (re-running the same import completes it).
    async fn import_invitations(&self, list: &InvitationList) -> StoreResult<usize> {
        let items: Vec<Item> = list.entries().iter().map(invitation_item).collect();
        if items.is_empty() {
            return Ok(0);
        }
        if items.len() <= MAX_TRANSACTION_ITEMS {
            self.put_all(&items).await.map_err(|(_, e)| e)?;
            return Ok(items.len());
        }
        let keys: Vec<Item> = list.entries().iter().map(|i| key(invite_pk(&i.cycle), invite_sk(&i.cpso))).collect();
        let previous: HashMap<(String, String), Item> = self
            .batch_get(keys.clone())
            .await?
            .into_iter()
            .filter_map(|it| Some(((opt_s(&it, PK)?.to_string(), opt_s(&it, SK)?.to_string()), it)))
            .collect();
        if let Err((failed_chunk, err)) = self.put_all(&items).await {
            // Undo the chunks that were written, newest first.
            for chunk in (0..failed_chunk).rev() {
                let range = chunk * MAX_TRANSACTION_ITEMS..((chunk + 1) * MAX_TRANSACTION_ITEMS).min(keys.len());
                let mut ops = Vec::new();
                for k in &keys[range] {
                    let id = (opt_s(k, PK).unwrap_or_default().to_string(), opt_s(k, SK).unwrap_or_default().to_string());
                    ops.push(match previous.get(&id) {
                        Some(old) => put_op(&self.table, old.clone(), None)?,
                        None => TransactWriteItem::builder()
                            .delete(Delete::builder().table_name(&self.table).set_key(Some(k.clone())).build().map_err(build_error)?)
                            .build(),
                    });
                }
                if self.transact(ops).await.is_err() {
                    return Err(StoreError::Unavailable(format!(
                        "the invitation import failed ({err}) and undoing it failed too: entries up to number {} may have been imported; run the same import again",
                        (chunk + 1) * MAX_TRANSACTION_ITEMS
                    )));
                }
            }
            return Err(err);
        }
        Ok(items.len())
    }

    async fn is_invited(&self, cycle: &Cycle, cpso: &Cpso) -> StoreResult<bool> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(invite_pk(cycle), invite_sk(cpso))))
            .consistent_read(true)
            .projection_expression("#pk")
            .expression_attribute_names("#pk", PK)
            .send()
            .await
            .map_err(sdk_error)?;
        Ok(out.item().is_some_and(|i| !i.is_empty()))
    }

    async fn list_invitations(&self, cycle: Option<&Cycle>) -> StoreResult<Vec<Invitation>> {
        let items = match cycle {
            Some(c) => self.query_partition(invite_pk(c)).await?,
            None => self.query_index(INVITATIONS).await?,
        };
        let mut list = items.iter().map(parse_invitation).collect::<StoreResult<Vec<_>>>()?;
        list.sort_by(|a, b| (a.cycle.as_str(), a.cpso.as_str()).cmp(&(b.cycle.as_str(), b.cpso.as_str())));
        Ok(list)
    }

    async fn create_group(&self, group: &Group) -> StoreResult<()> {
        self.create(group, false).await
    }

    /// One round trip: the invitation is a `ConditionCheck` in the sign-up
    /// transaction.
    async fn create_group_if_invited(&self, group: &Group) -> StoreResult<()> {
        self.create(group, true).await
    }

    async fn get_group(&self, id: &GroupId) -> StoreResult<Group> {
        let items = self.query_partition(group_pk(id)).await?;
        parse_group(&items)
    }

    async fn open_group_of(&self, cpso: &Cpso) -> StoreResult<Option<GroupId>> {
        let out = self
            .client
            .get_item()
            .table_name(&self.table)
            .set_key(Some(key(lock_pk(cpso), OPEN_GROUP)))
            .consistent_read(true)
            .send()
            .await
            .map_err(sdk_error)?;
        match out.item() {
            Some(item) if !item.is_empty() => Ok(Some(parse(item, "group_id", GroupId::parse)?)),
            _ => Ok(None),
        }
    }

    async fn set_activity(
        &self,
        id: &GroupId,
        member: &Cpso,
        activity: Activity,
        completed_on: Option<NaiveDate>,
    ) -> StoreResult<Activities> {
        let mut req = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(group_pk(id), member_sk(member))))
            .condition_expression("attribute_exists(#pk) AND attribute_not_exists(#submitted)")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#submitted", "pip_submitted")
            .expression_attribute_names("#act", activity_attr(activity))
            .return_values(ReturnValue::AllNew)
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
        req = match completed_on {
            Some(d) => req.update_expression("SET #act = :d").expression_attribute_values(":d", s(d.to_string())),
            None => req.update_expression("REMOVE #act"),
        };
        match req.send().await {
            Ok(out) => activities_of(out.attributes().ok_or_else(|| corrupt("the update returned no item"))?),
            Err(SdkError::ServiceError(ctx)) if ctx.err().is_conditional_check_failed_exception() => {
                let old = match ctx.into_err() {
                    aws_sdk_dynamodb::operation::update_item::UpdateItemError::ConditionalCheckFailedException(e) => e.item,
                    _ => None,
                };
                match old {
                    Some(item) if !item.is_empty() => Err(StoreError::Conflict(ConflictKind::PipSubmitted)),
                    // No item back: either the member does not exist, or a
                    // backend that does not return old items; look.
                    _ => {
                        let items = self.query_partition(group_pk(id)).await?;
                        let member_exists = items.iter().any(|i| opt_s(i, SK) == Some(member_sk(member).as_str()));
                        if member_exists {
                            Err(StoreError::Conflict(ConflictKind::PipSubmitted))
                        } else {
                            Err(StoreError::NotFound)
                        }
                    }
                }
            }
            Err(e) => Err(sdk_error(e)),
        }
    }

    async fn save_pip_draft(&self, id: &GroupId, draft: &PipDraft) -> StoreResult<()> {
        let result = self
            .client
            .update_item()
            .table_name(&self.table)
            .set_key(Some(key(group_pk(id), META)))
            .update_expression("SET #state = :draft, #pip = :pip")
            .condition_expression("attribute_exists(#pk) AND #state <> :submitted")
            .expression_attribute_names("#pk", PK)
            .expression_attribute_names("#state", "pip_state")
            .expression_attribute_names("#pip", "pip")
            .expression_attribute_values(":draft", s("draft"))
            .expression_attribute_values(":submitted", s("submitted"))
            .expression_attribute_values(":pip", s(pip_json(draft)?))
            .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(ctx)) if ctx.err().is_conditional_check_failed_exception() => {
                let exists = match ctx.into_err() {
                    aws_sdk_dynamodb::operation::update_item::UpdateItemError::ConditionalCheckFailedException(e) => {
                        e.item.is_some_and(|i| !i.is_empty())
                    }
                    _ => false,
                };
                if exists || self.query_partition(group_pk(id)).await?.iter().any(|i| opt_s(i, SK) == Some(META)) {
                    Err(StoreError::Conflict(ConflictKind::PipSubmitted))
                } else {
                    Err(StoreError::NotFound)
                }
            }
            Err(e) => Err(sdk_error(e)),
        }
    }

    async fn submit_pip(&self, id: &GroupId, pip: &PipDraft, submitted_on: NaiveDate) -> StoreResult<()> {
        let group = self.get_group(id).await?;
        self.submit_pip_of(&group, pip, submitted_on).await
    }

    /// One round trip (the transaction) when the caller has read the group.
    async fn submit_pip_of(&self, group: &Group, pip: &PipDraft, submitted_on: NaiveDate) -> StoreResult<()> {
        let id = &group.id;
        if group.pip.is_submitted() {
            return Err(StoreError::Conflict(ConflictKind::PipSubmitted));
        }
        let missing = group.missing_activities();
        if !missing.is_empty() {
            return Err(StoreError::Conflict(ConflictKind::ActivitiesIncomplete(missing)));
        }

        let mut ops = Vec::with_capacity(1 + 2 * group.members.len());
        ops.push(
            TransactWriteItem::builder()
                .update(
                    Update::builder()
                        .table_name(&self.table)
                        .set_key(Some(key(group_pk(id), META)))
                        .update_expression("SET #state = :submitted, #pip = :pip, #on = :on")
                        .condition_expression("attribute_exists(#pk) AND #state <> :submitted")
                        .expression_attribute_names("#pk", PK)
                        .expression_attribute_names("#state", "pip_state")
                        .expression_attribute_names("#pip", "pip")
                        .expression_attribute_names("#on", "submitted_on")
                        .expression_attribute_values(":submitted", s("submitted"))
                        .expression_attribute_values(":pip", s(pip_json(pip)?))
                        .expression_attribute_values(":on", s(submitted_on.to_string()))
                        .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld)
                        .build()
                        .map_err(build_error)?,
                )
                .build(),
        );
        let all_done = Activity::ALL.iter().enumerate().map(|(i, _)| format!("attribute_exists(#a{i})")).collect::<Vec<_>>().join(" AND ");
        for m in &group.members {
            let mut update = Update::builder()
                .table_name(&self.table)
                .set_key(Some(key(group_pk(id), member_sk(&m.member.cpso))))
                .update_expression("SET #submitted = :yes")
                .condition_expression(&all_done)
                .expression_attribute_names("#submitted", "pip_submitted")
                .expression_attribute_values(":yes", AttributeValue::Bool(true))
                .return_values_on_condition_check_failure(ReturnValuesOnConditionCheckFailure::AllOld);
            for (i, a) in Activity::ALL.iter().enumerate() {
                update = update.expression_attribute_names(format!("#a{i}"), activity_attr(*a));
            }
            ops.push(TransactWriteItem::builder().update(update.build().map_err(build_error)?).build());
        }
        for m in &group.members {
            ops.push(
                TransactWriteItem::builder()
                    .delete(
                        Delete::builder()
                            .table_name(&self.table)
                            .set_key(Some(key(lock_pk(&m.member.cpso), OPEN_GROUP)))
                            .condition_expression("attribute_not_exists(#pk) OR #gid = :gid")
                            .expression_attribute_names("#pk", PK)
                            .expression_attribute_names("#gid", "group_id")
                            .expression_attribute_values(":gid", s(id.as_str()))
                            .build()
                            .map_err(build_error)?,
                    )
                    .build(),
            );
        }

        match self.transact(ops).await {
            Ok(()) => Ok(()),
            Err(Err(e)) => Err(e),
            Err(Ok(reasons)) => {
                if reasons.first().is_some_and(is_conditional_failure) {
                    return Err(StoreError::Conflict(ConflictKind::PipSubmitted));
                }
                let n = group.members.len();
                if (1..=n).any(|i| reasons.get(i).is_some_and(is_conditional_failure)) {
                    // Someone un-checked an activity since the read: say what
                    // is missing now.
                    let now = self.get_group(id).await?;
                    if now.pip.is_submitted() {
                        return Err(StoreError::Conflict(ConflictKind::PipSubmitted));
                    }
                    return Err(StoreError::Conflict(ConflictKind::ActivitiesIncomplete(now.missing_activities())));
                }
                Err(StoreError::Unavailable("a lock of this group belongs to another group".into()))
            }
        }
    }

    async fn add_coaching_request(&self, req: &CoachingRequest) -> StoreResult<()> {
        let result = self
            .client
            .put_item()
            .table_name(&self.table)
            .set_item(Some(coaching_item(req)))
            .condition_expression("attribute_not_exists(#pk)")
            .expression_attribute_names("#pk", PK)
            .send()
            .await;
        match result {
            Ok(_) => Ok(()),
            Err(SdkError::ServiceError(ctx)) if ctx.err().is_conditional_check_failed_exception() => {
                Err(StoreError::Unavailable("a coaching request with this id exists already".into()))
            }
            Err(e) => Err(sdk_error(e)),
        }
    }

    async fn list_coaching_requests(&self) -> StoreResult<Vec<CoachingRequest>> {
        let items = self.query_index(COACHING).await?;
        let mut list = items.iter().map(parse_coaching).collect::<StoreResult<Vec<_>>>()?;
        list.sort_by(|a, b| (a.created_at, &a.id).cmp(&(b.created_at, &b.id)));
        Ok(list)
    }

    async fn list_groups(&self) -> StoreResult<Vec<Group>> {
        let items = self.query_index(GROUPS).await?;
        // Items of one group are adjacent (gsi1sk starts with created#id).
        let mut by_group: Vec<(String, Vec<Item>)> = Vec::new();
        for item in items {
            let pk = get_s(&item, PK)?.to_string();
            match by_group.last_mut() {
                Some((last, group_items)) if *last == pk => group_items.push(item),
                _ => by_group.push((pk, vec![item])),
            }
        }
        let mut groups = Vec::with_capacity(by_group.len());
        for (_, items) in by_group {
            match parse_group(&items) {
                Ok(g) => groups.push(g),
                // The index lags the table: a group whose items have not all
                // reached it yet is read from the table.
                Err(StoreError::NotFound | StoreError::Corrupt(_)) => {
                    let pk = get_s(&items[0], PK)?;
                    let id = GroupId::parse(pk.trim_start_matches("GROUP#")).map_err(|_| corrupt("a group key is not valid"))?;
                    groups.push(self.get_group(&id).await?);
                }
                Err(e) => return Err(e),
            }
        }
        groups.sort_by(|a, b| (a.created_at, a.id.as_str()).cmp(&(b.created_at, b.id.as_str())));
        Ok(groups)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_sort_as_text_and_read_back_exactly() {
        let a = parse_instant("2026-01-05T10:11:12.345Z").unwrap();
        let b = parse_instant("2026-01-05T10:11:12.3451Z").unwrap();
        assert!(instant(&a) < instant(&b));
        assert_eq!(parse_instant(&instant(&a)).unwrap(), a);
        assert_eq!(parse_instant(&instant(&b)).unwrap(), b);
    }

    #[test]
    fn throttling_codes() {
        for c in ["ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded", "TransactionConflictException"] {
            assert!(is_throttling(Some(c)));
        }
        assert!(!is_throttling(Some("ValidationException")));
        assert!(!is_throttling(None));
    }
}
