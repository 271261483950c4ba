//! Pagination (AIP-158): `page_size` coerced to 1..=1000 (default 50), opaque
//! `page_token`s carrying the keyset position so page 1000 costs what page 1 costs.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};

/// Page size when the client sends 0.
pub const DEFAULT_PAGE_SIZE: i64 = 50;
/// Larger requests are coerced down to this.
pub const MAX_PAGE_SIZE: i64 = 1000;

/// A page request that cannot be honoured.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PageError {
    /// `page_size` below zero.
    #[error("must not be negative")]
    NegativeSize,
    /// A token this server did not issue, or issued for another query.
    #[error("is not a token issued for this query")]
    BadToken,
}

/// The effective page size for a request's `page_size`.
pub fn page_size(requested: i32) -> Result<i64, PageError> {
    match requested {
        n if n < 0 => Err(PageError::NegativeSize),
        0 => Ok(DEFAULT_PAGE_SIZE),
        n => Ok(i64::from(n).min(MAX_PAGE_SIZE)),
    }
}

fn fingerprint(query: &str) -> String {
    let digest = Sha256::digest(query.as_bytes());
    URL_SAFE_NO_PAD.encode(&digest[..9])
}

/// Makes the token for the page after the row whose sort key is `after`. `query`
/// describes everything else about the request (parent, filter, flags): a token used
/// with a different query is refused.
pub fn encode_token(after: &str, query: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{}.{after}", fingerprint(query)))
}

/// The sort key a token resumes after, or `None` for the first page.
pub fn decode_token(token: &str, query: &str) -> Result<Option<String>, PageError> {
    if token.is_empty() {
        return Ok(None);
    }
    let raw = URL_SAFE_NO_PAD
        .decode(token)
        .map_err(|_| PageError::BadToken)?;
    let raw = String::from_utf8(raw).map_err(|_| PageError::BadToken)?;
    let (fp, after) = raw.split_once('.').ok_or(PageError::BadToken)?;
    if fp != fingerprint(query) || after.is_empty() {
        return Err(PageError::BadToken);
    }
    Ok(Some(after.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_coerced() {
        assert_eq!(page_size(0), Ok(50));
        assert_eq!(page_size(7), Ok(7));
        assert_eq!(page_size(5000), Ok(1000));
        assert_eq!(page_size(-1), Err(PageError::NegativeSize));
    }

    #[test]
    fn tokens_round_trip_and_bind_to_their_query() {
        let t = encode_token("0190-abc", "parent=customers/a;filter=");
        assert_eq!(
            decode_token(&t, "parent=customers/a;filter="),
            Ok(Some("0190-abc".into()))
        );
        assert_eq!(
            decode_token(&t, "parent=customers/b;filter="),
            Err(PageError::BadToken)
        );
        assert_eq!(decode_token("garbage!!", "q"), Err(PageError::BadToken));
        assert_eq!(decode_token("", "q"), Ok(None));
    }
}
