//! Creating the table from [`TABLE`], the definition `infra/template.yaml`
//! is checked against (`qi admin table create`, the tests on moto_server):
//! CreateTable, then time to live on [`TABLE`]'s `ttl_attribute` and
//! point-in-time recovery (neither is part of CreateTable).
use aws_sdk_dynamodb::error::BuildError;
use aws_sdk_dynamodb::operation::create_table::builders::CreateTableFluentBuilder;
use aws_sdk_dynamodb::types::{
    AttributeDefinition, BillingMode, GlobalSecondaryIndex, KeySchemaElement, KeyType, PointInTimeRecoverySpecification, Projection,
    ProjectionType, ScalarAttributeType, SseSpecification, SseType, TimeToLiveSpecification,
};
use aws_sdk_dynamodb::Client;

use super::errors::{build_error, sdk_error};
use crate::store::schema::{AttrType, CreateOptions, KeyPart, TABLE};
use crate::store::StoreResult;

fn attr_type(t: AttrType) -> ScalarAttributeType {
    match t {
        AttrType::S => ScalarAttributeType::S,
        AttrType::N => ScalarAttributeType::N,
        AttrType::B => ScalarAttributeType::B,
    }
}

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
        req = req.attribute_definitions(AttributeDefinition::builder().attribute_name(*name).attribute_type(attr_type(*ty)).build()?);
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
    // The stream that feeds the mailer function (the transactional outbox).
    req = req.stream_specification(
        aws_sdk_dynamodb::types::StreamSpecification::builder()
            .stream_enabled(true)
            .stream_view_type(aws_sdk_dynamodb::types::StreamViewType::from(super::super::schema::STREAM_VIEW_TYPE))
            .build()?,
    );
    if TABLE.sse_kms {
        req = req.sse_specification(SseSpecification::builder().enabled(true).sse_type(SseType::Kms).build());
    }
    Ok(req)
}

/// Create the table (as [`TABLE`] says), wait until it is active, turn on
/// time to live and point-in-time recovery. Used by `qi admin table create`
/// and the tests.
pub async fn create_table(client: &Client, table_name: &str, opts: CreateOptions) -> StoreResult<()> {
    create_table_request(client, table_name, opts).map_err(build_error)?.send().await.map_err(sdk_error)?;
    for _ in 0..120 {
        let out = client.describe_table().table_name(table_name).send().await.map_err(sdk_error)?;
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
    if let Some(attribute) = TABLE.ttl_attribute {
        client
            .update_time_to_live()
            .table_name(table_name)
            .time_to_live_specification(
                TimeToLiveSpecification::builder().attribute_name(attribute).enabled(true).build().map_err(build_error)?,
            )
            .send()
            .await
            .map_err(sdk_error)?;
    }
    if opts.point_in_time_recovery {
        client
            .update_continuous_backups()
            .table_name(table_name)
            .point_in_time_recovery_specification(
                PointInTimeRecoverySpecification::builder().point_in_time_recovery_enabled(true).build().map_err(build_error)?,
            )
            .send()
            .await
            .map_err(sdk_error)?;
    }
    Ok(())
}
