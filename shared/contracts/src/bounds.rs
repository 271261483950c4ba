// The input rules of every request field, decided here once. `build.rs` includes this
// file to generate the checks (so it uses nothing outside itself), the codec applies
// them (`hygiene`), and `docs/input-rules.md` is generated from them (a test fails when
// the page is stale).

/// What a string field holds, which decides the characters it may contain.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextKind {
    /// A name, id, token, version, hash, code or reference: one line, no whitespace at
    /// the ends, no invisible formatting characters (so two that look alike are alike).
    Identifier,
    /// Text shown on one line (a display name, a title, a phrase, a filter): no control
    /// characters, no line breaks.
    Line,
    /// Free text over several lines: tab and line breaks allowed, no other control.
    Text,
}

/// A string field's rule: its kind and its maximum length in characters. Every kind
/// refuses NUL and the bidirectional embedding, override and isolate controls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    /// What it holds.
    pub kind: TextKind,
    /// At most this many characters (Unicode scalar values).
    pub max_chars: usize,
}

#[allow(dead_code)]
impl Rule {
    /// An identifier of at most `max_chars`.
    pub const fn identifier(max_chars: usize) -> Self {
        Self {
            kind: TextKind::Identifier,
            max_chars,
        }
    }
    /// One line of at most `max_chars`.
    pub const fn line(max_chars: usize) -> Self {
        Self {
            kind: TextKind::Line,
            max_chars,
        }
    }
    /// Free text of at most `max_chars`.
    pub const fn text(max_chars: usize) -> Self {
        Self {
            kind: TextKind::Text,
            max_chars,
        }
    }
    /// The rule of a map's keys.
    pub const MAP_KEY: Rule = Rule::identifier(128);

    /// The Rust expression for this rule, for generated code.
    pub fn to_rust(self) -> String {
        let kind = match self.kind {
            TextKind::Identifier => "Identifier",
            TextKind::Line => "Line",
            TextKind::Text => "Text",
        };
        format!(
            "crate::bounds::Rule {{ kind: crate::bounds::TextKind::{kind}, max_chars: {} }}",
            self.max_chars
        )
    }

    /// How the rule reads in `docs/input-rules.md`.
    pub fn describe(self) -> String {
        let kind = match self.kind {
            TextKind::Identifier => "identifier",
            TextKind::Line => "one line",
            TextKind::Text => "multi-line text",
        };
        format!("{kind}, ≤ {} chars", self.max_chars)
    }
}

/// Fields named so hold identifiers (resource names and references, ids, tokens,
/// versions, hashes, codes, people's subjects).
const IDENTIFIERS: &[&str] = &[
    "name",
    "parent",
    "id",
    "request_id",
    "etag",
    "page_token",
    "keyid",
    "country",
    "home_country",
    "subject",
    "author",
    "customer",
    "site",
    "sites",
    "depot",
    "depot_outages",
    "registration",
    "reference",
    "part_number",
    "part_numbers",
    "standard",
    "experiment",
    "scoring_model",
    "key_person",
    "member",
    "org",
    "model",
    "owner",
    "department",
    "reservation",
    "fire_request",
    "actor",
    "corrects",
    "version",
    "payload_type",
    "prev_hash",
    "hash",
    "sha256",
    "evidence_sha256",
    "quarter",
    "month",
    "factor",
    "component",
    "customer_key",
    "winner",
    "latest_run",
    "country_profile",
    "email",
    "reviewer",
];

/// Fields named so hold free text over several lines.
const TEXTS: &[&str] = &[
    "description",
    "note",
    "notes",
    "text",
    "content",
    "body",
    "message",
    "explanation",
    "root_cause",
    "customer_impact",
    "timeline",
    "what_changes",
    "expected_result",
    "public_key_pem",
    "template",
    "reviewer_note",
    "resolution_note",
    "suggestion",
    "scenario",
    "detail",
    "ask",
    "input",
    "status_reason",
    "cause",
];

/// Fields whose length differs from their kind's default: (message, field, max chars).
const LENGTHS: &[(&str, &str, usize)] = &[
    // A conversation turn, as the inspector bounds it.
    ("symbolon.quality.v1.Turn", "text", 10_000),
    // A PEM public key is a few hundred characters; RSA 4096 about 800.
    ("symbolon.labs.v1.SignerKey", "public_key_pem", 4_096),
];

/// Repeated fields whose count differs from the default: (message, field, max items).
const COUNTS: &[(&str, &str, usize)] = &[
    ("symbolon.quality.v1.Conversation", "turns", 2_000),
    (
        "symbolon.supplychain.v1.BatchAssessCoverageRequest",
        "requests",
        10_000,
    ),
    (
        "symbolon.supplychain.v1.ImportCountryFactorsRequest",
        "records",
        200_000,
    ),
];

/// The earliest time a request may carry: 1970-01-01T00:00:00Z (Unix seconds).
pub const EARLIEST: i64 = 0;
/// The first time a request may no longer carry: 2200-01-01T00:00:00Z.
pub const LATEST: i64 = 7_258_118_400;

/// The default maximum count of a repeated field or map.
pub const DEFAULT_MAX_ITEMS: usize = 1_000;
/// The default maximum size of a bytes field.
pub const DEFAULT_MAX_BYTES: usize = 1 << 20;

/// The rule of string field `field` of message `message` (full proto name).
pub fn string_rule(message: &str, field: &str) -> Rule {
    let base = if IDENTIFIERS.contains(&field)
        || field.ends_with("_id")
        || field.ends_with("_ids")
        || field.ends_with("_by")
        || field.ends_with("_token")
    {
        Rule::identifier(512)
    } else if TEXTS.contains(&field) || field.ends_with("_note") {
        Rule::text(8_192)
    } else {
        Rule::line(1_024)
    };
    match LENGTHS
        .iter()
        .find(|(m, f, _)| *m == message && *f == field)
    {
        Some((_, _, max)) => Rule {
            max_chars: *max,
            ..base
        },
        None => base,
    }
}

/// The rule of the values of a string-to-string map.
pub fn map_value_rule(_message: &str, _field: &str) -> Rule {
    Rule::line(1_000)
}

/// The maximum count of repeated field (or map) `field` of `message`.
pub fn max_items(message: &str, field: &str) -> usize {
    COUNTS
        .iter()
        .find(|(m, f, _)| *m == message && *f == field)
        .map_or(DEFAULT_MAX_ITEMS, |(_, _, n)| *n)
}
