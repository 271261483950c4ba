//! The properties of the pure parsers that read what clients send, one function per
//! parser taking arbitrary bytes. `fuzz/` runs them under AFL++ (coverage-guided);
//! `tests/parsers.rs` replays their corpus and mutations of it in the test command.
//! Each panics when its property breaks: no parser panics on any input, and what can
//! be printed and read again reads back as itself.

use std::sync::OnceLock;
use symbolon_labs::dsse;
use symbolon_platform::{
    auth::Authenticator,
    db::Sql,
    filter::{self, Field, Kind},
    names, paging,
};

fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// AIP-160 filters: parsing and turning into SQL never panic, whatever the fields.
pub fn filter(data: &[u8]) {
    const FIELDS: &[Field] = &[
        Field {
            name: "display_name",
            column: "display_name",
            kind: Kind::Text,
        },
        Field {
            name: "country",
            column: "country",
            kind: Kind::UpperText,
        },
        Field {
            name: "mood",
            column: "mood",
            kind: Kind::Enum(|s| (s == "ANXIOUS").then_some(1), "MOOD_"),
        },
        Field {
            name: "create_time",
            column: "create_time",
            kind: Kind::Time,
        },
    ];
    let s = text(data);
    let _ = filter::parse(&s);
    let mut sql = Sql::new("SELECT 1 WHERE 1 = 1");
    if filter::apply(&s, FIELDS, &mut sql).is_ok() {
        // Client text reaches SQL only as bound values: the statement holds nothing
        // but our constants, which carry no quote or statement separator.
        let statement = sql.text();
        assert!(
            !statement.contains(['\'', '"', ';', '-']),
            "client text in the statement: {statement:?}"
        );
    }
    let _ = filter::time_order(&s, FIELDS);
}

/// Page tokens: any token decodes or is refused without a panic; every position
/// round-trips through a token of its query, and never through another query's.
pub fn page_token(data: &[u8]) {
    let s = text(data);
    let _ = paging::decode_token(&s, "q");
    if !s.is_empty() {
        let token = paging::encode_token(&s, "q");
        assert_eq!(paging::decode_token(&token, "q"), Ok(Some(s.clone())));
        assert!(paging::decode_token(&token, "other").is_err());
    }
}

/// Resource names: parsing never panics, and a name that parses prints back as itself.
pub fn resource_name(data: &[u8]) {
    let s = text(data);
    for collections in [
        &["customers"][..],
        &["customers", "sites"][..],
        &["labs", "testPlans", "runs"][..],
    ] {
        if let Ok(ids) = names::parse(&s, collections) {
            let printed = collections
                .iter()
                .zip(&ids)
                .map(|(c, id)| format!("{c}/{id}"))
                .collect::<Vec<_>>()
                .join("/");
            assert_eq!(printed, s);
            assert!(ids.iter().all(|id| names::check_id(id).is_ok()));
        }
    }
}

/// Factor CSV: any text parses into records and per-row errors without a panic, and
/// no row is both a record and an error.
pub fn csv_import(data: &[u8]) {
    let s = text(data);
    if let Ok(parsed) = symbolon_supplychain::import::parse_factor_csv(&s) {
        for (row, _) in &parsed.records {
            assert!(
                !parsed.errors.iter().any(|e| e.index == *row),
                "row {row} is both read and refused"
            );
        }
    }
}

/// DSSE envelopes and release statements: parsing and verifying never panic; an
/// envelope that parses prints and parses back as itself; a statement that parses
/// keeps its meaning through its canonical form.
pub fn dsse_envelope(data: &[u8]) {
    static KEY: OnceLock<Option<(String, String)>> = OnceLock::new();
    let s = text(data);
    if let Ok(env) = dsse::Envelope::from_json(&s) {
        let again = dsse::Envelope::from_json(&env.to_json());
        assert_eq!(again.as_ref().ok(), Some(&env));
    }
    if let Ok(statement) = dsse::Statement::parse(data) {
        let canonical = statement.canonical();
        let again = dsse::Statement::parse(&canonical).map(|s| s.canonical());
        assert_eq!(again.ok(), Some(canonical));
    }
    if let Some((public, _)) = KEY.get_or_init(|| dsse::generate_signer_key().ok()) {
        let _ = dsse::verify_envelope(&s, &[public.as_str()]);
    }
}

/// Bearer tokens: any string is verified or refused without a panic, and nothing that is
/// not three dot-separated parts is ever accepted.
pub fn bearer_token(data: &[u8]) {
    static AUTH: OnceLock<Option<(symbolon_testkit::Keys, Authenticator)>> = OnceLock::new();
    let Some((_, auth)) = AUTH.get_or_init(|| {
        let keys = symbolon_testkit::Keys::new();
        let config = symbolon_testkit::server_config("fuzz", "sqlite::memory:", &keys);
        Authenticator::from_config(&config.auth)
            .ok()
            .map(|a| (keys, a))
    }) else {
        panic!("no authenticator");
    };
    let s = text(data);
    let verdict = auth.verify(&s);
    if s.split('.').count() != 3 {
        assert!(verdict.is_err(), "accepted {s:?}");
    }
    let mut headers = http::HeaderMap::new();
    if let Ok(value) = http::HeaderValue::from_bytes(data) {
        headers.insert("authorization", value);
        let _ = auth.authenticate(&headers);
    }
}

/// A target: arbitrary bytes in, a panic when a property breaks.
pub type Target = fn(&[u8]);

/// Every target, by the name of its corpus directory under `fuzz/corpus/`.
pub const TARGETS: &[(&str, Target)] = &[
    ("filter", filter),
    ("page_token", page_token),
    ("resource_name", resource_name),
    ("csv_import", csv_import),
    ("dsse_envelope", dsse_envelope),
    ("bearer_token", bearer_token),
];
