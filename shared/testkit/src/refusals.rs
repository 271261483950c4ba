//! What a refused call says, beyond its code: the `ErrorInfo` every error carries, and
//! the answer to a reused request id, which every service's creates give alike.

use tonic::Status;
use tonic_types::StatusExt;

/// The `ErrorInfo` reason of an error ("" without one).
pub fn reason(s: &Status) -> String {
    s.get_details_error_info()
        .map(|i| i.reason)
        .unwrap_or_default()
}

/// Asserts the refusal of a request id reused with another request: INVALID_ARGUMENT
/// with reason REQUEST_ID_REUSED.
pub fn assert_request_id_reused(s: &Status) {
    assert_eq!(s.code(), tonic::Code::InvalidArgument, "{s:?}");
    let info = s.get_details_error_info().expect("ErrorInfo");
    assert_eq!(info.reason, "REQUEST_ID_REUSED");
}

/// A fresh request id.
pub fn request_id() -> String {
    uuid::Uuid::new_v4().to_string()
}
