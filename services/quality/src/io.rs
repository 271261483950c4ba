//! Standards as JSON, for the `symbolon` command (load a file, print the default):
//!
//! ```json
//! {"display_name": "...", "touchpoint_type": "SUPPORT_CHAT", "review_threshold": 80,
//!  "min_confidence": 0.8, "indicators": [{"id": "greeting", "description": "...",
//!  "dimension": "SERVICE_QUALITY", "kind": "PHRASE_REQUIRED", "effect": "SCORED",
//!  "weight": 5, "phrases": ["您好", "hello"], "position": "OPENING",
//!  "window_turns": 1, "threshold_seconds": 30}]}
//! ```
//!
//! Enum values are written without their prefix and read with or without it.

use super::{pb, validate};
use serde_json::{Map, Value, json};
use symbolon_platform::Violations;

/// A standard file that cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// Not JSON.
    #[error("not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// JSON of the wrong shape.
    #[error("{field}: {reason}")]
    Shape {
        /// The JSON path.
        field: String,
        /// What is wrong.
        reason: String,
    },
    /// A well-formed standard that breaks the rules.
    #[error("invalid standard: {0}")]
    Invalid(String),
}

fn shape(field: &str, reason: &str) -> LoadError {
    LoadError::Shape {
        field: field.into(),
        reason: reason.into(),
    }
}

fn enum_name(full: &str, prefix: &str) -> String {
    full.strip_prefix(prefix).unwrap_or(full).to_string()
}

fn read_enum<E: Into<i32>>(
    o: &Map<String, Value>,
    key: &str,
    path: &str,
    prefix: &str,
    parse: impl Fn(&str) -> Option<E>,
) -> Result<i32, LoadError> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(0),
        Some(Value::String(s)) => {
            let full = if s.starts_with(prefix) {
                s.clone()
            } else {
                format!("{prefix}{s}")
            };
            parse(&full)
                .map(Into::into)
                .ok_or_else(|| shape(&format!("{path}.{key}"), "unknown value"))
        }
        Some(_) => Err(shape(&format!("{path}.{key}"), "must be a string")),
    }
}

fn read_str(o: &Map<String, Value>, key: &str, path: &str) -> Result<String, LoadError> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.clone()),
        Some(_) => Err(shape(&format!("{path}.{key}"), "must be a string")),
    }
}

fn read_f64(o: &Map<String, Value>, key: &str, path: &str) -> Result<f64, LoadError> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(0.0),
        Some(v) => v
            .as_f64()
            .ok_or_else(|| shape(&format!("{path}.{key}"), "must be a number")),
    }
}

fn read_i32(o: &Map<String, Value>, key: &str, path: &str) -> Result<i32, LoadError> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(0),
        Some(v) => v
            .as_i64()
            .and_then(|x| i32::try_from(x).ok())
            .ok_or_else(|| shape(&format!("{path}.{key}"), "must be an integer")),
    }
}

fn read_list(o: &Map<String, Value>, key: &str, path: &str) -> Result<Vec<String>, LoadError> {
    match o.get(key) {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(a)) => a
            .iter()
            .map(|x| {
                x.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| shape(&format!("{path}.{key}"), "must be strings"))
            })
            .collect(),
        Some(_) => Err(shape(&format!("{path}.{key}"), "must be a list of strings")),
    }
}

/// Reads a standard from JSON and checks it as `CreateStandard` would.
pub fn standard_from_json(text: &str) -> Result<pb::Standard, LoadError> {
    let root: Value = serde_json::from_str(text)?;
    let o = root
        .as_object()
        .ok_or_else(|| shape("$", "must be an object"))?;
    let mut s = pb::Standard {
        display_name: read_str(o, "display_name", "$")?,
        description: read_str(o, "description", "$")?,
        touchpoint_type: read_enum(
            o,
            "touchpoint_type",
            "$",
            "TOUCHPOINT_TYPE_",
            pb::TouchpointType::from_str_name,
        )?,
        review_threshold: read_f64(o, "review_threshold", "$")?,
        min_confidence: read_f64(o, "min_confidence", "$")?,
        ..Default::default()
    };
    let list = match o.get("indicators") {
        Some(Value::Array(a)) => a.as_slice(),
        _ => return Err(shape("$.indicators", "must be a list")),
    };
    for (n, i) in list.iter().enumerate() {
        let p = format!("$.indicators[{n}]");
        let io = i
            .as_object()
            .ok_or_else(|| shape(&p, "must be an object"))?;
        let threshold = match io.get("threshold_seconds") {
            None | Some(Value::Null) => None,
            Some(v) => {
                let secs = v
                    .as_f64()
                    .filter(|x| x.is_finite() && *x >= 0.0)
                    .ok_or_else(|| {
                        shape(
                            &format!("{p}.threshold_seconds"),
                            "must be a non-negative number",
                        )
                    })?;
                Some(super::inspect::micros_duration((secs * 1_000_000.0) as i64))
            }
        };
        s.indicators.push(pb::Indicator {
            id: read_str(io, "id", &p)?,
            description: read_str(io, "description", &p)?,
            dimension: read_enum(
                io,
                "dimension",
                &p,
                "DIMENSION_",
                pb::Dimension::from_str_name,
            )?,
            kind: read_enum(
                io,
                "kind",
                &p,
                "INDICATOR_KIND_",
                pb::IndicatorKind::from_str_name,
            )?,
            effect: read_enum(io, "effect", &p, "EFFECT_", pb::Effect::from_str_name)?,
            weight: read_f64(io, "weight", &p)?,
            threshold,
            phrases: read_list(io, "phrases", &p)?,
            trigger_phrases: read_list(io, "trigger_phrases", &p)?,
            speaker: read_enum(io, "speaker", &p, "SPEAKER_", pb::Speaker::from_str_name)?,
            position: read_enum(io, "position", &p, "POSITION_", pb::Position::from_str_name)?,
            window_turns: read_i32(io, "window_turns", &p)?,
            max_count: read_i32(io, "max_count", &p)?,
            meaning: read_enum(io, "meaning", &p, "MEANING_", pb::Meaning::from_str_name)?,
            trigger_meaning: read_enum(
                io,
                "trigger_meaning",
                &p,
                "MEANING_",
                pb::Meaning::from_str_name,
            )?,
        });
    }
    let mut v = Violations::new();
    validate::standard(&s, "standard", &mut v);
    if !v.is_empty() {
        let fields: Vec<&str> = v.fields().collect();
        return Err(LoadError::Invalid(fields.join(", ")));
    }
    Ok(s)
}

/// Writes a standard as JSON (the format [`standard_from_json`] reads).
pub fn standard_to_json(s: &pb::Standard) -> String {
    let e = |v: Option<&str>, prefix: &str| v.map(|n| enum_name(n, prefix));
    let indicators: Vec<Value> = s
        .indicators
        .iter()
        .map(|i| {
            let mut o = json!({
                "id": i.id,
                "description": i.description,
                "dimension": e(pb::Dimension::try_from(i.dimension).ok().map(|x| x.as_str_name()), "DIMENSION_"),
                "kind": e(pb::IndicatorKind::try_from(i.kind).ok().map(|x| x.as_str_name()), "INDICATOR_KIND_"),
                "effect": e(pb::Effect::try_from(i.effect).ok().map(|x| x.as_str_name()), "EFFECT_"),
                "weight": i.weight,
            });
            if let Some(m) = o.as_object_mut() {
                if let Some(t) = &i.threshold {
                    m.insert(
                        "threshold_seconds".into(),
                        json!(super::inspect::duration_micros(t) as f64 / 1_000_000.0),
                    );
                }
                if !i.phrases.is_empty() {
                    m.insert("phrases".into(), json!(i.phrases));
                }
                if !i.trigger_phrases.is_empty() {
                    m.insert("trigger_phrases".into(), json!(i.trigger_phrases));
                }
                if i.speaker != 0 {
                    m.insert("speaker".into(), json!(e(pb::Speaker::try_from(i.speaker).ok().map(|x| x.as_str_name()), "SPEAKER_")));
                }
                if i.position != 0 {
                    m.insert("position".into(), json!(e(pb::Position::try_from(i.position).ok().map(|x| x.as_str_name()), "POSITION_")));
                }
                if i.window_turns != 0 {
                    m.insert("window_turns".into(), json!(i.window_turns));
                }
                if i.max_count != 0 {
                    m.insert("max_count".into(), json!(i.max_count));
                }
                if i.meaning != 0 {
                    m.insert("meaning".into(), json!(e(pb::Meaning::try_from(i.meaning).ok().map(|x| x.as_str_name()), "MEANING_")));
                }
                if i.trigger_meaning != 0 {
                    m.insert("trigger_meaning".into(), json!(e(pb::Meaning::try_from(i.trigger_meaning).ok().map(|x| x.as_str_name()), "MEANING_")));
                }
            }
            o
        })
        .collect();
    let root = json!({
        "display_name": s.display_name,
        "description": s.description,
        "touchpoint_type": e(pb::TouchpointType::try_from(s.touchpoint_type).ok().map(|x| x.as_str_name()), "TOUCHPOINT_TYPE_"),
        "review_threshold": s.review_threshold,
        "min_confidence": s.min_confidence,
        "indicators": indicators,
    });
    serde_json::to_string_pretty(&root).unwrap_or_default()
}

/// The start of every labelled conversation's clock (its turns' `at` are seconds from it).
const LABELLED_EPOCH: i64 = 1_767_225_600;

/// Reads labelled conversations, one JSON object a line (the corpus format: `id`,
/// `language`, `wording`, `split`, `conversation` with `turns` of `speaker`, `text` and
/// `at` seconds, and `labels` of indicator id to `pass` / `fail` / `not_applicable`).
/// With `split`, keeps only the lines of that split. Blank lines are skipped; an error
/// names its line.
pub fn labelled_from_jsonl(
    text: &str,
    split: Option<&str>,
) -> Result<Vec<pb::LabelledConversation>, LoadError> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let p = format!("line {}", n + 1);
        let v: Value = serde_json::from_str(line)?;
        let o = v
            .as_object()
            .ok_or_else(|| shape(&p, "must be an object"))?;
        if let Some(want) = split
            && read_str(o, "split", &p)? != want
        {
            continue;
        }
        let c = o
            .get("conversation")
            .and_then(Value::as_object)
            .ok_or_else(|| shape(&format!("{p}.conversation"), "must be an object"))?;
        let cp = format!("{p}.conversation");
        let mut conversation = pb::Conversation {
            conversation_id: read_str(c, "conversation_id", &cp)?,
            customer: read_str(c, "customer", &cp)?,
            agent: read_str(c, "agent", &cp)?,
            team: read_str(c, "team", &cp)?,
            customer_display_name: read_str(c, "customer_display_name", &cp)?,
            turns: Vec::new(),
        };
        if conversation.conversation_id.is_empty() {
            conversation.conversation_id = read_str(o, "id", &p)?;
        }
        let turns = match c.get("turns") {
            Some(Value::Array(a)) => a.as_slice(),
            _ => return Err(shape(&format!("{cp}.turns"), "must be a list")),
        };
        for (k, t) in turns.iter().enumerate() {
            let tp = format!("{cp}.turns[{k}]");
            let to = t
                .as_object()
                .ok_or_else(|| shape(&tp, "must be an object"))?;
            let speaker = read_enum(to, "speaker", &tp, "SPEAKER_", |x| {
                pb::Speaker::from_str_name(&x.to_ascii_uppercase())
            })?;
            let at = read_f64(to, "at", &tp)?;
            conversation.turns.push(pb::Turn {
                speaker,
                text: read_str(to, "text", &tp)?,
                send_time: Some(prost_types::Timestamp {
                    seconds: LABELLED_EPOCH + at.floor() as i64,
                    nanos: ((at - at.floor()) * 1e9) as i32,
                }),
            });
        }
        let mut labels = Vec::new();
        if let Some(l) = o.get("labels") {
            let lo = l
                .as_object()
                .ok_or_else(|| shape(&format!("{p}.labels"), "must be an object"))?;
            for (id, verdict) in lo {
                let verdict = match verdict.as_str().map(str::to_ascii_uppercase).as_deref() {
                    Some("PASS") => pb::Verdict::Pass,
                    Some("FAIL") => pb::Verdict::Fail,
                    Some("NOT_APPLICABLE" | "NA" | "N/A") => pb::Verdict::NotApplicable,
                    _ => {
                        return Err(shape(
                            &format!("{p}.labels.{id}"),
                            "must be pass, fail or not_applicable",
                        ));
                    }
                };
                labels.push(pb::Label {
                    indicator_id: id.clone(),
                    verdict: verdict as i32,
                });
            }
        }
        out.push(pb::LabelledConversation {
            conversation: Some(conversation),
            language: read_str(o, "language", &p)?,
            group: read_str(o, "wording", &p)?,
            labels,
        });
    }
    Ok(out)
}

/// Creates `standard` as `standards/{id}` through the API (what `symbolon quality
/// load` does with a file, or with [`super::default_standard`]). `token` is a bearer
/// token of a vendor `admin` or `department:quality`; `request_id` (a UUID, may be empty)
/// makes a retry safe.
pub async fn upload_standard(
    client: &mut pb::quality_service_client::QualityServiceClient<tonic::transport::Channel>,
    token: &str,
    id: &str,
    standard: pb::Standard,
    request_id: &str,
) -> Result<pb::Standard, tonic::Status> {
    let mut req = tonic::Request::new(pb::CreateStandardRequest {
        standard: Some(standard),
        standard_id: id.to_string(),
        request_id: request_id.to_string(),
    });
    let header = format!("Bearer {token}")
        .parse()
        .map_err(|_| tonic::Status::invalid_argument("the token is not a valid header value"))?;
    req.metadata_mut().insert("authorization", header);
    Ok(client.create_standard(req).await?.into_inner())
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn the_default_standard_round_trips_through_json() {
        let d = super::super::default_standard();
        let text = standard_to_json(&d);
        let back = standard_from_json(&text).unwrap();
        assert_eq!(back, d);
    }

    #[test]
    fn bad_files_say_what_is_wrong() {
        assert!(matches!(
            standard_from_json("nope"),
            Err(LoadError::Json(_))
        ));
        assert!(matches!(
            standard_from_json(r#"{"indicators": [{"kind": "NOPE"}]}"#),
            Err(LoadError::Shape { .. })
        ));
        let e = standard_from_json(
            r#"{"display_name": "x", "touchpoint_type": "COMPLAINT", "indicators": [{"id": "a", "kind": "REPLY_TIME", "description": "d", "dimension": "RESPONSE_SPEED", "effect": "SCORED", "weight": 1}]}"#,
        );
        match e {
            Err(LoadError::Invalid(f)) => {
                assert!(f.contains("standard.indicators[0].threshold"), "{f}")
            }
            other => panic!("{other:?}"),
        }
    }
}
