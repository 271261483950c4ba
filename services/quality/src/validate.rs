//! What makes input valid. Each check records every problem as a field violation, so a
//! client learns everything wrong with a request at once.

use super::pb;
use std::collections::HashSet;
use symbolon_platform::{Violations, names, time};

/// Most indicators a standard may have.
pub const MAX_INDICATORS: usize = 1000;
/// Most phrases per list.
pub const MAX_PHRASES: usize = 500;
/// Most turns per conversation.
pub const MAX_TURNS: usize = 2000;
/// Longest turn text, in characters.
pub const MAX_TURN_CHARS: usize = 10_000;

fn text(v: &mut Violations, field: &str, value: &str, required: bool, max: usize) {
    symbolon_platform::aip::text(v, field, value, required, max);
}

fn known<T: TryFrom<i32>>(value: i32) -> bool {
    value != 0 && T::try_from(value).is_ok()
}

/// Checks a standard's content (`p` is the field prefix, e.g. `standard`).
pub fn standard(s: &pb::Standard, p: &str, v: &mut Violations) {
    text(v, &format!("{p}.display_name"), &s.display_name, true, 200);
    text(v, &format!("{p}.description"), &s.description, false, 4000);
    if !known::<pb::TouchpointType>(s.touchpoint_type) {
        v.add(
            format!("{p}.touchpoint_type"),
            "is required and must be a known type",
        );
    }
    if !(0.0..=100.0).contains(&s.review_threshold) || s.review_threshold.is_nan() {
        v.add(format!("{p}.review_threshold"), "must be between 0 and 100");
    }
    if !(0.0..=1.0).contains(&s.min_confidence) || s.min_confidence.is_nan() {
        v.add(format!("{p}.min_confidence"), "must be between 0 and 1");
    }
    indicators(&s.indicators, &format!("{p}.indicators"), v);
}

/// Checks a list of indicators.
pub fn indicators(list: &[pb::Indicator], p: &str, v: &mut Violations) {
    if list.is_empty() {
        v.add(p, "at least one indicator is required");
    } else if list.len() > MAX_INDICATORS {
        v.add(p, format!("at most {MAX_INDICATORS}"));
    }
    let mut ids = HashSet::new();
    for (n, i) in list.iter().enumerate().take(MAX_INDICATORS) {
        let f = |x: &str| format!("{p}[{n}].{x}");
        if names::check_id(&i.id).is_err() {
            v.add(f("id"), "1-63 lowercase letters, digits or '-'");
        } else if !ids.insert(i.id.as_str()) {
            v.add(f("id"), format!("{:?} is used twice", i.id));
        }
        text(v, &f("description"), &i.description, true, 1000);
        if !known::<pb::Dimension>(i.dimension) {
            v.add(f("dimension"), "is required and must be a known dimension");
        }
        if !known::<pb::Effect>(i.effect) {
            v.add(f("effect"), "is required and must be a known effect");
        }
        if !(i.weight > 0.0 && i.weight <= 100.0) {
            v.add(f("weight"), "must be greater than 0 and at most 100");
        }
        if pb::Speaker::try_from(i.speaker).is_err() {
            v.add(f("speaker"), "must be a known speaker");
        }
        if pb::Position::try_from(i.position).is_err() {
            v.add(f("position"), "must be a known position");
        }
        if i.window_turns < 0 || i.window_turns > 100 {
            v.add(f("window_turns"), "must be between 0 and 100");
        }
        if i.max_count < 0 {
            v.add(f("max_count"), "must not be negative");
        }
        for (name, l) in [
            ("phrases", &i.phrases),
            ("trigger_phrases", &i.trigger_phrases),
        ] {
            if l.len() > MAX_PHRASES {
                v.add(f(name), format!("at most {MAX_PHRASES}"));
            }
            for (k, ph) in l.iter().enumerate() {
                if ph.trim().is_empty() || ph.chars().count() > 200 {
                    v.add(format!("{p}[{n}].{name}[{k}]"), "must be 1-200 characters");
                }
            }
        }
        let threshold_ok = i.threshold.as_ref().map(|d| {
            d.seconds >= 0 && (0..1_000_000_000).contains(&d.nanos) && d.seconds <= 86_400 * 30
        });
        if threshold_ok == Some(false) {
            v.add(f("threshold"), "must be between 0 and 30 days");
        }
        use pb::IndicatorKind as K;
        match K::try_from(i.kind) {
            Ok(K::Unspecified) | Err(_) => v.add(f("kind"), "is required and must be a known kind"),
            Ok(K::FirstResponseTime | K::ReplyTime | K::MaxDuration) => {
                if threshold_ok.is_none() {
                    v.add(f("threshold"), "is required for this kind");
                }
            }
            Ok(K::PhraseRequired | K::PhraseForbidden) => {
                if i.phrases.is_empty() {
                    v.add(
                        f("phrases"),
                        "at least one phrase is required for this kind",
                    );
                }
            }
            Ok(K::TriggeredResponse) => {
                if i.trigger_phrases.is_empty() {
                    v.add(
                        f("trigger_phrases"),
                        "at least one is required for this kind",
                    );
                }
            }
            Ok(K::MaxReplyLength | K::MaxAgentTurns) => {
                if i.max_count <= 0 {
                    v.add(f("max_count"), "must be positive for this kind");
                }
            }
            Ok(K::CustomerNameUsed | K::NoRepeatedReply | K::NoCustomerRepeat) => {}
        }
    }
}

/// Checks a conversation; `live` allows it to have no turns yet.
pub fn conversation(c: &pb::Conversation, p: &str, live: bool, v: &mut Violations) {
    text(
        v,
        &format!("{p}.conversation_id"),
        &c.conversation_id,
        true,
        200,
    );
    text(v, &format!("{p}.agent"), &c.agent, true, 200);
    text(v, &format!("{p}.team"), &c.team, false, 200);
    text(
        v,
        &format!("{p}.customer_display_name"),
        &c.customer_display_name,
        false,
        200,
    );
    if !c.customer.is_empty()
        && let Err(e) = names::parse(&c.customer, &["customers"])
    {
        v.add(format!("{p}.customer"), e.to_string());
    }
    if c.turns.is_empty() && !live {
        v.add(format!("{p}.turns"), "at least one turn is required");
    }
    if c.turns.len() > MAX_TURNS {
        v.add(format!("{p}.turns"), format!("at most {MAX_TURNS}"));
        return;
    }
    let mut last = None;
    for (n, t) in c.turns.iter().enumerate() {
        last = self::turn(t, &format!("{p}.turns[{n}]"), last, v);
    }
}

/// Checks one turn; `after` is the previous turn's time. Returns this turn's time.
pub fn turn(t: &pb::Turn, p: &str, after: Option<i64>, v: &mut Violations) -> Option<i64> {
    if !known::<pb::Speaker>(t.speaker) {
        v.add(
            format!("{p}.speaker"),
            "is required and must be a known speaker",
        );
    }
    if t.text.chars().count() > MAX_TURN_CHARS {
        v.add(
            format!("{p}.text"),
            format!("must be at most {MAX_TURN_CHARS} characters"),
        );
    }
    match t.send_time.as_ref().map(time::from_timestamp) {
        None => {
            v.add(format!("{p}.send_time"), "is required");
            after
        }
        Some(Err(e)) => {
            v.add(format!("{p}.send_time"), e.to_string());
            after
        }
        Some(Ok(at)) => {
            if after.is_some_and(|a| at < a) {
                v.add(
                    format!("{p}.send_time"),
                    "must not be earlier than the previous turn",
                );
            }
            Some(at)
        }
    }
}

/// The `{placeholder}` names of a text, in order of first use.
pub fn placeholders(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else { break };
        let name = &after[..close];
        if !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            && !out.iter().any(|o| o == name)
        {
            out.push(name.to_string());
        }
        rest = &after[close + 1..];
    }
    out
}

/// Fills `{placeholder}`s from `values`; the missing ones are returned as the error.
pub fn render(
    text: &str,
    values: &std::collections::HashMap<String, String>,
) -> Result<String, Vec<String>> {
    let mut out = text.to_string();
    let mut missing = Vec::new();
    for name in placeholders(text) {
        match values.get(&name) {
            Some(val) => out = out.replace(&format!("{{{name}}}"), val),
            None => missing.push(name),
        }
    }
    if missing.is_empty() {
        Ok(out)
    } else {
        Err(missing)
    }
}

/// Checks a template.
pub fn template(t: &pb::Template, p: &str, v: &mut Violations) {
    if names::check_id(&t.scenario).is_err() {
        v.add(
            format!("{p}.scenario"),
            "is required: 1-63 lowercase letters, digits or '-'",
        );
    }
    text(v, &format!("{p}.display_name"), &t.display_name, false, 200);
    if t.variants.is_empty() || t.variants.len() > 20 {
        v.add(
            format!("{p}.variants"),
            "between 1 and 20 variants are required",
        );
    }
    let mut ids = HashSet::new();
    for (n, var) in t.variants.iter().enumerate().take(20) {
        if names::check_id(&var.id).is_err() {
            v.add(
                format!("{p}.variants[{n}].id"),
                "1-63 lowercase letters, digits or '-'",
            );
        } else if !ids.insert(var.id.as_str()) {
            v.add(format!("{p}.variants[{n}].id"), "is used twice");
        }
        text(v, &format!("{p}.variants[{n}].text"), &var.text, true, 4000);
        text(
            v,
            &format!("{p}.variants[{n}].empathy_phrase"),
            &var.empathy_phrase,
            false,
            500,
        );
    }
    if t.empathy_phrases.len() > 50 {
        v.add(format!("{p}.empathy_phrases"), "at most 50");
    }
    for (n, e) in t.empathy_phrases.iter().enumerate().take(50) {
        text(v, &format!("{p}.empathy_phrases[{n}]"), e, true, 500);
    }
}
