//! Pagination (AIP-158): `page_size` coerced to 1..=1000 (default 50), opaque
//! `page_token`s carrying the keyset position so page 1000 costs what page 1 costs, and
//! a byte budget per page: a page stops early when its items would encode to more than
//! [`DEFAULT_PAGE_BYTES`] (`SYMBOLON_PAGE_BYTES`), well under the 4 MiB a gRPC client
//! accepts by default, and its token resumes after the last item sent. A page always
//! carries at least one item, so paging always moves on.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sha2::{Digest, Sha256};

/// Page size when the client sends 0.
pub const DEFAULT_PAGE_SIZE: i64 = 50;
/// Larger requests are coerced down to this.
pub const MAX_PAGE_SIZE: i64 = 1000;

/// The byte budget of one page's items when `SYMBOLON_PAGE_BYTES` is not set: a quarter
/// of the 4 MiB a gRPC client accepts by default, leaving room for everything else.
pub const DEFAULT_PAGE_BYTES: usize = 1 << 20;

/// How many of `items`, in order, fit in `budget` bytes once encoded as the elements of
/// a repeated field: at least one (a single item larger than the budget is still sent,
/// or paging would stop for good).
pub fn fitting<M: prost::Message>(items: &[M], budget: usize) -> usize {
    let mut used = 0usize;
    for (i, item) in items.iter().enumerate() {
        let len = item.encoded_len();
        // The element's tag (two bytes covers field numbers up to 2047) and length.
        used = used.saturating_add(len + prost::length_delimiter_len(len) + 2);
        if used > budget && i > 0 {
            return i;
        }
    }
    items.len()
}

/// Where a keyset page may stop: the resume position after each of its rows, the one
/// after the whole page (if more follows), and the byte budget.
#[derive(Debug, Clone, Default)]
pub struct Next {
    ends: Vec<String>,
    after_page: Option<String>,
    budget: usize,
}

impl Next {
    /// `ends[i]` resumes after row `i`; `after_page` after the last row, when another
    /// page follows.
    pub fn new(ends: Vec<String>, after_page: Option<String>, budget: usize) -> Self {
        Self {
            ends,
            after_page,
            budget,
        }
    }

    /// Cuts `items` (one per row, in row order) to the byte budget and returns where the
    /// next page resumes, if anywhere.
    pub fn fit<M: prost::Message>(self, items: &mut Vec<M>) -> Option<String> {
        let keep = fitting(items, self.budget);
        if keep < items.len() {
            items.truncate(keep);
            // `keep` is at least one, and there is one end per row.
            if let Some(end) = self.ends.get(keep - 1) {
                return Some(end.clone());
            }
        }
        self.after_page
    }
}

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
    fn a_page_stops_at_its_byte_budget_and_resumes_after_the_last_item_sent() {
        let items: Vec<String> = (0..10).map(|i| format!("{i}").repeat(100)).collect();
        let ends: Vec<String> = (0..10).map(|i| format!("id-{i}")).collect();
        // Each item encodes to 102 bytes, plus 3 of tag and length: three fit in 320.
        assert_eq!(fitting(&items, 320), 3);
        let mut page = items.clone();
        let next = Next::new(ends.clone(), Some("id-9".into()), 320).fit(&mut page);
        assert_eq!(page, items[..3]);
        assert_eq!(next.as_deref(), Some("id-2"));
        // Under the budget: the page and its own resume position are unchanged.
        let mut page = items.clone();
        assert_eq!(Next::new(ends.clone(), None, 1 << 20).fit(&mut page), None);
        assert_eq!(page.len(), 10);
        // One item larger than the budget still goes alone.
        let mut page = items.clone();
        let next = Next::new(ends, None, 10).fit(&mut page);
        assert_eq!((page.len(), next.as_deref()), (1, Some("id-0")));
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
