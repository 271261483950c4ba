//! The `filter` of List methods: a small, safe subset of AIP-160 — comparisons joined by
//! `AND`, such as `industry = INDUSTRY_ENERGY AND home_country = "DE"` or
//! `occur_time >= "2026-01-01T00:00:00Z"`. Each service declares the fields it allows;
//! anything else is INVALID_ARGUMENT naming the problem.

use crate::db::Sql;

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    /// `=`
    Eq,
    /// `!=`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
}

impl Op {
    fn sql(self) -> &'static str {
        match self {
            Op::Eq => " = ",
            Op::Ne => " <> ",
            Op::Lt => " < ",
            Op::Le => " <= ",
            Op::Gt => " > ",
            Op::Ge => " >= ",
        }
    }
}

/// One `field op value`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comparison {
    /// The field name as the client wrote it.
    pub field: String,
    /// The operator.
    pub op: Op,
    /// The value, unquoted.
    pub value: String,
}

/// A filter this server cannot honour.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{0}")]
pub struct FilterError(String);

impl FilterError {
    /// A refusal saying `why`.
    pub fn new(why: impl Into<String>) -> Self {
        Self(why.into())
    }
}

/// How a field's value is read and compared.
#[derive(Clone, Copy)]
pub enum Kind {
    /// Text compared with `=` / `!=`.
    Text,
    /// Upper-case text (country codes).
    UpperText,
    /// An enum given by its name, with or without its prefix; stored as its number.
    Enum(fn(&str) -> Option<i32>, &'static str),
    /// An RFC 3339 time, stored as microseconds; all six operators.
    Time,
}

/// A field clients may filter on, and the column behind it.
#[derive(Clone, Copy)]
pub struct Field {
    /// Name in the filter.
    pub name: &'static str,
    /// SQL column (a constant of ours, never client text).
    pub column: &'static str,
    /// How to read the value.
    pub kind: Kind,
}

impl Field {
    /// A field filtered under its column's own name.
    pub const fn column(name: &'static str, kind: Kind) -> Self {
        Self {
            name,
            column: name,
            kind,
        }
    }
}

// A filter the client got wrong: INVALID_ARGUMENT naming the field.
impl From<FilterError> for tonic::Status {
    fn from(e: FilterError) -> Self {
        crate::status::invalid_argument("filter", e.to_string())
    }
}

/// Parses `filter` into comparisons.
pub fn parse(filter: &str) -> Result<Vec<Comparison>, FilterError> {
    let mut out = Vec::new();
    let mut rest = filter.trim();
    if rest.is_empty() {
        return Ok(out);
    }
    loop {
        let field_len = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
            .unwrap_or(rest.len());
        if field_len == 0 {
            return Err(FilterError(format!("expected a field name at {rest:?}")));
        }
        let field = &rest[..field_len];
        rest = rest[field_len..].trim_start();
        let (op, len) = [
            ("!=", Op::Ne),
            ("<=", Op::Le),
            (">=", Op::Ge),
            ("=", Op::Eq),
            ("<", Op::Lt),
            (">", Op::Gt),
        ]
        .iter()
        .find(|(s, _)| rest.starts_with(s))
        .map(|(s, op)| (*op, s.len()))
        .ok_or_else(|| FilterError(format!("expected an operator after {field}")))?;
        rest = rest[len..].trim_start();
        let value;
        if let Some(stripped) = rest.strip_prefix('"') {
            let end = stripped
                .find('"')
                .ok_or_else(|| FilterError("unterminated string".into()))?;
            value = stripped[..end].to_string();
            rest = stripped[end + 1..].trim_start();
        } else {
            let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
            if end == 0 {
                return Err(FilterError(format!("expected a value after {field}")));
            }
            value = rest[..end].to_string();
            rest = rest[end..].trim_start();
        }
        out.push(Comparison {
            field: field.to_string(),
            op,
            value,
        });
        if rest.is_empty() {
            return Ok(out);
        }
        rest = rest
            .strip_prefix("AND")
            .filter(|r| r.starts_with(char::is_whitespace))
            .ok_or_else(|| {
                FilterError(format!("expected AND at {rest:?} (only AND is supported)"))
            })?
            .trim_start();
    }
}

/// The time column a filter compares, if any: a list filtered on time pages in
/// (time, id) order, so the range is read from an index in page order instead of every
/// match being sorted by id. `None` for filters without a time field (or bad ones, which
/// [`apply`] reports).
pub fn time_order(filter: &str, fields: &[Field]) -> Option<&'static str> {
    let comparisons = parse(filter).ok()?;
    comparisons.iter().find_map(|c| {
        fields
            .iter()
            .find(|f| f.name == c.field && matches!(f.kind, Kind::Time))
            .map(|f| f.column)
    })
}

/// Parses `filter` and appends ` AND column op $n` to `sql` for each comparison.
pub fn apply(filter: &str, fields: &[Field], sql: &mut Sql) -> Result<(), FilterError> {
    for c in parse(filter)? {
        let f = fields.iter().find(|f| f.name == c.field).ok_or_else(|| {
            if fields.is_empty() {
                return FilterError(format!(
                    "unknown field {:?}; this list takes no filter",
                    c.field
                ));
            }
            let allowed: Vec<_> = fields.iter().map(|f| f.name).collect();
            FilterError(format!(
                "unknown field {:?}; allowed: {}",
                c.field,
                allowed.join(", ")
            ))
        })?;
        let equality_only = !matches!(f.kind, Kind::Time);
        if equality_only && !matches!(c.op, Op::Eq | Op::Ne) {
            return Err(FilterError(format!("{} supports only = and !=", f.name)));
        }
        sql.push(" AND ").push(f.column).push(c.op.sql());
        match f.kind {
            Kind::Text => {
                sql.bind(c.value);
            }
            Kind::UpperText => {
                sql.bind(c.value.to_ascii_uppercase());
            }
            Kind::Enum(from_name, prefix) => {
                let n = from_name(&c.value)
                    .or_else(|| from_name(&format!("{prefix}{}", c.value)))
                    .filter(|n| *n != 0)
                    .ok_or_else(|| {
                        FilterError(format!("{:?} is not a value of {}", c.value, f.name))
                    })?;
                sql.bind(i64::from(n));
            }
            Kind::Time => {
                let t = crate::time::parse_rfc3339(&c.value).map_err(|_| {
                    FilterError(format!(
                        "{} needs an RFC 3339 time, got {:?}",
                        f.name, c.value
                    ))
                })?;
                sql.bind(t);
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn color(s: &str) -> Option<i32> {
        match s {
            "COLOR_RED" => Some(1),
            _ => None,
        }
    }

    const FIELDS: &[Field] = &[
        Field {
            name: "country",
            column: "country",
            kind: Kind::UpperText,
        },
        Field {
            name: "color",
            column: "color",
            kind: Kind::Enum(color, "COLOR_"),
        },
        Field {
            name: "time",
            column: "t",
            kind: Kind::Time,
        },
    ];

    #[test]
    fn compiles_conjunctions() -> Result<(), FilterError> {
        let mut sql = Sql::new("WHERE 1=1");
        apply(
            r#"country = "de" AND color = RED AND time >= "1970-01-01T00:00:01Z""#,
            FIELDS,
            &mut sql,
        )?;
        assert_eq!(
            sql.text(),
            "WHERE 1=1 AND country = $1 AND color = $2 AND t >= $3"
        );
        Ok(())
    }

    #[test]
    fn a_list_without_filterable_fields_says_so() {
        let mut sql = Sql::new("SELECT 1 WHERE true");
        assert_eq!(
            apply("state = OPEN", &[], &mut sql),
            Err(FilterError(
                "unknown field \"state\"; this list takes no filter".into()
            ))
        );
    }

    #[test]
    fn refuses_what_it_does_not_know() {
        let mut sql = Sql::new("");
        assert!(apply("owner = x", FIELDS, &mut sql).is_err());
        assert!(apply("color = BLUE", FIELDS, &mut sql).is_err());
        assert!(apply("country > DE", FIELDS, &mut sql).is_err());
        assert!(apply("country = DE OR color = RED", FIELDS, &mut sql).is_err());
        assert!(apply("country = \"DE", FIELDS, &mut sql).is_err());
        assert!(apply("time >= tomorrow", FIELDS, &mut sql).is_err());
        assert!(apply("= x", FIELDS, &mut sql).is_err());
    }

    #[test]
    fn a_time_comparison_orders_by_time() {
        assert_eq!(
            time_order(r#"color = RED AND time < "2026-01-01T00:00:00Z""#, FIELDS),
            Some("t")
        );
        assert_eq!(time_order("color = RED", FIELDS), None);
        assert_eq!(time_order("", FIELDS), None);
    }

    #[test]
    fn empty_filter_is_no_condition() -> Result<(), FilterError> {
        let mut sql = Sql::new("X");
        apply("   ", FIELDS, &mut sql)?;
        assert_eq!(sql.text(), "X");
        Ok(())
    }
}
