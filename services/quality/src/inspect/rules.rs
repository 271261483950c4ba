//! One check per indicator kind. Each returns the verdict with its evidence and the
//! inspector's confidence in it.

use super::meaning::{self, Finding, Judgement, LOW_CONFIDENCE, Listed};
use super::{CompiledIndicator, CompiledStandard, TurnView, micros_duration, pb};

/// Evidence lists are capped so a pathological conversation stays readable.
const MAX_EVIDENCE: usize = 10;

struct Outcome {
    verdict: pb::Verdict,
    confidence: f64,
    evidence: Vec<pb::Evidence>,
}

fn listed<'a>(std: &'a CompiledStandard, ids: &[u32], t: &TurnView) -> Vec<Listed<'a>> {
    meaning::listed(&std.phrases, ids, t)
}

/// Evidence of a meaning found (or nearly found) in turn `i`.
fn mev(i: usize, f: &Finding, note: String) -> pb::Evidence {
    pb::Evidence {
        turn_index: i as i32,
        phrase: f.cue.clone(),
        delay: None,
        note,
        quote: f.quote.clone(),
        cue: format!("{} ({}, confidence {:.2})", f.cue, f.why, f.confidence),
    }
}

fn meaning_name(m: pb::Meaning) -> &'static str {
    use pb::Meaning as M;
    match m {
        M::Upset => "upset",
        M::Empathy => "empathy",
        M::Apology => "apology",
        M::ProofDemand => "proof demand",
        M::Runaround => "runaround",
        M::Rudeness => "rudeness",
        M::Blame => "blame",
        M::FlatRefusal => "flat refusal",
        M::Greeting => "greeting",
        M::ResolutionCheck => "resolution check",
        M::Closing => "closing",
        M::Unspecified => "phrase",
    }
}

/// The least sure "not found" so far: its confidence and evidence.
#[derive(Default)]
struct Doubt(Option<(f64, pb::Evidence)>);

impl Doubt {
    fn note(&mut self, i: usize, j: &Judgement) {
        if let Judgement::No {
            confidence,
            near: Some(f),
        } = j
            && self.0.as_ref().is_none_or(|(c, _)| confidence < c)
        {
            self.0 = Some((
                *confidence,
                mev(i, f, format!("nearly: {} \"{}\"", f.why, f.cue)),
            ));
        }
    }
    fn confidence(&self, default: f64) -> f64 {
        self.0.as_ref().map_or(default, |(c, _)| c.min(default))
    }
    fn evidence(self) -> Option<pb::Evidence> {
        self.0.map(|(_, e)| e)
    }
}

fn na(note: impl Into<String>) -> Outcome {
    Outcome {
        verdict: pb::Verdict::NotApplicable,
        confidence: 1.0,
        evidence: vec![ev(-1, "", None, note)],
    }
}

fn verdict(pass: bool, pass_conf: f64, fail_conf: f64, evidence: Vec<pb::Evidence>) -> Outcome {
    Outcome {
        verdict: if pass {
            pb::Verdict::Pass
        } else {
            pb::Verdict::Fail
        },
        confidence: if pass { pass_conf } else { fail_conf },
        evidence,
    }
}

fn ev(turn: i64, phrase: &str, delay: Option<i64>, note: impl Into<String>) -> pb::Evidence {
    pb::Evidence {
        turn_index: turn as i32,
        phrase: phrase.to_string(),
        delay: delay.map(micros_duration),
        note: note.into(),
        ..Default::default()
    }
}

fn secs(micros: i64) -> String {
    let s = micros as f64 / 1_000_000.0;
    if (s - s.round()).abs() < 1e-9 {
        format!("{} s", s.round() as i64)
    } else {
        format!("{s:.1} s")
    }
}

fn speaker_name(s: pb::Speaker) -> &'static str {
    match s {
        pb::Speaker::Customer => "customer",
        pb::Speaker::Bot => "bot",
        pb::Speaker::System => "system",
        _ => "agent",
    }
}

/// Checks one indicator against the turns.
pub(super) fn check(
    std: &CompiledStandard,
    ind: &CompiledIndicator,
    turns: &[TurnView],
    customer_name: &str,
) -> pb::IndicatorResult {
    use pb::IndicatorKind as K;
    let o = match ind.kind {
        K::FirstResponseTime => first_response(ind, turns),
        K::ReplyTime => reply_time(ind, turns),
        K::PhraseRequired if ind.meaning != pb::Meaning::Unspecified => {
            meaning_required(std, ind, turns)
        }
        K::PhraseForbidden if ind.meaning != pb::Meaning::Unspecified => {
            meaning_forbidden(std, ind, turns)
        }
        K::PhraseRequired => phrase_required(std, ind, turns),
        K::PhraseForbidden => phrase_forbidden(std, ind, turns),
        K::TriggeredResponse => triggered(std, ind, turns),
        K::CustomerNameUsed => name_used(ind, turns, customer_name),
        K::MaxReplyLength => max_length(ind, turns),
        K::NoRepeatedReply => no_repeat(ind.speaker, 0, turns),
        K::NoCustomerRepeat => no_repeat(pb::Speaker::Customer, ind.max_count, turns),
        K::MaxDuration => max_duration(ind, turns),
        K::MaxAgentTurns => max_turns(ind, turns),
        K::Unspecified => na("unknown indicator kind"),
    };
    let s = &ind.spec;
    pb::IndicatorResult {
        indicator_id: s.id.clone(),
        description: s.description.clone(),
        dimension: s.dimension,
        effect: s.effect,
        weight: s.weight,
        verdict: o.verdict as i32,
        automatic_verdict: o.verdict as i32,
        source: pb::VerdictSource::Automatic as i32,
        confidence: o.confidence,
        evidence: o.evidence,
        points: 0.0,
        reviewer_note: String::new(),
        low_confidence: o.confidence < LOW_CONFIDENCE,
    }
}

/// Turns of `speaker` with their indices.
fn of(speaker: pb::Speaker, turns: &[TurnView]) -> impl Iterator<Item = (usize, &TurnView)> {
    turns
        .iter()
        .enumerate()
        .filter(move |(_, t)| t.speaker == speaker)
}

fn first_response(ind: &CompiledIndicator, turns: &[TurnView]) -> Outcome {
    let limit = ind.threshold.unwrap_or(i64::MAX);
    let Some((ci, c)) = of(pb::Speaker::Customer, turns).next() else {
        return na("the customer never spoke");
    };
    match turns[ci..]
        .iter()
        .enumerate()
        .find(|(_, t)| t.speaker == ind.speaker)
    {
        None => verdict(
            false,
            1.0,
            1.0,
            vec![ev(
                ci as i64,
                "",
                None,
                format!(
                    "the customer's first turn was never answered by the {}",
                    speaker_name(ind.speaker)
                ),
            )],
        ),
        Some((off, a)) => {
            let delay = a.at - c.at;
            let pass = delay <= limit;
            verdict(
                pass,
                1.0,
                1.0,
                vec![ev(
                    (ci + off) as i64,
                    "",
                    Some(delay),
                    format!("first reply after {} (limit {})", secs(delay), secs(limit)),
                )],
            )
        }
    }
}

fn reply_time(ind: &CompiledIndicator, turns: &[TurnView]) -> Outcome {
    let limit = ind.threshold.unwrap_or(i64::MAX);
    let mut waiting_since: Option<i64> = None;
    let mut replies = 0;
    let mut late = Vec::new();
    let mut worst: Option<(usize, i64)> = None;
    for (i, t) in turns.iter().enumerate() {
        if t.speaker == pb::Speaker::Customer {
            waiting_since.get_or_insert(t.at);
        } else if t.speaker == ind.speaker
            && let Some(since) = waiting_since.take()
        {
            replies += 1;
            let delay = t.at - since;
            if worst.is_none_or(|(_, w)| delay > w) {
                worst = Some((i, delay));
            }
            if delay > limit && late.len() < MAX_EVIDENCE {
                late.push(ev(
                    i as i64,
                    "",
                    Some(delay),
                    format!("reply after {} (limit {})", secs(delay), secs(limit)),
                ));
            }
        }
    }
    if replies == 0 {
        return na("no reply to a customer turn");
    }
    if late.is_empty() {
        let (i, d) = worst.unwrap_or((0, 0));
        verdict(
            true,
            1.0,
            1.0,
            vec![ev(
                i as i64,
                "",
                Some(d),
                format!(
                    "{replies} replies, slowest after {} (limit {})",
                    secs(d),
                    secs(limit)
                ),
            )],
        )
    } else {
        verdict(false, 1.0, 1.0, late)
    }
}

/// The window of `speaker`'s turns a required phrase is looked for in.
fn window<'a>(ind: &CompiledIndicator, turns: &'a [TurnView]) -> Vec<(usize, &'a TurnView)> {
    let all: Vec<_> = of(ind.speaker, turns).collect();
    match ind.position {
        pb::Position::Opening => all.into_iter().take(ind.window).collect(),
        pb::Position::Closing => {
            let skip = all.len().saturating_sub(ind.window);
            all.into_iter().skip(skip).collect()
        }
        _ => all,
    }
}

fn phrase_required(std: &CompiledStandard, ind: &CompiledIndicator, turns: &[TurnView]) -> Outcome {
    let w = window(ind, turns);
    if w.is_empty() {
        return na(format!("the {} never spoke", speaker_name(ind.speaker)));
    }
    for (i, t) in &w {
        if let Some(id) = t.first_of(&ind.phrases) {
            let p = std.phrases.original(id);
            return verdict(
                true,
                0.95,
                0.75,
                vec![ev(*i as i64, p, None, format!("\"{p}\" found"))],
            );
        }
    }
    let where_ = match ind.position {
        pb::Position::Opening => format!("first {} turn(s)", ind.window),
        pb::Position::Closing => format!("last {} turn(s)", ind.window),
        _ => "turns".to_string(),
    };
    verdict(
        false,
        0.95,
        0.75,
        vec![ev(
            w[0].0 as i64,
            "",
            None,
            format!(
                "none of the {} phrases in the {}'s {where_}",
                ind.phrases.len(),
                speaker_name(ind.speaker)
            ),
        )],
    )
}

fn meaning_required(
    std: &CompiledStandard,
    ind: &CompiledIndicator,
    turns: &[TurnView],
) -> Outcome {
    let w = window(ind, turns);
    if w.is_empty() {
        return na(format!("the {} never spoke", speaker_name(ind.speaker)));
    }
    let mut doubt = Doubt::default();
    for (i, t) in &w {
        let j = meaning::judge(ind.meaning, t, &listed(std, &ind.phrases, t));
        if let Judgement::Yes(f) = &j {
            return verdict(
                true,
                f.confidence,
                f.confidence,
                vec![mev(
                    *i,
                    f,
                    format!("{}: \"{}\"", meaning_name(ind.meaning), f.cue),
                )],
            );
        }
        doubt.note(*i, &j);
    }
    let where_ = match ind.position {
        pb::Position::Opening => format!("first {} turn(s)", ind.window),
        pb::Position::Closing => format!("last {} turn(s)", ind.window),
        _ => "turns".to_string(),
    };
    let conf = doubt.confidence(0.85);
    let mut evidence = vec![ev(
        w[0].0 as i64,
        "",
        None,
        format!(
            "no {} in the {}'s {where_}",
            meaning_name(ind.meaning),
            speaker_name(ind.speaker)
        ),
    )];
    evidence.extend(doubt.evidence());
    verdict(false, conf, conf, evidence)
}

fn meaning_forbidden(
    std: &CompiledStandard,
    ind: &CompiledIndicator,
    turns: &[TurnView],
) -> Outcome {
    let mut spoke = false;
    let mut hits = Vec::new();
    let mut conf: f64 = 1.0;
    let mut doubt = Doubt::default();
    for (i, t) in of(ind.speaker, turns) {
        spoke = true;
        let j = meaning::judge(ind.meaning, t, &listed(std, &ind.phrases, t));
        match &j {
            Judgement::Yes(f) => {
                conf = conf.min(f.confidence);
                if hits.len() < MAX_EVIDENCE {
                    hits.push(mev(
                        i,
                        f,
                        format!("{}: \"{}\"", meaning_name(ind.meaning), f.cue),
                    ));
                }
            }
            Judgement::No { .. } => doubt.note(i, &j),
        }
    }
    if !spoke {
        return na(format!("the {} never spoke", speaker_name(ind.speaker)));
    }
    if hits.is_empty() {
        let conf = doubt.confidence(0.9);
        let mut evidence = vec![ev(
            -1,
            "",
            None,
            format!("no {} found", meaning_name(ind.meaning)),
        )];
        evidence.extend(doubt.evidence());
        verdict(true, conf, conf, evidence)
    } else {
        verdict(false, conf, conf, hits)
    }
}

fn phrase_forbidden(
    std: &CompiledStandard,
    ind: &CompiledIndicator,
    turns: &[TurnView],
) -> Outcome {
    let mut spoke = false;
    let mut hits = Vec::new();
    for (i, t) in of(ind.speaker, turns) {
        spoke = true;
        for f in &t.found {
            if ind.phrases.binary_search(&f.id).is_ok() && hits.len() < MAX_EVIDENCE {
                let p = std.phrases.original(f.id);
                hits.push(ev(i as i64, p, None, format!("\"{p}\" used")));
            }
        }
    }
    if !spoke {
        return na(format!("the {} never spoke", speaker_name(ind.speaker)));
    }
    if hits.is_empty() {
        verdict(
            true,
            0.9,
            0.9,
            vec![ev(-1, "", None, "no forbidden phrase used")],
        )
    } else {
        verdict(false, 0.9, 0.9, hits)
    }
}

/// What triggered a TRIGGERED_RESPONSE in a customer turn: the phrase (or cue) and,
/// for a meaning, its finding.
fn trigger_of(
    std: &CompiledStandard,
    ind: &CompiledIndicator,
    c: &TurnView,
    doubt: &mut Doubt,
    ci: usize,
) -> Option<(String, Option<Finding>)> {
    if ind.trigger_meaning == pb::Meaning::Unspecified {
        return c
            .first_of(&ind.triggers)
            .map(|t| (std.phrases.original(t).to_string(), None));
    }
    let j = meaning::judge(ind.trigger_meaning, c, &listed(std, &ind.triggers, c));
    match j {
        Judgement::Yes(f) => Some((f.cue.clone(), Some(f))),
        no => {
            doubt.note(ci, &no);
            None
        }
    }
}

/// Whether agent turn `t` answers: the phrase (or cue) and, for a meaning, its finding.
fn answer_of(
    std: &CompiledStandard,
    ind: &CompiledIndicator,
    t: &TurnView,
) -> Option<(String, Option<Finding>)> {
    if ind.meaning == pb::Meaning::Unspecified {
        if ind.phrases.is_empty() {
            return Some((String::new(), None));
        }
        return t
            .first_of(&ind.phrases)
            .map(|p| (std.phrases.original(p).to_string(), None));
    }
    match meaning::judge(ind.meaning, t, &listed(std, &ind.phrases, t)) {
        Judgement::Yes(f) => Some((f.cue.clone(), Some(f))),
        Judgement::No { .. } => None,
    }
}

/// Upset below the threshold (but at least `meaning::CORROBORATED_UPSET`) counts when
/// the agent's own reply within the window apologises or empathises sincerely: the
/// agent read the customer as upset, and so would a reviewer. The indicator is then
/// judged as for any upset turn, so an apology alone still fails empathy.
fn corroborated_upset(
    std: &CompiledStandard,
    ind: &CompiledIndicator,
    turns: &[TurnView],
    ci: usize,
) -> Option<(String, Option<Finding>)> {
    if ind.trigger_meaning != pb::Meaning::Upset || ind.speaker != pb::Speaker::Agent {
        return None;
    }
    let c = &turns[ci];
    let (net, f) = meaning::upset_weight(c, &listed(std, &ind.triggers, c))?;
    if net < meaning::CORROBORATED_UPSET {
        return None;
    }
    // A complaint kept up: the customer's next turn complains again, and the two
    // together weigh as much as one upset turn ("这是能不能睡的问题吗?", "Harmless? Would
    // you bath your kid in it?").
    if let Some((ni, n)) = turns[ci + 1..]
        .iter()
        .enumerate()
        .find(|(_, t)| t.speaker == pb::Speaker::Customer)
        && let Some((next, g)) = meaning::upset_weight(n, &listed(std, &ind.triggers, n))
        && next >= meaning::CORROBORATED_UPSET
        && net + next >= 1.0
    {
        let f = Finding {
            why: format!(
                "{}, kept up at turn {} ({} \"{}\")",
                f.why,
                ci + 1 + ni,
                g.why,
                g.cue
            ),
            confidence: 0.7,
            ..f
        };
        return Some((f.cue.clone(), Some(f)));
    }
    let (ai, how) = turns[ci + 1..]
        .iter()
        .enumerate()
        .take_while(|(_, t)| t.speaker != pb::Speaker::Customer)
        .filter(|(_, t)| t.speaker == pb::Speaker::Agent)
        .take(ind.window)
        .find_map(|(off, t)| {
            [pb::Meaning::Empathy, pb::Meaning::Apology]
                .into_iter()
                .find_map(|m| match meaning::judge(m, t, &[]) {
                    Judgement::Yes(g) if m == pb::Meaning::Empathy || weighty(&t.norm, &g) => {
                        Some((ci + 1 + off, format!("{} \"{}\"", meaning_name(m), g.cue)))
                    }
                    _ => None,
                })
        })?;
    let f = Finding {
        why: format!("{}, corroborated by the agent's {how} at turn {ai}", f.why),
        confidence: 0.7,
        ..f
    };
    Some((f.cue.clone(), Some(f)))
}

/// An apology that takes the matter seriously ("I'm really sorry", "that's our
/// mistake", "非常抱歉", "给您添麻烦了"), not a courtesy ("Sorry to hear that",
/// "sorry, which order?", "不好意思,请问…"): only such an apology says the agent read
/// the customer as upset.
fn weighty(norm: &str, g: &Finding) -> bool {
    const LIGHT: &[&str] = &["sorry", "抱歉", "不好意思", "sorry to hear"];
    const STRONG: &[&str] = &[
        "i'm sorry",
        "i am sorry",
        "we're sorry",
        "we are sorry",
        "really sorry",
        "so sorry",
        "very sorry",
        "truly sorry",
        "terribly sorry",
        "deeply sorry",
        "apologis",
        "apologiz",
        "非常抱歉",
        "很抱歉",
        "十分抱歉",
        "实在抱歉",
        "真的抱歉",
        "真的很抱歉",
        "深表歉意",
        "对不起",
        "实在不好意思",
        "真不好意思",
        "太不好意思",
    ];
    let cue = g.cue.trim().to_lowercase();
    if !LIGHT.contains(&cue.as_str()) {
        return true; // a fault taken ("that's on us", "失误"), not a bare "sorry"
    }
    let q = g.quote.to_lowercase();
    STRONG
        .iter()
        .any(|s| q.contains(s) || norm.contains(s) && q.is_empty())
}

fn triggered(std: &CompiledStandard, ind: &CompiledIndicator, turns: &[TurnView]) -> Outcome {
    let mut triggered = 0;
    let mut evidence = Vec::new();
    let mut failed = false;
    let mut doubt = Doubt::default();
    // The least sure finding a verdict rests on (meanings only).
    let mut conf: f64 = 1.0;
    let uses_meaning =
        ind.meaning != pb::Meaning::Unspecified || ind.trigger_meaning != pb::Meaning::Unspecified;
    for (ci, c) in of(pb::Speaker::Customer, turns) {
        let Some((tp, tf)) = trigger_of(std, ind, c, &mut doubt, ci)
            .or_else(|| corroborated_upset(std, ind, turns, ci))
        else {
            continue;
        };
        triggered += 1;
        if let Some(f) = &tf {
            conf = conf.min(f.confidence);
        }
        let answer = turns[ci + 1..]
            .iter()
            .enumerate()
            .filter(|(_, t)| t.speaker == ind.speaker)
            .take(ind.window)
            .find_map(|(off, t)| answer_of(std, ind, t).map(|(p, f)| (ci + 1 + off, t, p, f)));
        match answer {
            Some((ai, a, phrase, af)) => {
                let delay = a.at - c.at;
                let in_time = ind.threshold.is_none_or(|l| delay <= l);
                let note = if in_time {
                    format!(
                        "customer said \"{tp}\" at turn {ci}; answered after {}",
                        secs(delay)
                    )
                } else {
                    failed = true;
                    format!(
                        "customer said \"{tp}\" at turn {ci}; answered only after {} (limit {})",
                        secs(delay),
                        secs(ind.threshold.unwrap_or_default())
                    )
                };
                if evidence.len() < MAX_EVIDENCE {
                    let mut e = ev(ai as i64, &phrase, Some(delay), note);
                    if let Some(f) = &af {
                        conf = conf.min(f.confidence);
                        e.quote = f.quote.clone();
                        e.cue = format!("{} ({}, confidence {:.2})", f.cue, f.why, f.confidence);
                    }
                    evidence.push(e);
                }
            }
            None => {
                failed = true;
                if evidence.len() < MAX_EVIDENCE {
                    let mut e = ev(
                        ci as i64,
                        &tp,
                        None,
                        format!(
                            "customer said \"{tp}\"; no fitting {} reply within {} turn(s)",
                            speaker_name(ind.speaker),
                            ind.window
                        ),
                    );
                    if let Some(f) = &tf {
                        e.quote = f.quote.clone();
                        e.cue = format!("{} ({}, confidence {:.2})", f.cue, f.why, f.confidence);
                    }
                    evidence.push(e);
                }
            }
        }
    }
    if triggered == 0 {
        let mut o = na("nothing in the conversation called for it");
        if uses_meaning {
            o.confidence = doubt.confidence(1.0);
            o.evidence.extend(doubt.evidence());
        }
        return o;
    }
    if uses_meaning {
        let c = conf.min(if failed { 0.85 } else { 0.9 });
        return verdict(!failed, c, c, evidence);
    }
    verdict(!failed, 0.9, 0.7, evidence)
}

fn name_used(ind: &CompiledIndicator, turns: &[TurnView], name: &str) -> Outcome {
    if name.is_empty() {
        return na("the customer's name is unknown");
    }
    let mut spoke = false;
    for (i, t) in of(ind.speaker, turns) {
        spoke = true;
        if t.norm.contains(name) {
            return verdict(
                true,
                0.95,
                0.85,
                vec![ev(i as i64, name, None, "customer addressed by name")],
            );
        }
    }
    if !spoke {
        return na(format!("the {} never spoke", speaker_name(ind.speaker)));
    }
    verdict(
        false,
        0.95,
        0.85,
        vec![ev(-1, "", None, format!("\"{name}\" never used"))],
    )
}

fn max_length(ind: &CompiledIndicator, turns: &[TurnView]) -> Outcome {
    let mut spoke = false;
    let mut long = Vec::new();
    for (i, t) in of(ind.speaker, turns) {
        spoke = true;
        if t.chars > ind.max_count && long.len() < MAX_EVIDENCE {
            long.push(ev(
                i as i64,
                "",
                None,
                format!("{} characters (limit {})", t.chars, ind.max_count),
            ));
        }
    }
    if !spoke {
        return na(format!("the {} never spoke", speaker_name(ind.speaker)));
    }
    let pass = long.is_empty();
    verdict(pass, 1.0, 1.0, if pass { Vec::new() } else { long })
}

fn no_repeat(speaker: pb::Speaker, allowed: usize, turns: &[TurnView]) -> Outcome {
    let said: Vec<(usize, u64)> = of(speaker, turns)
        .map(|(i, t)| (i, t.key))
        .filter(|(_, k)| *k != 0)
        .collect();
    if said.is_empty() {
        return na(format!("the {} never spoke", speaker_name(speaker)));
    }
    let mut repeats = Vec::new();
    for (k, (i, t)) in said.iter().enumerate() {
        let earlier = said[..k].iter().filter(|(_, e)| e == t).count();
        if earlier > allowed && repeats.len() < MAX_EVIDENCE {
            repeats.push(ev(
                *i as i64,
                "",
                None,
                format!(
                    "the {} said the same thing again ({} times before)",
                    speaker_name(speaker),
                    earlier
                ),
            ));
        }
    }
    let pass = repeats.is_empty();
    verdict(pass, 0.95, 0.95, repeats)
}

fn max_duration(ind: &CompiledIndicator, turns: &[TurnView]) -> Outcome {
    let (Some(first), Some(last)) = (turns.first(), turns.last()) else {
        return na("no turns");
    };
    if turns.len() < 2 {
        return na("a single turn");
    }
    let d = last.at - first.at;
    let limit = ind.threshold.unwrap_or(i64::MAX);
    verdict(
        d <= limit,
        1.0,
        1.0,
        vec![ev(
            -1,
            "",
            Some(d),
            format!("lasted {} (limit {})", secs(d), secs(limit)),
        )],
    )
}

fn max_turns(ind: &CompiledIndicator, turns: &[TurnView]) -> Outcome {
    let n = of(ind.speaker, turns).count();
    if n == 0 {
        return na(format!("the {} never spoke", speaker_name(ind.speaker)));
    }
    verdict(
        n <= ind.max_count,
        1.0,
        1.0,
        vec![ev(
            -1,
            "",
            None,
            format!("{n} turns (limit {})", ind.max_count),
        )],
    )
}
