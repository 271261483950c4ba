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

/// A number field's range, both ends included. Integers are compared exactly (every
/// bound is an integer below 2^53, so `f64` holds it exactly).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Range {
    /// The least value allowed.
    pub min: f64,
    /// The greatest value allowed.
    pub max: f64,
}

/// The largest integer a JSON client (a JavaScript number) holds exactly: 2^53 − 1.
pub const MAX_SAFE_INTEGER: f64 = 9_007_199_254_740_991.0;
/// The most of anything counted in units (parts in stock, a request's quantity).
const UNITS: Range = Range::new(0.0, 1_000_000_000.0);
/// A fraction, a probability, a weight or a reachability: 0 to 1.
const FRACTION: Range = Range::new(0.0, 1.0);
/// A percentage or a 0–100 score.
const PERCENT: Range = Range::new(0.0, 100.0);

/// Number fields whose range is not their type's default, by field name: (field, range).
/// Integers default to 0 up to `i32::MAX` (32-bit) or [`MAX_SAFE_INTEGER`] (64-bit):
/// counts, sizes, sequence numbers, revisions and versions are never negative. Other
/// numbers default to a magnitude of at most a billion.
const RANGES: &[(&str, Range)] = &[
    // WGS84 coordinates.
    ("latitude", Range::new(-90.0, 90.0)),
    ("longitude", Range::new(-180.0, 180.0)),
    // Stock and parts: a billion units is beyond any depot; sums of them cannot
    // overflow a 64-bit integer.
    ("on_hand", UNITS),
    ("reserved", UNITS),
    ("available", UNITS),
    ("quantity", UNITS),
    ("target_stock_depth", UNITS),
    // A touchpoint's emotional intensity, 1–5 (0: not given, which the handler reports).
    ("intensity", Range::new(0.0, 5.0)),
    // Opening hours of a remote expert seat.
    ("hours_per_day", Range::new(0.0, 24.0)),
    ("days_per_week", Range::new(0.0, 7.0)),
    // Weights, fractions and reachabilities.
    ("weight", FRACTION),
    ("country_weight", FRACTION),
    ("stock_weight", FRACTION),
    ("redundancy_weight", FRACTION),
    ("default_reachability", FRACTION),
    ("destination_reachability", FRACTION),
    ("min_confidence", FRACTION),
    ("confidence_threshold", FRACTION),
    ("agreement", FRACTION),
    ("agreement_rate", FRACTION),
    // Scores and thresholds on a 0–100 scale.
    ("review_threshold", PERCENT),
    ("weak_threshold", PERCENT),
    ("score", PERCENT),
    ("country_score", PERCENT),
    ("trust_index", PERCENT),
    ("resilience_score", PERCENT),
    // The arrival model's parameters: generous physical limits.
    ("road_factor", Range::new(0.0, 10.0)),
    ("speed_kmh", Range::new(0.0, 1_000.0)),
    ("degraded_preparation_factor", Range::new(0.0, 100.0)),
    ("reachability_slowdown", Range::new(0.0, 100.0)),
    ("max_reachability_slowdown", Range::new(0.0, 100.0)),
    // Windows and buckets.
    ("bucket_days", Range::new(0.0, 366.0)),
    ("window_turns", Range::new(0.0, 100.0)),
    ("max_count", Range::new(0.0, 1_000_000.0)),
    ("max_batch_entries", Range::new(0.0, 100_000.0)),
];

/// Number fields whose range differs from the one their name gives: (message, field,
/// range).
const MESSAGE_RANGES: &[(&str, &str, Range)] = &[
    // An indicator's weight is points, at most 100 (a factor's weight is a fraction).
    ("symbolon.quality.v1.Indicator", "weight", PERCENT),
    ("symbolon.quality.v1.IndicatorResult", "weight", PERCENT),
    ("symbolon.quality.v1.Outcome", "qa_score", PERCENT),
    // Customer satisfaction, 1–5 (0: not asked).
    ("symbolon.quality.v1.Outcome", "csat", Range::new(0.0, 5.0)),
];

impl Range {
    /// From `min` to `max`, both included.
    pub const fn new(min: f64, max: f64) -> Self {
        Self { min, max }
    }

    /// Whether `value` lies in the range (NaN never does).
    pub fn contains(self, value: f64) -> bool {
        value >= self.min && value <= self.max
    }

    /// The Rust expression for this range, for generated code.
    pub fn to_rust(self) -> String {
        format!("crate::bounds::Range::new({:?}, {:?})", self.min, self.max)
    }

    /// How the range reads in `docs/input-rules.md` and in a field violation.
    pub fn describe(self, integer: bool) -> String {
        if integer {
            format!("an integer from {} to {}", self.min as i64, self.max as i64)
        } else {
            format!("a finite number from {} to {}", self.min, self.max)
        }
    }
}

/// The range of number field `field` of `message` (full proto name); `integer` and
/// `bits` say what the field's type is.
pub fn number_range(message: &str, field: &str, integer: bool, bits: u32) -> Range {
    if let Some((_, _, r)) = MESSAGE_RANGES
        .iter()
        .find(|(m, f, _)| *m == message && *f == field)
    {
        return *r;
    }
    if let Some((_, r)) = RANGES.iter().find(|(f, _)| *f == field) {
        return *r;
    }
    match (integer, bits) {
        (true, 32) => Range::new(0.0, f64::from(i32::MAX)),
        (true, _) => Range::new(0.0, MAX_SAFE_INTEGER),
        (false, _) => Range::new(-1e9, 1e9),
    }
}

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
