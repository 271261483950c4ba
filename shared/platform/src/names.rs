//! Resource names (AIP-122): `customers/{customer}/sites/{site}` and friends.

/// A name that does not fit its pattern.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NameError {
    /// Wrong number of segments or wrong collection names.
    #[error("must look like {0}")]
    Shape(String),
    /// A bad id segment.
    #[error("{0}")]
    Id(#[from] IdError),
}

/// An id segment that is not allowed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("ids are 1-63 lowercase letters, digits or '-', not starting or ending with '-'")]
pub struct IdError;

/// A new system-generated id: a UUIDv7, so ids sort by creation time, which keeps
/// keyset pagination and index locality cheap.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// Checks a client-chosen or parsed id.
pub fn check_id(id: &str) -> Result<(), IdError> {
    let ok = (1..=63).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !id.starts_with('-')
        && !id.ends_with('-');
    if ok { Ok(()) } else { Err(IdError) }
}

/// Splits `name` by the collection names in `collections` (e.g. `["customers", "sites"]`)
/// and returns the ids in order.
pub fn parse<'a>(name: &'a str, collections: &[&str]) -> Result<Vec<&'a str>, NameError> {
    let shape = || {
        NameError::Shape(
            collections
                .iter()
                .map(|c| format!("{c}/{{id}}"))
                .collect::<Vec<_>>()
                .join("/"),
        )
    };
    let parts: Vec<&str> = name.split('/').collect();
    if parts.len() != collections.len() * 2 {
        return Err(shape());
    }
    let mut ids = Vec::with_capacity(collections.len());
    for (pair, collection) in parts.chunks(2).zip(collections) {
        if pair[0] != *collection {
            return Err(shape());
        }
        check_id(pair[1])?;
        ids.push(pair[1]);
    }
    Ok(ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_nested_names() {
        assert_eq!(
            parse("customers/acme/sites/s-1", &["customers", "sites"]),
            Ok(vec!["acme", "s-1"])
        );
        assert!(parse("customers/acme", &["customers", "sites"]).is_err());
        assert!(parse("labs/acme/sites/x", &["customers", "sites"]).is_err());
        assert!(parse("customers/ACME", &["customers"]).is_err());
        assert!(parse("customers/", &["customers"]).is_err());
        assert!(parse("customers/-a", &["customers"]).is_err());
    }

    #[test]
    fn generated_ids_are_valid_and_ordered() {
        let a = new_id();
        let b = new_id();
        assert!(check_id(&a).is_ok());
        assert!(a < b);
    }
}
