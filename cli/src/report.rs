//! How a failed command reads: one line with the gRPC code, the message and every
//! `google.rpc` detail the service sent, never a Rust backtrace or a `Status { … }` dump.

use tonic::{Code, Status};
use tonic_types::StatusExt;

/// The canonical name of a gRPC code, as grpcurl and the gRPC docs spell it.
fn code_name(code: Code) -> &'static str {
    match code {
        Code::Ok => "OK",
        Code::Cancelled => "CANCELLED",
        Code::Unknown => "UNKNOWN",
        Code::InvalidArgument => "INVALID_ARGUMENT",
        Code::DeadlineExceeded => "DEADLINE_EXCEEDED",
        Code::NotFound => "NOT_FOUND",
        Code::AlreadyExists => "ALREADY_EXISTS",
        Code::PermissionDenied => "PERMISSION_DENIED",
        Code::ResourceExhausted => "RESOURCE_EXHAUSTED",
        Code::FailedPrecondition => "FAILED_PRECONDITION",
        Code::Aborted => "ABORTED",
        Code::OutOfRange => "OUT_OF_RANGE",
        Code::Unimplemented => "UNIMPLEMENTED",
        Code::Internal => "INTERNAL",
        Code::Unavailable => "UNAVAILABLE",
        Code::DataLoss => "DATA_LOSS",
        Code::Unauthenticated => "UNAUTHENTICATED",
    }
}

/// `CODE: message; detail; detail…` for a status.
pub(crate) fn status_line(status: &Status) -> String {
    let mut parts = vec![format!(
        "{}: {}",
        code_name(status.code()),
        status.message()
    )];
    let d = status.get_error_details();
    if let Some(info) = d.error_info() {
        parts.push(format!("reason {}", info.reason));
    }
    if let Some(bad) = d.bad_request() {
        for v in &bad.field_violations {
            parts.push(format!("field `{}`: {}", v.field, v.description));
        }
    }
    if let Some(pre) = d.precondition_failure() {
        for v in &pre.violations {
            parts.push(format!(
                "precondition {} `{}`: {}",
                v.r#type, v.subject, v.description
            ));
        }
    }
    if let Some(r) = d.resource_info()
        && !r.resource_name.is_empty()
    {
        parts.push(format!("resource {}", r.resource_name));
    }
    if let Some(q) = d.quota_failure() {
        for v in &q.violations {
            parts.push(format!("quota `{}`: {}", v.subject, v.description));
        }
    }
    if let Some(retry) = d.retry_info().and_then(|r| r.retry_delay) {
        parts.push(format!("retry after {} ms", retry.as_millis()));
    }
    parts.join("; ")
}

/// The one line printed for a failed command: the context it failed in, then the
/// status (when the failure was a call) or the cause chain.
pub(crate) fn error_line(err: &anyhow::Error) -> String {
    let Some(status) = err.chain().find_map(|e| e.downcast_ref::<Status>()) else {
        return format!("error: {err:#}");
    };
    // Contexts added on the way up (`GetRelease`, `connecting to …`), outermost first.
    let contexts: Vec<String> = err
        .chain()
        .take_while(|e| e.downcast_ref::<Status>().is_none())
        .map(ToString::to_string)
        .collect();
    let mut line = String::from("error: ");
    for c in contexts {
        line.push_str(&c);
        line.push_str(": ");
    }
    line.push_str(&status_line(status));
    line.replace('\n', " ")
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use tonic_types::{ErrorDetails, FieldViolation};

    #[test]
    fn a_status_with_details_reads_as_one_line() {
        let details = ErrorDetails::with_bad_request(vec![FieldViolation::new(
            "release",
            "must be labs/{lab}/releases/{release}",
        )]);
        let status = Status::with_error_details(Code::InvalidArgument, "bad request", details);
        let err = anyhow::Error::new(status).context("ExportRelease");
        let line = error_line(&err);
        assert_eq!(
            line,
            "error: ExportRelease: INVALID_ARGUMENT: bad request; field `release`: must be labs/{lab}/releases/{release}"
        );
    }

    #[test]
    fn other_errors_print_their_cause_chain() {
        let err = anyhow::anyhow!("connection refused").context("connecting to http://x:1");
        assert_eq!(
            error_line(&err),
            "error: connecting to http://x:1: connection refused"
        );
    }
}
