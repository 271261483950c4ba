//! Input hygiene for every request, before any handler runs.
//!
//! The services' codec ([`CheckedCodec`]) decodes a request and then walks it with code
//! generated from the descriptor set (`build.rs`): every string, repeated field, map,
//! enum and float of every request message, nested ones included, is held to the rule
//! its field has (see [`crate::bounds`] and `docs/input-rules.md`). A request that
//! breaks one is refused with INVALID_ARGUMENT and a `BadRequest` naming each field as
//! sent (`fire_request.parts[1].part_number`, `entries[0].attributes["k"]`). So a new
//! method or field is bounded without anyone writing a check for it; handlers keep the
//! rules only they know (ranges, formats, references).

use crate::bounds::{Rule, TextKind};
use std::marker::PhantomData;
use tonic::{
    Status,
    codec::{Codec, DecodeBuf, Decoder},
};
use tonic_prost::ProstCodec;
use tonic_types::{ErrorDetails, FieldViolation, StatusExt};

/// At most this many violations are reported for one request.
const MAX_REPORTED: usize = 20;

/// Walks a message's fields (generated for every Symbolon message).
pub trait Walk {
    /// Whether the codec checks this message when it decodes it: true for request
    /// messages, which only servers decode. Responses decoded by clients are not
    /// second-guessed.
    const CHECKED: bool = false;

    /// Visits every field.
    fn walk(&self, w: &mut Walker);
}

/// The well-known types carry nothing to check.
macro_rules! nothing_to_walk {
    ($($t:ty),*) => {$(
        impl Walk for $t {
            fn walk(&self, _: &mut Walker) {}
        }
    )*};
}
nothing_to_walk!(
    prost_types::Timestamp,
    prost_types::Duration,
    prost_types::FieldMask,
    ()
);

/// Collects violations while a message is walked, with the path of the field visited.
#[derive(Default)]
pub struct Walker {
    path: String,
    violations: Vec<FieldViolation>,
}

impl Walker {
    fn field_path(&self, field: &str) -> String {
        if self.path.is_empty() {
            field.to_string()
        } else {
            format!("{}.{field}", self.path)
        }
    }

    fn violation(&mut self, path: String, description: String) {
        if self.violations.len() < MAX_REPORTED {
            self.violations.push(FieldViolation::new(path, description));
        }
    }

    fn check_text(&mut self, path: impl FnOnce(&Self) -> String, value: &str, rule: Rule) {
        if let Err(problem) = rule.check(value) {
            let path = path(self);
            self.violation(path, problem);
        }
    }

    /// A singular string.
    pub fn string(&mut self, field: &str, value: &str, rule: Rule) {
        self.check_text(|w| w.field_path(field), value, rule);
    }

    /// An optional string (proto3 `optional`).
    pub fn optional_string(&mut self, field: &str, value: Option<&String>, rule: Rule) {
        if let Some(v) = value {
            self.string(field, v, rule);
        }
    }

    /// A repeated string: its count, then each item.
    pub fn strings(&mut self, field: &str, values: &[String], rule: Rule, max_items: usize) {
        if self.count(field, values.len(), max_items) {
            for (i, v) in values.iter().enumerate() {
                self.check_text(|w| format!("{}[{i}]", w.field_path(field)), v, rule);
            }
        }
    }

    /// A repeated field's count; false when over the bound (its items are not walked).
    pub fn count(&mut self, field: &str, len: usize, max_items: usize) -> bool {
        if len > max_items {
            let path = self.field_path(field);
            self.violation(path, format!("at most {max_items} items ({len} sent)"));
            return false;
        }
        true
    }

    /// A byte string's size.
    pub fn bytes(&mut self, field: &str, len: usize, max_bytes: usize) {
        if len > max_bytes {
            let path = self.field_path(field);
            self.violation(path, format!("at most {max_bytes} bytes ({len} sent)"));
        }
    }

    /// An integer in its range.
    pub fn int(&mut self, field: &str, value: i128, range: crate::bounds::Range) {
        // Bounds are integers below 2^53: compare exactly, whatever the value's size.
        if value < range.min as i128 || value > range.max as i128 {
            let path = self.field_path(field);
            self.violation(path, format!("must be {}", range.describe(true)));
        }
    }

    /// A floating-point value in its range (so finite).
    pub fn number(&mut self, field: &str, value: f64, range: crate::bounds::Range) {
        if !range.contains(value) {
            let path = self.field_path(field);
            self.violation(path, format!("must be {}", range.describe(false)));
        }
    }

    /// A floating-point value: finite.
    pub fn float(&mut self, field: &str, value: f64) {
        if !value.is_finite() {
            let path = self.field_path(field);
            self.violation(path, "must be a finite number".into());
        }
    }

    /// A point in time: between [`crate::bounds::EARLIEST`] and [`crate::bounds::LATEST`],
    /// with valid nanoseconds.
    pub fn timestamp(&mut self, field: &str, value: &prost_types::Timestamp) {
        let plausible = (crate::bounds::EARLIEST..crate::bounds::LATEST).contains(&value.seconds)
            && (0..1_000_000_000).contains(&value.nanos);
        if !plausible {
            let path = self.field_path(field);
            self.violation(
                path,
                "must be a time between 1970-01-01 and 2200-01-01 (UTC)".into(),
            );
        }
    }

    /// A singular message field.
    pub fn message<T: Walk>(&mut self, field: &str, value: Option<&T>) {
        if let Some(v) = value {
            self.nested(field.to_string(), v);
        }
    }

    /// A repeated message field.
    pub fn messages<T: Walk>(&mut self, field: &str, values: &[T], max_items: usize) {
        if self.count(field, values.len(), max_items) {
            for (i, v) in values.iter().enumerate() {
                self.nested(format!("{field}[{i}]"), v);
            }
        }
    }

    /// A map of strings to strings.
    pub fn string_map<'a>(
        &mut self,
        field: &str,
        entries: impl ExactSizeIterator<Item = (&'a String, &'a String)>,
        max_items: usize,
        value_rule: Rule,
    ) {
        if self.count(field, entries.len(), max_items) {
            for (k, v) in entries {
                let path = |w: &Self| format!("{}[{}]", w.field_path(field), key_label(k));
                self.check_text(path, k, Rule::MAP_KEY);
                self.check_text(path, v, value_rule);
            }
        }
    }

    /// A map of strings to messages.
    pub fn message_map<'a, T: Walk + 'a>(
        &mut self,
        field: &str,
        entries: impl ExactSizeIterator<Item = (&'a String, &'a T)>,
        max_items: usize,
    ) {
        if self.count(field, entries.len(), max_items) {
            for (k, v) in entries {
                self.check_text(
                    |w| format!("{}[{}]", w.field_path(field), key_label(k)),
                    k,
                    Rule::MAP_KEY,
                );
                self.nested(format!("{field}[{}]", key_label(k)), v);
            }
        }
    }

    /// A map of strings to numbers.
    pub fn float_map<'a>(
        &mut self,
        field: &str,
        entries: impl ExactSizeIterator<Item = (&'a String, &'a f64)>,
        max_items: usize,
    ) {
        if self.count(field, entries.len(), max_items) {
            for (k, v) in entries {
                self.check_text(
                    |w| format!("{}[{}]", w.field_path(field), key_label(k)),
                    k,
                    Rule::MAP_KEY,
                );
                let path = format!("{field}[{}]", key_label(k));
                self.float(&path, *v);
            }
        }
    }

    fn nested<T: Walk>(&mut self, segment: String, value: &T) {
        let saved = self.path.len();
        if !self.path.is_empty() {
            self.path.push('.');
        }
        self.path.push_str(&segment);
        value.walk(self);
        self.path.truncate(saved);
    }

    /// The violations found, if any.
    pub fn into_violations(self) -> Vec<FieldViolation> {
        self.violations
    }
}

/// A map key as a field path names it: quoted, and cut short when long, since the path
/// travels back in the error's headers (a 20,000-character key would overflow them).
fn key_label(key: &str) -> String {
    const SHOWN: usize = 64;
    if key.chars().count() <= SHOWN {
        format!("{key:?}")
    } else {
        let head: String = key.chars().take(SHOWN).collect();
        format!("{head:?}…")
    }
}

/// Checks a request: INVALID_ARGUMENT with a `BadRequest` when a field breaks its rule.
pub fn check<T: Walk>(message: &T) -> Result<(), Status> {
    let mut w = Walker::default();
    message.walk(&mut w);
    let violations = w.into_violations();
    if violations.is_empty() {
        return Ok(());
    }
    let mut details = ErrorDetails::with_bad_request(violations);
    details.set_error_info("INVALID_ARGUMENT", "symbolon.dev", []);
    Err(Status::with_error_details(
        tonic::Code::InvalidArgument,
        "the request breaks the contract's input rules; see the field violations",
        details,
    ))
}

impl TextKind {
    /// The characters a kind refuses anywhere in a value.
    fn refuses(self, c: char) -> Option<&'static str> {
        if c == '\0' {
            return Some("contains NUL");
        }
        if is_bidi_control(c) {
            return Some("contains a bidirectional control character");
        }
        match self {
            TextKind::Text => (c.is_control() && !matches!(c, '\n' | '\t' | '\r'))
                .then_some("contains a control character"),
            TextKind::Line => c
                .is_control()
                .then_some("contains a control character or line break"),
            TextKind::Identifier => {
                if c.is_control() || c.is_whitespace() && c != ' ' {
                    Some("contains a control character or line break")
                } else if is_invisible(c) {
                    Some("contains an invisible formatting character")
                } else {
                    None
                }
            }
        }
    }
}

impl Rule {
    /// Checks one value; the problem, worded for a field violation.
    pub fn check(self, value: &str) -> Result<(), String> {
        let chars = value.chars().count();
        if chars > self.max_chars {
            return Err(format!(
                "at most {} characters ({chars} sent)",
                self.max_chars
            ));
        }
        if let Some(problem) = value.chars().find_map(|c| self.kind.refuses(c)) {
            return Err(problem.to_string());
        }
        if self.kind == TextKind::Identifier && value.trim() != value {
            return Err("starts or ends with whitespace".into());
        }
        Ok(())
    }
}

/// Unicode's bidirectional embedding, override and isolate controls (the Trojan Source
/// characters): refused in every field, since text that renders in another order than
/// it reads can mislead whoever reviews or signs it.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Characters that change nothing visible: zero-width spaces and joiners, directional
/// marks, word joiners, the byte-order mark, soft hyphens and the like. Refused in
/// identifiers, where two names that look alike must be alike.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{034F}'
            | '\u{061C}'
            | '\u{115F}'
            | '\u{1160}'
            | '\u{17B4}'
            | '\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2060}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF0}'..='\u{FFF8}'
            | '\u{E0000}'..='\u{E0FFF}'
    )
}

/// The prost codec, plus [`check`] of every request it decodes. The generated servers
/// and clients use it (`build.rs` sets it as the codec path).
#[derive(Debug, Clone)]
pub struct CheckedCodec<T, U> {
    inner: ProstCodec<T, U>,
    _pd: PhantomData<(T, U)>,
}

impl<T, U> Default for CheckedCodec<T, U> {
    fn default() -> Self {
        Self {
            inner: ProstCodec::default(),
            _pd: PhantomData,
        }
    }
}

impl<T, U> Codec for CheckedCodec<T, U>
where
    T: prost::Message + Send + 'static,
    U: prost::Message + Default + Walk + Send + 'static,
{
    type Encode = T;
    type Decode = U;
    type Encoder = <ProstCodec<T, U> as Codec>::Encoder;
    type Decoder = CheckedDecoder<U>;

    fn encoder(&mut self) -> Self::Encoder {
        self.inner.encoder()
    }

    fn decoder(&mut self) -> Self::Decoder {
        CheckedDecoder {
            inner: ProstCodec::<T, U>::default().decoder(),
        }
    }
}

/// Decodes with prost, then checks requests.
#[derive(Debug)]
pub struct CheckedDecoder<U> {
    inner: tonic_prost::ProstDecoder<U>,
}

impl<U> Decoder for CheckedDecoder<U>
where
    U: prost::Message + Default + Walk,
{
    type Item = U;
    type Error = Status;

    fn decode(&mut self, buf: &mut DecodeBuf<'_>) -> Result<Option<U>, Status> {
        // prost's decode error is the client's malformed message, not a server fault:
        // tonic would answer INTERNAL for it.
        let item = self.inner.decode(buf).map_err(|e| {
            if U::CHECKED {
                Status::invalid_argument(e.message().to_string())
            } else {
                e
            }
        })?;
        if U::CHECKED {
            if let Some(message) = &item {
                check(message)?;
            }
        }
        Ok(item)
    }

    fn buffer_settings(&self) -> tonic::codec::BufferSettings {
        self.inner.buffer_settings()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: Rule = Rule::identifier(64);
    const LINE: Rule = Rule::line(64);
    const TEXT: Rule = Rule::text(64);

    #[test]
    fn each_kind_refuses_what_it_should_and_keeps_the_rest() {
        for rule in [ID, LINE, TEXT] {
            assert!(rule.check("plain").is_ok());
            assert!(rule.check("a\0b").is_err(), "NUL");
            assert!(rule.check("abc\u{202E}fed").is_err(), "bidi override");
            assert!(rule.check("\u{2067}x").is_err(), "bidi isolate");
            assert!(rule.check(&"x".repeat(65)).is_err(), "length");
            assert!(rule.check(&"é".repeat(64)).is_ok(), "counted in characters");
        }
        assert!(TEXT.check("line one\nline two\ttabbed").is_ok());
        assert!(LINE.check("line one\nline two").is_err());
        assert!(LINE.check("Nordlicht Telecom – 北区").is_ok());
        assert!(ID.check("customers/acme").is_ok());
        assert!(ID.check("customers/ac\u{200B}me").is_err(), "zero width");
        assert!(ID.check("v1.0\u{200F}").is_err(), "RLM");
        assert!(ID.check(" v1.0").is_err(), "leading space");
        assert!(ID.check("cto\n").is_err());
        assert!(
            LINE.check("ok\u{200D}👍").is_ok(),
            "joiners are fine in display text"
        );
    }
}
