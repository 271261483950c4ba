//! How a protobuf body is kept: the store never decodes one, it only stores and returns
//! the encoded bytes. They are read from `body_bytes` (BYTEA / BLOB, migration 0010);
//! during the rollout of the release that added it, writes also keep `body`, the
//! hex-encoded TEXT earlier releases read and write, and the next release drops it
//! (expand, then contract: `docs/operations.md`).

use symbolon_platform::db::{Sql, Value};

/// The body columns a write sets.
pub(super) const COLUMNS: &[&str] = &["body", "body_bytes"];

/// The values of [`COLUMNS`] for `bytes`, in order.
pub(super) fn values(bytes: &[u8]) -> Vec<Value> {
    vec![hex(bytes).into(), bytes.into()]
}

/// Appends `body = …` (every body column) to an UPDATE's SET list.
pub(super) fn set(sql: &mut Sql, bytes: &[u8]) {
    for (k, (column, value)) in COLUMNS.iter().zip(values(bytes)).enumerate() {
        if k > 0 {
            sql.push(", ");
        }
        sql.push(column).push(" = ").bind(value);
    }
}

/// The hex text of `bytes`, as earlier releases read it.
fn hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(HEX[(b >> 4) as usize] as char);
        s.push(HEX[(b & 15) as usize] as char);
    }
    s
}

/// The bytes of a hex string (`None` if it is not one).
#[cfg(test)]
fn unhex(s: &str) -> Option<Vec<u8>> {
    let hex = s.as_bytes();
    if !hex.len().is_multiple_of(2) {
        return None;
    }
    let nib = |c: u8| match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        _ => None,
    };
    hex.chunks(2)
        .map(|pair| Some((nib(pair[0])? << 4) | nib(pair[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trips() {
        let bytes: Vec<u8> = (0..=255).collect();
        assert_eq!(unhex(&hex(&bytes)), Some(bytes));
        assert_eq!(unhex("abc"), None);
        assert_eq!(unhex("zz"), None);
    }
}
