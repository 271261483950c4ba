//! The inspector: a standard compiled once, then applied to conversations.
//!
//! Pure and deterministic: no clock, no store. Every verdict carries its evidence (the
//! turn, the phrase, the delay) and a confidence. [`Inspector`] is the seam for a
//! model-backed inspector; [`RuleInspector`] is the rule-based one.

pub mod lexicon;
pub mod live;
pub mod meaning;
mod rules;
pub mod text;

use super::pb;
use std::sync::Arc;
use symbolon_platform::time;
use text::{Found, PhraseSet, normalise};

/// One indicator, ready to check.
#[derive(Debug, Clone)]
pub struct CompiledIndicator {
    /// As written in the standard.
    pub spec: pb::Indicator,
    pub(crate) kind: pb::IndicatorKind,
    /// Microseconds, for the time kinds.
    pub(crate) threshold: Option<i64>,
    pub(crate) phrases: Vec<u32>,
    pub(crate) triggers: Vec<u32>,
    pub(crate) speaker: pb::Speaker,
    pub(crate) position: pb::Position,
    pub(crate) window: usize,
    pub(crate) max_count: usize,
    /// What it looks for beyond its phrases (see [`meaning`]).
    pub(crate) meaning: pb::Meaning,
    pub(crate) trigger_meaning: pb::Meaning,
}

/// A standard version compiled for inspection.
#[derive(Debug, Clone)]
pub struct CompiledStandard {
    /// `standards/{s}/versions/{v}`.
    pub version_name: String,
    /// The touchpoint type.
    pub touchpoint_type: i32,
    /// Score below which a report is reviewed.
    pub review_threshold: f64,
    /// Confidence below which a report is reviewed.
    pub min_confidence: f64,
    /// The indicators, in the standard's order.
    pub indicators: Vec<CompiledIndicator>,
    pub(crate) phrases: PhraseSet,
    /// Some indicator has a meaning: turns are also matched against the cue lexicon.
    pub(crate) uses_meaning: bool,
}

impl CompiledStandard {
    /// Compiles a (valid) standard; `version_name` is what reports will cite.
    pub fn compile(standard: &pb::Standard, version_name: &str) -> Self {
        let mut phrases = PhraseSet::default();
        let indicators = standard
            .indicators
            .iter()
            .map(|i| {
                let mut ids = |list: &[String]| {
                    let mut out: Vec<u32> = list.iter().filter_map(|p| phrases.add(p)).collect();
                    out.sort_unstable();
                    out.dedup();
                    out
                };
                let phrase_ids = ids(&i.phrases);
                let trigger_ids = ids(&i.trigger_phrases);
                CompiledIndicator {
                    kind: pb::IndicatorKind::try_from(i.kind)
                        .unwrap_or(pb::IndicatorKind::Unspecified),
                    threshold: i.threshold.as_ref().map(duration_micros),
                    phrases: phrase_ids,
                    triggers: trigger_ids,
                    speaker: match pb::Speaker::try_from(i.speaker) {
                        Ok(pb::Speaker::Unspecified) | Err(_) => pb::Speaker::Agent,
                        Ok(s) => s,
                    },
                    position: pb::Position::try_from(i.position).unwrap_or(pb::Position::Anywhere),
                    window: if i.window_turns > 0 {
                        i.window_turns as usize
                    } else {
                        2
                    },
                    max_count: i.max_count.max(0) as usize,
                    meaning: pb::Meaning::try_from(i.meaning).unwrap_or_default(),
                    trigger_meaning: pb::Meaning::try_from(i.trigger_meaning).unwrap_or_default(),
                    spec: i.clone(),
                }
            })
            .collect::<Vec<CompiledIndicator>>();
        let uses_meaning = indicators.iter().any(|i| {
            i.meaning != pb::Meaning::Unspecified || i.trigger_meaning != pb::Meaning::Unspecified
        });
        Self {
            uses_meaning,
            version_name: version_name.to_string(),
            touchpoint_type: standard.touchpoint_type,
            review_threshold: standard.review_threshold,
            min_confidence: standard.min_confidence,
            indicators,
            phrases,
        }
    }

    /// The reply limit live hints use: the first response limit before the first
    /// reply, the every-reply limit after it (microseconds).
    pub(crate) fn reply_limit(&self, first: bool) -> Option<i64> {
        let kind = if first {
            pb::IndicatorKind::FirstResponseTime
        } else {
            pb::IndicatorKind::ReplyTime
        };
        self.indicators
            .iter()
            .filter(|i| i.kind == kind)
            .filter_map(|i| i.threshold)
            .min()
            .or_else(|| if first { self.reply_limit(false) } else { None })
    }
}

/// Microseconds of a protobuf duration (saturating; negative durations are refused at
/// validation).
pub fn duration_micros(d: &prost_types::Duration) -> i64 {
    d.seconds
        .saturating_mul(1_000_000)
        .saturating_add(i64::from(d.nanos) / 1000)
}

/// A protobuf duration of `micros`.
pub fn micros_duration(micros: i64) -> prost_types::Duration {
    prost_types::Duration {
        seconds: micros.div_euclid(1_000_000),
        nanos: (micros.rem_euclid(1_000_000) * 1000) as i32,
    }
}

/// A turn ready for the rules: normalised once, phrases found once.
#[derive(Debug, Clone)]
pub struct TurnView {
    /// Who spoke.
    pub speaker: pb::Speaker,
    /// Microseconds.
    pub at: i64,
    /// Normalised text.
    pub norm: String,
    /// Characters in the original text.
    pub chars: usize,
    /// Phrases of the standard found in it.
    pub found: Vec<Found>,
    /// [`text::loose_hash`] of the text: equal for replies that differ only in
    /// punctuation and spacing; 0 for a text without letters or digits.
    pub key: u64,
    /// Cues of the meaning lexicon (only when the standard uses meanings).
    pub cues: Vec<meaning::Hit>,
}

impl TurnView {
    /// Prepares a (valid) turn for `standard`.
    pub fn new(standard: &CompiledStandard, turn: &pb::Turn) -> Self {
        let norm = normalise(&turn.text);
        let found = standard.phrases.find(&norm);
        let key = text::loose_hash(&norm);
        let cues = if standard.uses_meaning {
            meaning::cues_of(&turn.text, &norm)
        } else {
            Vec::new()
        };
        Self {
            key,
            cues,
            speaker: pb::Speaker::try_from(turn.speaker).unwrap_or(pb::Speaker::System),
            at: turn
                .send_time
                .as_ref()
                .and_then(|t| time::from_timestamp(t).ok())
                .unwrap_or_default(),
            chars: turn.text.chars().count(),
            norm,
            found,
        }
    }

    /// The first of `ids` found in this turn, negated ones ("not sorry") left out.
    pub(crate) fn first_of(&self, ids: &[u32]) -> Option<u32> {
        self.found
            .iter()
            .find(|f| !f.negated && ids.binary_search(&f.id).is_ok())
            .map(|f| f.id)
    }
}

/// What an inspector says about one conversation.
#[derive(Debug, Clone, PartialEq)]
pub struct Inspection {
    /// One result per indicator, in the standard's order.
    pub results: Vec<pb::IndicatorResult>,
    /// Score, auto-fail, confidence and review routing.
    pub totals: Totals,
}

/// Decides verdicts on conversations. The rule-based [`RuleInspector`] is the default;
/// a model-backed inspector can implement this too.
pub trait Inspector: Send + Sync {
    /// Inspects the prepared turns of a conversation against `standard`.
    fn inspect(
        &self,
        standard: &CompiledStandard,
        conversation: &pb::Conversation,
        turns: &[TurnView],
    ) -> Vec<pb::IndicatorResult>;
}

/// The deterministic, explainable, rule-based inspector.
#[derive(Debug, Clone, Copy, Default)]
pub struct RuleInspector;

impl Inspector for RuleInspector {
    fn inspect(
        &self,
        standard: &CompiledStandard,
        conversation: &pb::Conversation,
        turns: &[TurnView],
    ) -> Vec<pb::IndicatorResult> {
        let name = normalise(&conversation.customer_display_name);
        standard
            .indicators
            .iter()
            .map(|i| rules::check(standard, i, turns, &name))
            .collect()
    }
}

/// Inspects `conversation` with `inspector` and totals the result.
pub fn inspect(
    inspector: &dyn Inspector,
    standard: &CompiledStandard,
    conversation: &pb::Conversation,
) -> Inspection {
    let turns: Vec<TurnView> = conversation
        .turns
        .iter()
        .map(|t| TurnView::new(standard, t))
        .collect();
    let mut results = inspector.inspect(standard, conversation, &turns);
    let totals = score(
        &mut results,
        standard.review_threshold,
        standard.min_confidence,
    );
    Inspection { results, totals }
}

/// A shared inspector.
pub type SharedInspector = Arc<dyn Inspector>;

/// A report's figures, derived from its results.
#[derive(Debug, Clone, PartialEq)]
pub struct Totals {
    /// 0-100, 0 when auto-failed.
    pub score: f64,
    /// Before auto-fail.
    pub raw_score: f64,
    /// An auto-fail indicator failed.
    pub auto_failed: bool,
    /// Not auto-failed and at least the review threshold.
    pub passed: bool,
    /// Weighted mean confidence of the applicable verdicts (1 for human verdicts).
    pub confidence: f64,
    /// Why the report needs human review (empty: it does not).
    pub reasons: Vec<pb::ReviewReason>,
    /// Results given by a human.
    pub human: i32,
}

/// Scores `results` (setting each one's points). N/A results add neither to the score
/// nor to its maximum; bonus results add their weight when passed, never to the
/// maximum; a failed auto-fail result zeroes the score.
pub fn score(results: &mut [pb::IndicatorResult], review_threshold: f64, min_conf: f64) -> Totals {
    let applicable = |r: &pb::IndicatorResult| {
        matches!(
            pb::Verdict::try_from(r.verdict),
            Ok(pb::Verdict::Pass | pb::Verdict::Fail)
        )
    };
    let is = |r: &pb::IndicatorResult, e: pb::Effect| r.effect == e as i32;
    // Weights are 0..100 and confidences 0..1 at the API; a NaN, infinite or negative
    // one counts as 0 here, so no NaN reaches a score (NaN compares false: it would
    // pass every review threshold).
    let weight = |r: &pb::IndicatorResult| {
        if r.weight.is_finite() {
            r.weight.max(0.0)
        } else {
            0.0
        }
    };
    let max: f64 = results
        .iter()
        .filter(|r| applicable(r) && !is(r, pb::Effect::Bonus))
        .map(weight)
        .sum();
    let mut earned = 0.0;
    let mut bonus = 0.0;
    let mut auto_failed = false;
    let (mut conf_sum, mut conf_weight) = (0.0, 0.0);
    let mut human: i32 = 0;
    let mut unsure = false;
    for r in results.iter_mut() {
        unsure |= r.low_confidence && r.source != pb::VerdictSource::Human as i32;
        r.points = 0.0;
        if r.source == pb::VerdictSource::Human as i32 {
            human = human.saturating_add(1);
        }
        if !applicable(r) {
            continue;
        }
        let pass = r.verdict == pb::Verdict::Pass as i32;
        let c = if r.source == pb::VerdictSource::Human as i32 {
            1.0
        } else if r.confidence.is_nan() {
            0.0
        } else {
            r.confidence.clamp(0.0, 1.0)
        };
        let w = weight(r);
        conf_sum += c * w;
        conf_weight += w;
        if is(r, pb::Effect::Bonus) {
            if pass {
                r.points = w;
                bonus += w;
            }
            continue;
        }
        if pass {
            r.points = if max > 0.0 { w / max * 100.0 } else { 0.0 };
            earned += r.points;
        } else if is(r, pb::Effect::AutoFail) {
            auto_failed = true;
        }
    }
    let base = if max > 0.0 { earned } else { 100.0 };
    let raw_score = round2((base + bonus).min(100.0));
    let score = if auto_failed { 0.0 } else { raw_score };
    let confidence = if conf_weight > 0.0 {
        round4(conf_sum / conf_weight)
    } else {
        1.0
    };
    let mut reasons = Vec::new();
    if auto_failed {
        reasons.push(pb::ReviewReason::AutoFail);
    }
    if score < review_threshold {
        reasons.push(pb::ReviewReason::LowScore);
    }
    if confidence < min_conf || unsure {
        reasons.push(pb::ReviewReason::LowConfidence);
    }
    Totals {
        score,
        raw_score,
        auto_failed,
        passed: !auto_failed && score >= review_threshold,
        confidence,
        reasons,
        human,
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn round4(x: f64) -> f64 {
    (x * 10_000.0).round() / 10_000.0
}

#[cfg(test)]
mod tests;
