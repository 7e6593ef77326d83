//! The DynamoDB table's definition, as data: the one source of truth for the
//! key schema and indexes. `qi admin table create` and the tests (on
//! moto_server) create the table from [`TABLE`]; `infra/template.yaml` declares
//! the same table for CloudFormation, and `functions/tests/dynamo_schema.rs`
//! fails if the two differ.
//!
//! The definition is plain data, compiled in every build (the schema test
//! needs no AWS SDK); the functions that create the table need the
//! `dynamodb` feature.
//!
//! Single-table design (see `store/dynamo/mod.rs` for the items):
//! - table keys `pk` (S, hash) / `sk` (S, range);
//! - one global secondary index `gsi1` (`gsi1pk` / `gsi1sk`, projection ALL)
//!   for listings: every group for the staff export, every invitation, every
//!   coaching request;
//! - time to live on the number attribute `ttl` (epoch seconds): DynamoDB
//!   deletes, some time after that instant, unconfirmed proposals and pending
//!   invitations that lapsed, day counters of the limits, and the tokens of
//!   committed writes. Readers never rely on the deletion having happened
//!   (`Group::as_of`).
#[cfg(feature = "dynamodb")]
pub use super::dynamo::table::{create_table, create_table_request};

/// A key attribute's type. Every key attribute of this table is a string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttrType {
    S,
    N,
    B,
}

impl AttrType {
    pub fn as_str(self) -> &'static str {
        match self {
            AttrType::S => "S",
            AttrType::N => "N",
            AttrType::B => "B",
        }
    }
}

/// `(attribute name, HASH or RANGE)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyPart {
    pub name: &'static str,
    pub key_type: &'static str,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Index {
    pub name: &'static str,
    pub key: &'static [KeyPart],
    /// `ALL`, `KEYS_ONLY` or `INCLUDE`.
    pub projection: &'static str,
}

/// The table, as CloudFormation and CreateTable both describe it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TableSchema {
    pub attributes: &'static [(&'static str, AttrType)],
    pub key: &'static [KeyPart],
    pub global_indexes: &'static [Index],
    /// `PAY_PER_REQUEST` (on demand).
    pub billing_mode: &'static str,
    pub point_in_time_recovery: bool,
    /// Encryption at rest with KMS (the AWS managed key `aws/dynamodb`).
    pub sse_kms: bool,
    pub deletion_protection: bool,
    /// The attribute DynamoDB's time to live reads (epoch seconds), if any.
    pub ttl_attribute: Option<&'static str>,
}

pub const PK: &str = "pk";
pub const SK: &str = "sk";
pub const GSI1: &str = "gsi1";
pub const GSI1_PK: &str = "gsi1pk";
pub const GSI1_SK: &str = "gsi1sk";
/// The time-to-live attribute: items carrying it are deleted some time after.
pub const TTL: &str = "ttl";
/// The table's stream carries keys only (no personal data leaves the
/// table): the mailer reads each new `OUTBOX#` item it names.
pub const STREAM_VIEW_TYPE: &str = "KEYS_ONLY";

pub const TABLE: TableSchema = TableSchema {
    attributes: &[(PK, AttrType::S), (SK, AttrType::S), (GSI1_PK, AttrType::S), (GSI1_SK, AttrType::S)],
    key: &[KeyPart { name: PK, key_type: "HASH" }, KeyPart { name: SK, key_type: "RANGE" }],
    global_indexes: &[Index {
        name: GSI1,
        key: &[KeyPart { name: GSI1_PK, key_type: "HASH" }, KeyPart { name: GSI1_SK, key_type: "RANGE" }],
        projection: "ALL",
    }],
    billing_mode: "PAY_PER_REQUEST",
    point_in_time_recovery: true,
    sse_kms: true,
    deletion_protection: true,
    ttl_attribute: Some(TTL),
};

/// Which of the production settings a created table gets. Tests on
/// moto_server turn deletion protection off so they can drop their tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CreateOptions {
    pub deletion_protection: bool,
    pub point_in_time_recovery: bool,
}

impl Default for CreateOptions {
    /// What the schema says (production).
    fn default() -> Self {
        CreateOptions { deletion_protection: TABLE.deletion_protection, point_in_time_recovery: TABLE.point_in_time_recovery }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_attribute_is_defined_once() {
        let defined: Vec<&str> = TABLE.attributes.iter().map(|(n, _)| *n).collect();
        let mut used: Vec<&str> = TABLE.key.iter().chain(TABLE.global_indexes.iter().flat_map(|i| i.key.iter())).map(|k| k.name).collect();
        used.sort();
        let mut sorted = defined.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), defined.len(), "an attribute is defined twice");
        assert_eq!(sorted, used, "CloudFormation/CreateTable reject definitions of non-key attributes and keys without definitions");
    }

    #[test]
    fn the_ttl_attribute_is_not_a_key() {
        let ttl = TABLE.ttl_attribute.unwrap();
        assert!(TABLE.attributes.iter().all(|(n, _)| *n != ttl), "DynamoDB's time to live needs a plain (non-key) number attribute");
    }

    #[test]
    fn keys_are_hash_then_range() {
        for key in std::iter::once(TABLE.key).chain(TABLE.global_indexes.iter().map(|i| i.key)) {
            assert_eq!(key[0].key_type, "HASH");
            assert!(key.iter().skip(1).all(|k| k.key_type == "RANGE") && key.len() <= 2);
        }
    }
}
