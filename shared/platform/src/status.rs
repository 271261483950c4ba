//! gRPC errors with rich details (AIP-193): every error carries an `ErrorInfo`, bad
//! input a `BadRequest` listing each bad field.

use tonic::{Code, Status};
use tonic_types::{ErrorDetails, StatusExt};

/// The `ErrorInfo.domain` of every Symbolon error.
pub const DOMAIN: &str = "symbolon.dev";

fn with_info(code: Code, message: impl Into<String>, reason: &str, mut d: ErrorDetails) -> Status {
    d.set_error_info(reason, DOMAIN, std::collections::HashMap::new());
    Status::with_error_details(code, message, d)
}

/// Field violations collected while parsing a request; empty means the request is good.
#[derive(Debug, Default)]
pub struct Violations(Vec<(String, String)>);

impl Violations {
    /// No violations yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// Records that `field` (a dotted path such as `customer.home_country`) is bad.
    pub fn add(&mut self, field: impl Into<String>, description: impl Into<String>) {
        self.0.push((field.into(), description.into()));
    }

    /// Records the error of `result`, if any, against `field`, and passes the value on.
    pub fn check<T, E: std::fmt::Display>(
        &mut self,
        field: &str,
        result: Result<T, E>,
    ) -> Option<T> {
        match result {
            Ok(v) => Some(v),
            Err(e) => {
                self.add(field, e.to_string());
                None
            }
        }
    }

    /// Checks a required location: present, latitude within ±90, longitude within ±180
    /// (each out-of-range coordinate named under `field`).
    pub fn location(&mut self, field: &str, loc: Option<&symbolon_contracts::common::v1::LatLng>) {
        match loc {
            None => self.add(field, "is required"),
            Some(l) => {
                if !(-90.0..=90.0).contains(&l.latitude) {
                    self.add(format!("{field}.latitude"), "must be between -90 and 90");
                }
                if !(-180.0..=180.0).contains(&l.longitude) {
                    self.add(format!("{field}.longitude"), "must be between -180 and 180");
                }
            }
        }
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The fields recorded so far.
    pub fn fields(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(|(f, _)| f.as_str())
    }

    /// `Ok` when empty, else `INVALID_ARGUMENT` naming every field.
    pub fn into_result(self) -> Result<(), Status> {
        if self.0.is_empty() {
            return Ok(());
        }
        let message = self
            .0
            .iter()
            .map(|(f, d)| format!("{f}: {d}"))
            .collect::<Vec<_>>()
            .join("; ");
        let mut details = ErrorDetails::new();
        for (f, d) in self.0 {
            details.add_bad_request_violation(f, d);
        }
        Err(with_info(
            Code::InvalidArgument,
            message,
            "INVALID_ARGUMENT",
            details,
        ))
    }
}

/// `INVALID_ARGUMENT` for one field.
pub fn invalid_argument(field: &str, description: impl Into<String>) -> Status {
    let mut v = Violations::new();
    v.add(field, description);
    match v.into_result() {
        Err(s) => s,
        Ok(()) => Status::invalid_argument(field.to_string()),
    }
}

/// `INVALID_ARGUMENT` with reason `REQUEST_ID_REUSED`: the request id came before with
/// another request; nothing was done and nothing of the first call is returned.
pub fn request_id_reused() -> Status {
    let description = "this request id was used with another request; \
                       send a new request id for a new request";
    let mut d = ErrorDetails::new();
    d.add_bad_request_violation("request_id", description);
    with_info(Code::InvalidArgument, description, "REQUEST_ID_REUSED", d)
}

/// `NOT_FOUND` for a resource name. Also the answer for another tenant's resource, so
/// that its existence is never revealed.
pub fn not_found(resource_name: &str) -> Status {
    let mut d = ErrorDetails::new();
    d.set_resource_info("", resource_name, "", "not found");
    with_info(
        Code::NotFound,
        format!("{resource_name} not found"),
        "NOT_FOUND",
        d,
    )
}

/// `FAILED_PRECONDITION` with a `PreconditionFailure` violation.
pub fn failed_precondition(reason: &str, subject: &str, description: impl Into<String>) -> Status {
    let description = description.into();
    let mut d = ErrorDetails::new();
    d.add_precondition_failure_violation(reason, subject, description.clone());
    with_info(Code::FailedPrecondition, description, reason, d)
}

/// `FAILED_PRECONDITION` with one `PreconditionFailure` violation per
/// `(type, subject, description)`, e.g. every (site, part) a commitment cannot cover.
pub fn failed_preconditions(
    reason: &str,
    message: impl Into<String>,
    violations: &[(String, String, String)],
) -> Status {
    let mut d = ErrorDetails::new();
    for (kind, subject, description) in violations {
        d.add_precondition_failure_violation(kind.clone(), subject.clone(), description.clone());
    }
    with_info(Code::FailedPrecondition, message, reason, d)
}

/// `FAILED_PRECONDITION` for an etag that is not the resource's current one (AIP-154).
pub fn stale_etag(resource_name: &str) -> Status {
    failed_precondition(
        "ETAG_MISMATCH",
        resource_name,
        format!("the etag of {resource_name} is stale: read it again and retry"),
    )
}

/// `PERMISSION_DENIED`.
pub fn permission_denied(message: impl Into<String>) -> Status {
    with_info(
        Code::PermissionDenied,
        message,
        "PERMISSION_DENIED",
        ErrorDetails::new(),
    )
}

/// `UNAUTHENTICATED`.
pub fn unauthenticated(message: impl Into<String>) -> Status {
    with_info(
        Code::Unauthenticated,
        message,
        "UNAUTHENTICATED",
        ErrorDetails::new(),
    )
}

/// `UNAVAILABLE`: a dependency is down; the client may retry with the same request id.
pub fn unavailable(message: impl Into<String>) -> Status {
    let mut d = ErrorDetails::new();
    d.set_retry_info(Some(std::time::Duration::from_secs(1)));
    with_info(Code::Unavailable, message, "UNAVAILABLE", d)
}

/// `DEADLINE_EXCEEDED`: the call's time ran out before it finished (see [`crate::bound`]).
pub fn deadline_exceeded(message: impl Into<String>) -> Status {
    with_info(
        Code::DeadlineExceeded,
        message,
        "DEADLINE_EXCEEDED",
        ErrorDetails::new(),
    )
}

/// `ALREADY_EXISTS` for a resource name.
pub fn already_exists(resource_name: &str) -> Status {
    let mut d = ErrorDetails::new();
    d.set_resource_info("", resource_name, "", "already exists");
    with_info(
        Code::AlreadyExists,
        format!("{resource_name} already exists"),
        "ALREADY_EXISTS",
        d,
    )
}

/// For a create: a uniqueness conflict means `resource_name` is taken
/// (ALREADY_EXISTS); any other store error maps as always.
pub fn exists_on_conflict(resource_name: &str) -> impl FnOnce(StoreError) -> Status + '_ {
    move |e| match e {
        StoreError::Conflict(_) => already_exists(resource_name),
        other => other.into(),
    }
}

/// `INTERNAL`: logs the cause and tells the client nothing about it.
pub fn internal(cause: &dyn std::fmt::Display) -> Status {
    tracing::error!(error = %cause, "internal error");
    with_info(
        Code::Internal,
        "internal error",
        "INTERNAL",
        ErrorDetails::new(),
    )
}

/// A storage failure, classified by what the caller can do about it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached or is overloaded: retry later.
    #[error("database unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),
    /// A uniqueness constraint refused the write.
    #[error("conflict: {0}")]
    Conflict(#[source] sqlx::Error),
    /// Migrations could not be applied.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// The request id came before with another request (`crate::request_ids`).
    #[error("the request id was used with another request")]
    RequestIdReused,
    /// Anything else: a bug or a corrupt row.
    #[error("database error: {0}")]
    Other(#[source] sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::WorkerCrashed => StoreError::Unavailable(e),
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(e),
            // SQLite reports a locked database as a plain database error (code 5/6); PostgreSQL
            // serialization failures, too many clients and admin shutdown are passing too.
            sqlx::Error::Database(db)
                if matches!(
                    db.code().as_deref(),
                    Some("5") | Some("6") | Some("40001") | Some("53300") | Some("57P01")
                ) =>
            {
                StoreError::Unavailable(e)
            }
            _ => StoreError::Other(e),
        }
    }
}

impl From<StoreError> for Status {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(_) => {
                tracing::warn!(error = %e, "store unavailable");
                unavailable("the store is unavailable; retry with the same request id")
            }
            StoreError::Conflict(_) => with_info(
                Code::Aborted,
                "a concurrent write conflicted; retry",
                "CONFLICT",
                ErrorDetails::new(),
            ),
            StoreError::RequestIdReused => request_id_reused(),
            other => internal(&other),
        }
    }
}
