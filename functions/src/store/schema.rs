//! The DynamoDB table's definition, as data: the one source of truth for the
//! key schema and indexes. `qi admin table create` and the tests (on
//! moto_server) create the table from [`TABLE`]; `infra/template.yaml` declares
//! the same table for CloudFormation, and `functions/tests/dynamo_schema.rs`
//! fails if the two differ.
//!
//! Single-table design (see `store/dynamo.rs` for the items):
//! - table keys `pk` (S, hash) / `sk` (S, range);
//! - one global secondary index `gsi1` (`gsi1pk` / `gsi1sk`, projection ALL)
//!   for listings: every group for the staff export, every invitation, every
//!   coaching request.
use aws_sdk_dynamodb::error::BuildError;
use aws_sdk_dynamodb::operation::create_table::builders::CreateTableFluentBuilder;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, PointInTimeRecoverySpecification, Projection,
    ProjectionType, ScalarAttributeType, SseSpecification, SseType,
};
use aws_sdk_dynamodb::Client;

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
    fn sdk(self) -> ScalarAttributeType {
        match self {
            AttrType::S => ScalarAttributeType::S,
            AttrType::N => ScalarAttributeType::N,
            AttrType::B => ScalarAttributeType::B,
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
}

pub const PK: &str = "pk";
pub const SK: &str = "sk";
pub const GSI1: &str = "gsi1";
pub const GSI1_PK: &str = "gsi1pk";
pub const GSI1_SK: &str = "gsi1sk";

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
};

fn key_schema(parts: &[KeyPart]) -> Result<Vec<KeySchemaElement>, BuildError> {
    parts
        .iter()
        .map(|p| {
            KeySchemaElement::builder()
                .attribute_name(p.name)
                .key_type(if p.key_type == "HASH" { KeyType::Hash } else { KeyType::Range })
                .build()
        })
        .collect()
}

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

/// The CreateTable request for `table_name`, built from [`TABLE`].
/// (Point-in-time recovery is not part of CreateTable: [`create_table`]
/// turns it on right after.)
pub fn create_table_request(client: &Client, table_name: &str, opts: CreateOptions) -> Result<CreateTableFluentBuilder, BuildError> {
    let mut req = client
        .create_table()
        .table_name(table_name)
        .billing_mode(BillingMode::from(TABLE.billing_mode))
        .deletion_protection_enabled(opts.deletion_protection)
        .set_key_schema(Some(key_schema(TABLE.key)?));
    for (name, ty) in TABLE.attributes {
        req = req.attribute_definitions(AttributeDefinition::builder().attribute_name(*name).attribute_type(ty.sdk()).build()?);
    }
    for index in TABLE.global_indexes {
        req = req.global_secondary_indexes(
            GlobalSecondaryIndex::builder()
                .index_name(index.name)
                .set_key_schema(Some(key_schema(index.key)?))
                .projection(Projection::builder().projection_type(ProjectionType::from(index.projection)).build())
                .build()?,
        );
    }
    if TABLE.sse_kms {
        req = req.sse_specification(SseSpecification::builder().enabled(true).sse_type(SseType::Kms).build());
    }
    Ok(req)
}

/// Create the table (as [`TABLE`] says), wait until it is active, and turn on
/// point-in-time recovery. Used by `qi admin table create` and the tests.
pub async fn create_table(client: &Client, table_name: &str, opts: CreateOptions) -> Result<(), String> {
    let describe = |e: &dyn std::fmt::Display| format!("creating table {table_name}: {e}");
    create_table_request(client, table_name, opts)
        .map_err(|e| describe(&e))?
        .send()
        .await
        .map_err(|e| describe(&aws_sdk_dynamodb::error::DisplayErrorContext(e)))?;
    for _ in 0..120 {
        let out = client
            .describe_table()
            .table_name(table_name)
            .send()
            .await
            .map_err(|e| describe(&aws_sdk_dynamodb::error::DisplayErrorContext(e)))?;
        let table = out.table();
        let active = table.and_then(|t| t.table_status()).map(|s| s.as_str() == "ACTIVE").unwrap_or(false);
        let indexes_active = table
            .map(|t| t.global_secondary_indexes().iter().all(|i| i.index_status().map(|s| s.as_str() == "ACTIVE").unwrap_or(true)))
            .unwrap_or(false);
        if active && indexes_active {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    if opts.point_in_time_recovery {
        client
            .update_continuous_backups()
            .table_name(table_name)
            .point_in_time_recovery_specification(
                PointInTimeRecoverySpecification::builder().point_in_time_recovery_enabled(true).build().map_err(|e| describe(&e))?,
            )
            .send()
            .await
            .map_err(|e| describe(&aws_sdk_dynamodb::error::DisplayErrorContext(e)))?;
    }
    Ok(())
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
    fn keys_are_hash_then_range() {
        for key in std::iter::once(TABLE.key).chain(TABLE.global_indexes.iter().map(|i| i.key)) {
            assert_eq!(key[0].key_type, "HASH");
            assert!(key.iter().skip(1).all(|k| k.key_type == "RANGE") && key.len() <= 2);
        }
    }
}
