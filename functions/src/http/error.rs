//! Everything a request can fail with, and how use-case failures map to it.
use http::StatusCode;

use crate::app::{ActionError, Failure};
use crate::domain::{FieldError, Refusal, SubmitBlocked};
use crate::store::StoreError;

/// Largest accepted request body.
pub const BODY_LIMIT: usize = 64 * 1024;

/// Everything a request can fail with.
#[derive(Debug, Clone)]
pub enum ApiError {
    /// 400: which fields, what is wrong.
    Validation { message: String, fields: Vec<FieldError> },
    /// 401: no valid access code.
    Unauthorized(String),
    /// 403: a valid code, but not allowed here.
    Forbidden(String),
    /// 404
    NotFound(String),
    /// 405, with the allowed methods.
    MethodNotAllowed(&'static [&'static str]),
    /// 409: a program rule conflicts with what is stored. `extra` is merged into the JSON.
    Conflict { message: String, fields: Vec<FieldError>, extra: Option<serde_json::Value> },
    /// 413
    PayloadTooLarge,
    /// 429: a daily limit is reached.
    TooManyRequests(String),
    /// 415
    UnsupportedMediaType,
    /// 503 with Retry-After (seconds): a dependency is busy or down; trying
    /// again later can work. `cause` is logged (a kind, never personal data).
    Unavailable { retry_after: u32, cause: &'static str },
    /// 500: a bug or bad stored data; trying again will not help. `cause` is logged.
    Internal { cause: &'static str },
}

impl ApiError {
    pub fn validation(message: impl Into<String>, fields: Vec<FieldError>) -> Self {
        ApiError::Validation { message: message.into(), fields }
    }
    pub fn conflict(message: impl Into<String>, fields: Vec<FieldError>) -> Self {
        ApiError::Conflict { message: message.into(), fields, extra: None }
    }

    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Validation { .. } => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal { .. } => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The `error` value of the JSON body (also what the request log records).
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Validation { .. } => "validation",
            ApiError::Unauthorized(_) => "unauthorized",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound(_) => "not_found",
            ApiError::MethodNotAllowed(_) => "method_not_allowed",
            ApiError::Conflict { .. } => "conflict",
            ApiError::PayloadTooLarge => "payload_too_large",
            ApiError::TooManyRequests(_) => "too_many_requests",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::Unavailable { .. } => "unavailable",
            ApiError::Internal { .. } => "internal",
        }
    }

    pub fn message(&self) -> String {
        match self {
            ApiError::Validation { message, .. } | ApiError::Conflict { message, .. } => message.clone(),
            ApiError::Unauthorized(m) | ApiError::Forbidden(m) | ApiError::NotFound(m) | ApiError::TooManyRequests(m) => m.clone(),
            ApiError::MethodNotAllowed(allow) => format!("This address accepts only {}", allow.join(", ")),
            ApiError::PayloadTooLarge => format!("The request is too large (at most {} KiB)", BODY_LIMIT / 1024),
            ApiError::UnsupportedMediaType => "Send the request as application/json or application/x-www-form-urlencoded".to_string(),
            ApiError::Unavailable { .. } => "The service is busy. Please try again in a moment; nothing was saved.".to_string(),
            ApiError::Internal { .. } => "Something went wrong on our side; nothing was saved. Please try again later.".to_string(),
        }
    }

    /// What to log for a 5xx: the kind of failure behind it.
    pub fn cause(&self) -> Option<&'static str> {
        match self {
            ApiError::Unavailable { cause, .. } | ApiError::Internal { cause } => Some(cause),
            _ => None,
        }
    }

    pub fn fields(&self) -> &[FieldError] {
        match self {
            ApiError::Validation { fields, .. } | ApiError::Conflict { fields, .. } => fields,
            _ => &[],
        }
    }
}

impl From<Failure> for ApiError {
    fn from(f: Failure) -> Self {
        match f {
            Failure::Store(e) => e.into(),
            Failure::Random(_) => ApiError::Internal { cause: "random_unavailable" },
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Throttled => ApiError::Unavailable { retry_after: 2, cause: "store_throttled" },
            StoreError::Unavailable(_) => ApiError::Unavailable { retry_after: 5, cause: "store_unavailable" },
            StoreError::NotFound => ApiError::NotFound("Not found".into()),
            StoreError::Corrupt(_) => ApiError::Internal { cause: "store_corrupt" },
            StoreError::Internal(_) => ApiError::Internal { cause: "store_internal" },
            StoreError::Partial { .. } => ApiError::Internal { cause: "store_partial_write" },
            // Conflicts are mapped by each route, which knows the fields; a
            // stray one is still a 409.
            StoreError::Conflict(k) => ApiError::conflict(format!("This conflicts with what is stored ({k:?})"), vec![]),
        }
    }
}

/// A change to a group that was not made, as people read it. Field names
/// are those of the "invite a peer" form where one applies.
impl From<ActionError> for ApiError {
    fn from(e: ActionError) -> Self {
        let conflict = |m: &str| ApiError::conflict(m, vec![]);
        match e {
            ActionError::Refused(r) => match r {
                Refusal::NotLead => ApiError::Forbidden("Only the group's lead can do this".into()),
                Refusal::AlreadyConfirmed => conflict("This proposal has already been confirmed: the peers have been invited"),
                Refusal::NotConfirmed => conflict("Confirm the group's proposal first"),
                Refusal::NoInvitation => {
                    conflict("There is no pending invitation for you in this group: it may have lapsed, been withdrawn, or been answered already")
                }
                Refusal::NotAccepted => conflict("Accept your invitation to the group first"),
                Refusal::Closed => conflict("The group's plan has been submitted, or the group was dissolved: it can no longer change"),
                Refusal::GroupFull => ApiError::conflict(
                    "The group is full",
                    vec![FieldError::new("peer_cpso", "A group has at most six peers, accepted or invited: withdraw an invitation first")],
                ),
                Refusal::CpsoInGroup => ApiError::conflict(
                    "This physician is already named in the group",
                    vec![FieldError::new("peer_cpso", "This CPSO number is already in the group")],
                ),
                Refusal::EmailInGroup => ApiError::conflict(
                    "Another member has this email address",
                    vec![FieldError::new("peer_email", "Each member needs their own email address: another member of the group has this one")],
                ),
                Refusal::LeadStays => conflict("The lead cannot leave or be removed: the lead can dissolve the group instead"),
                Refusal::NoSuchMember => ApiError::NotFound("There is no such member in the group".into()),
                Refusal::PlanChanged => conflict("The plan changed since you opened it: another member saved it. Review it, then submit again"),
                Refusal::Blocked(SubmitBlocked::NotFormed) => {
                    conflict("The group is not formed yet: at least one peer must accept before the plan can be submitted")
                }
                Refusal::Blocked(SubmitBlocked::AlreadySubmitted) => conflict("The group's plan has already been submitted"),
                Refusal::Blocked(SubmitBlocked::ActivitiesIncomplete(_)) => {
                    conflict("Every member must complete all four activities before the plan is submitted")
                }
                Refusal::DataRecorded(fields) => {
                    ApiError::conflict("The plan could not be saved, because data recorded for its goals depends on it; nothing was changed", fields)
                }
            },
            ActionError::InOpenGroup(_) => conflict(
                "You are already a member of another open QI group, and a physician can be in only one at a time: leave that group first (if you lead it, dissolve it; otherwise leave it or ask its lead to remove you), then try again",
            ),
            ActionError::SessionEnded => ApiError::Unauthorized("Your session has ended: open your personal link again to sign in".into()),
            ActionError::LimitReached => ApiError::TooManyRequests(
                "Too many emails have been sent to one of these addresses today, so nothing was changed: please try again tomorrow".into(),
            ),
            ActionError::ActivitiesIncomplete(_) => conflict("Every member must complete all four activities before the plan is submitted"),
            ActionError::Gone => ApiError::NotFound(
                "This group or invitation no longer exists: it may have lapsed, been withdrawn, or been discarded".into(),
            ),
            ActionError::Busy => ApiError::Unavailable { retry_after: 1, cause: "group_busy" },
            ActionError::Failed(f) => f.into(),
        }
    }
}
