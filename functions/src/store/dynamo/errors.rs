//! DynamoDB's failures as the store's typed errors.
//!
//! - Throttling codes → [`StoreError::Throttled`] (after the SDK's own retries).
//! - A server-side error (HTTP 5xx), a timeout, a connection that could not
//!   be made or an unreadable answer → [`StoreError::Unavailable`]: retry later.
//! - Any other error the service answers (HTTP 4xx: a request we built
//!   wrong, a missing table, no permission) → [`Internal::Rejected`]: a bug
//!   or a deployment problem that no retry cures.
//!
//! Only DynamoDB's error codes are kept, never its messages (a validation
//! message may quote a value).
use aws_sdk_dynamodb::config::http::HttpResponse;
use aws_sdk_dynamodb::error::{BuildError, ProvideErrorMetadata, SdkError};
use aws_sdk_dynamodb::types::CancellationReason;

use crate::store::{Backend, Internal, StoreError, Unavailable, UnavailableKind};

pub(super) fn build_error(_: BuildError) -> StoreError {
    StoreError::Internal(Internal::Build("a DynamoDB request is missing a required field"))
}

pub(super) fn is_throttling(code: Option<&str>) -> bool {
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

/// Per-item codes of a cancelled transaction that mean "too much traffic".
pub(super) fn is_throttling_reason(code: &str) -> bool {
    matches!(code, "ThrottlingError" | "ProvisionedThroughputExceeded" | "RequestLimitExceeded")
}

pub(super) fn is_conditional_failure(r: &CancellationReason) -> bool {
    r.code() == Some("ConditionalCheckFailed")
}

fn unavailable(kind: UnavailableKind, code: Option<&str>) -> StoreError {
    StoreError::Unavailable(Unavailable { backend: Backend::DynamoDb, kind, code: code.map(str::to_owned) })
}

/// An error the service answered with HTTP `status`.
pub(super) fn service_error<E: ProvideErrorMetadata>(e: &E, status: u16) -> StoreError {
    let code = e.code();
    if is_throttling(code) {
        StoreError::Throttled
    } else if status >= 500 {
        unavailable(UnavailableKind::ServiceFault, code)
    } else {
        StoreError::Internal(Internal::Rejected { backend: Backend::DynamoDb, code: code.map(str::to_owned) })
    }
}

/// Any SDK failure that no operation handles specially.
pub(super) fn sdk_error<E: ProvideErrorMetadata>(e: SdkError<E, HttpResponse>) -> StoreError {
    match e {
        SdkError::ServiceError(ctx) => service_error(ctx.err(), ctx.raw().status().as_u16()),
        SdkError::TimeoutError(_) => unavailable(UnavailableKind::Timeout, None),
        SdkError::DispatchFailure(d) if d.is_timeout() => unavailable(UnavailableKind::Timeout, None),
        SdkError::DispatchFailure(_) => unavailable(UnavailableKind::Unreachable, None),
        SdkError::ResponseError(_) => unavailable(UnavailableKind::BadResponse, None),
        // The request could not be made at all (e.g. no credentials found, no region).
        SdkError::ConstructionFailure(_) => StoreError::Internal(Internal::Build("a DynamoDB request (region, credentials, endpoint)")),
        _ => unavailable(UnavailableKind::Unreachable, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn throttling_codes() {
        for c in ["ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded", "TransactionConflictException"] {
            assert!(is_throttling(Some(c)));
        }
        assert!(!is_throttling(Some("ValidationException")));
        assert!(!is_throttling(None));
    }
}
