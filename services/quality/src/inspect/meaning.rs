//! Meanings in people's own words, Chinese and English: who is upset, empathy and
//! apology however worded, proof demands and runarounds however phrased, blame, flat
//! refusals, rudeness, greetings, resolution checks and goodbyes.
//!
//! Offline and deterministic: a weighted cue lexicon ([`super::lexicon`]) is matched
//! once per turn with the same matcher as a standard's phrases, then scoped rules decide:
//!
//! - **negation scope**: a cue right after a negation ("not angry", "不是我们的问题") does
//!   not count; a demand or referral in a clause with a release ("no need to", "不用",
//!   "无需", "you don't have to") is no demand; a referral in a clause where the agent
//!   acts ("I'll contact the courier myself", "我来对接") is ownership, not a runaround;
//! - **sarcasm and mock apologies** ("truly the tragedy of the century", "抱歉抱歉,您最
//!   有理行了吧") void the empathy and apology of their turn and are rude;
//! - **harmless uses**: a harmless cue overlapping a listed word voids it ("随便你挑",
//!   "not a stupid question", "You should have received an email");
//! - **upset** is a weighted sum of what the customer says (repeats, broken promises,
//!   waiting, exasperation, "!!!"), less calming cues ("no worries", "不着急").
//!
//! Every finding names the cue and quotes its clause; a finding near the threshold has a
//! low confidence, which sends the report to people.

use super::TurnView;
use super::lexicon::{Cue, LEXICON};
use super::pb;
use super::text::PhraseSet;

/// Below this a verdict is marked low confidence and its report goes to review.
pub const LOW_CONFIDENCE: f64 = 0.7;

/// One cue found in a turn.
#[derive(Debug, Clone, Copy)]
pub struct Hit {
    pub cue: Cue,
    pub weight: f32,
    /// Byte range in the normalised text.
    pub at: u32,
    pub end: u32,
    /// A negation comes right before it.
    pub negated: bool,
    /// Lexicon phrase id (or `u32::MAX` for a listed phrase of the standard).
    pub id: u32,
}

/// Every cue of the lexicon in normalised `norm`.
pub fn cues(norm: &str) -> Vec<Hit> {
    let lex = &*LEXICON;
    let mut out = Vec::new();
    for f in lex.find_all(norm) {
        let end = f.at + lex.set.len(f.id) as u32;
        for &(cue, weight) in &lex.entries[f.id as usize] {
            out.push(Hit {
                cue,
                weight,
                at: f.at,
                end,
                negated: f.negated,
                id: f.id,
            });
        }
    }
    out
}

/// What decided a meaning: the cue, where it is, how sure.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// The cue or listed phrase as written.
    pub cue: String,
    /// What it stands for, e.g. "upset 1.0" or "listed phrase".
    pub why: String,
    /// The clause it was found in.
    pub quote: String,
    pub confidence: f64,
}

/// The answer for one turn: found, or not found with the inspector's confidence in
/// that (lower when a cue nearly made it).
#[derive(Debug, Clone, PartialEq)]
pub enum Judgement {
    Yes(Finding),
    No {
        confidence: f64,
        near: Option<Finding>,
    },
}

fn no() -> Judgement {
    Judgement::No {
        confidence: 0.9,
        near: None,
    }
}

/// A phrase of the standard found in the turn, as a cue of the meaning asked for.
#[derive(Debug, Clone, Copy)]
pub struct Listed<'a> {
    pub text: &'a str,
    pub at: u32,
    pub end: u32,
    pub negated: bool,
}

/// The phrases of `ids` (in `set`, a standard's phrases) found in `t`, as cues.
pub fn listed<'a>(set: &'a PhraseSet, ids: &[u32], t: &TurnView) -> Vec<Listed<'a>> {
    t.found
        .iter()
        .filter(|f| ids.binary_search(&f.id).is_ok())
        .map(|f| Listed {
            text: set.original(f.id),
            at: f.at,
            end: f.at + set.len(f.id) as u32,
            negated: f.negated,
        })
        .collect()
}

/// The cue (or listed phrase) by which `t` means `meaning`, if it does.
pub fn found(meaning: pb::Meaning, set: &PhraseSet, ids: &[u32], t: &TurnView) -> Option<String> {
    match judge(meaning, t, &listed(set, ids, t)) {
        Judgement::Yes(f) => Some(f.cue),
        Judgement::No { .. } => None,
    }
}

fn is_clause_end(c: char) -> bool {
    matches!(
        c,
        ',' | '.' | '!' | '?' | ';' | ':' | '，' | '。' | '！' | '？' | '；' | '：' | '、' | '~'
    )
}

fn is_sentence_end(c: char) -> bool {
    matches!(c, '.' | '!' | '?' | ';' | '。' | '！' | '？' | '；')
}

/// The byte range of the clause (or sentence) around `at`.
fn span(norm: &str, at: usize, end_of: fn(char) -> bool) -> (usize, usize) {
    let at = at.min(norm.len());
    let start = norm[..at]
        .char_indices()
        .rev()
        .find(|(_, c)| end_of(*c))
        .map_or(0, |(i, c)| i + c.len_utf8());
    let end = norm[at..]
        .char_indices()
        .find(|(_, c)| end_of(*c))
        .map_or(norm.len(), |(i, _)| at + i);
    (start, end)
}

fn clause(norm: &str, at: u32) -> (u32, u32) {
    let (a, b) = span(norm, at as usize, is_clause_end);
    (a as u32, b as u32)
}

fn sentence(norm: &str, at: u32) -> (u32, u32) {
    let (a, b) = span(norm, at as usize, is_sentence_end);
    (a as u32, b as u32)
}

fn quote(norm: &str, at: u32) -> String {
    let (a, b) = clause(norm, at);
    norm.get(a as usize..b as usize)
        .unwrap_or_default()
        .trim()
        .to_string()
}

struct View<'a> {
    norm: &'a str,
    hits: &'a [Hit],
}

impl View<'_> {
    fn of(&self, cue: Cue) -> impl Iterator<Item = &Hit> {
        self.hits.iter().filter(move |h| h.cue == cue)
    }
    fn any(&self, cue: Cue) -> bool {
        self.of(cue)
            .any(|h| !h.negated && !self.harmless(h.at, h.end))
    }
    fn in_range(&self, cue: Cue, (a, b): (u32, u32)) -> bool {
        self.of(cue).any(|h| h.at >= a && h.at < b)
    }
    /// A harmless cue overlaps `[at, end)`.
    fn harmless(&self, at: u32, end: u32) -> bool {
        self.of(Cue::Harmless).any(|h| h.at < end && at < h.end)
    }
    fn finding(&self, text: &str, why: String, at: u32, confidence: f64) -> Finding {
        Finding {
            cue: text.to_string(),
            why,
            quote: quote(self.norm, at),
            confidence,
        }
    }
    fn phrase(&self, h: &Hit) -> &str {
        LEXICON.set.original(h.id)
    }
}

/// Whether `turn` (with the standard's `listed` phrases of this indicator found in it)
/// means `meaning`.
pub fn judge(meaning: pb::Meaning, turn: &TurnView, listed: &[Listed<'_>]) -> Judgement {
    let v = View {
        norm: &turn.norm,
        hits: &turn.cues,
    };
    use pb::Meaning as M;
    match meaning {
        M::Upset => upset(&v, listed),
        M::Empathy => sincere(&v, Cue::Empathy, listed),
        M::Apology => sincere(&v, Cue::Apology, listed),
        M::ProofDemand => proof(&v, listed),
        M::Runaround => runaround(&v, listed),
        M::Rudeness => rude(&v, listed),
        M::Blame => plain(&v, Cue::Blame, listed, true),
        M::FlatRefusal => refusal(&v, listed),
        M::Greeting => greeting(&v, listed),
        M::ResolutionCheck => plain(&v, Cue::Resolution, listed, true),
        M::Closing => plain(&v, Cue::Closing, listed, true),
        M::Unspecified => no(),
    }
}

/// The first listed phrase that is neither negated nor a harmless use.
fn first_listed<'a>(
    v: &View<'_>,
    listed: &'a [Listed<'a>],
    mind_negation: bool,
) -> Option<&'a Listed<'a>> {
    listed
        .iter()
        .find(|l| !(v.harmless(l.at, l.end) || mind_negation && l.negated))
}

fn listed_finding(v: &View<'_>, l: &Listed<'_>, confidence: f64) -> Judgement {
    Judgement::Yes(v.finding(l.text, "listed phrase".into(), l.at, confidence))
}

/// A meaning shown by one of its cues (or a listed phrase), neither negated nor harmless.
fn plain(v: &View<'_>, cue: Cue, listed: &[Listed<'_>], mind_negation: bool) -> Judgement {
    if let Some(l) = first_listed(v, listed, mind_negation) {
        return listed_finding(v, l, 0.95);
    }
    match v
        .of(cue)
        .find(|h| !(v.harmless(h.at, h.end) || mind_negation && h.negated))
    {
        Some(h) => Judgement::Yes(v.finding(
            v.phrase(h),
            format!("{} cue", cue.name()),
            h.at,
            if h.weight >= 1.0 { 0.9 } else { 0.75 },
        )),
        None => no(),
    }
}

/// Empathy or apology: voided by sarcasm or a mock apology in the same turn.
fn sincere(v: &View<'_>, cue: Cue, listed: &[Listed<'_>]) -> Judgement {
    let said = plain(v, cue, listed, true);
    if let Judgement::Yes(f) = &said
        && let Some(s) = v
            .hits
            .iter()
            .find(|h| matches!(h.cue, Cue::Sarcasm | Cue::Mock) && !v.harmless(h.at, h.end))
    {
        return Judgement::No {
            confidence: 0.85,
            near: Some(Finding {
                why: format!(
                    "\"{}\" voided by {} \"{}\"",
                    f.cue,
                    s.cue.name(),
                    v.phrase(s)
                ),
                ..f.clone()
            }),
        };
    }
    said
}

fn upset(v: &View<'_>, listed: &[Listed<'_>]) -> Judgement {
    let mut score = 0.0f32;
    let mut best: Option<(f32, String, u32)> = None;
    let mut seen: Vec<u32> = Vec::new();
    let mut add = |w: f32, text: &str, at: u32, id: u32, score: &mut f32| {
        if seen.contains(&id) {
            return;
        }
        seen.push(id);
        *score += w;
        if best.as_ref().is_none_or(|(b, _, _)| w > *b) {
            best = Some((w, text.to_string(), at));
        }
    };
    for (k, l) in listed.iter().enumerate() {
        if !l.negated && !v.harmless(l.at, l.end) {
            add(1.0, l.text, l.at, u32::MAX - k as u32, &mut score);
        }
    }
    for h in v.of(Cue::Upset) {
        // A cue that is also a listed phrase at the same place ("broken") counts once.
        let listed_here = listed.iter().any(|l| l.at == h.at && l.end == h.end);
        if !h.negated && !v.harmless(h.at, h.end) && !listed_here {
            add(h.weight, v.phrase(h), h.at, h.id, &mut score);
        }
    }
    // Exasperated punctuation: "!!", "???", "?!".
    for mark in ["!!", "??", "?!"] {
        if let Some(at) = v.norm.find(mark) {
            add(0.6, mark, at as u32, u32::MAX - 1000, &mut score);
            break;
        }
    }
    let calm: f32 = v.of(Cue::Calm).map(|h| h.weight).sum();
    let net = score - calm;
    let Some((w, text, at)) = best else {
        return no();
    };
    let why = format!("upset {net:.1} (strongest cue {w:.1}, calming {calm:.1})");
    if net >= 1.0 {
        let confidence = if net >= 1.5 { 0.9 } else { 0.75 };
        Judgement::Yes(v.finding(&text, why, at, confidence))
    } else if net >= 0.5 {
        Judgement::No {
            confidence: 0.6,
            near: Some(v.finding(&text, why, at, 0.6)),
        }
    } else {
        Judgement::No {
            confidence: 0.85,
            near: Some(v.finding(&text, why, at, 0.85)),
        }
    }
}

fn released(v: &View<'_>, at: u32) -> bool {
    v.in_range(Cue::Release, clause(v.norm, at))
}

fn proof(v: &View<'_>, listed: &[Listed<'_>]) -> Judgement {
    if let Some(h) = v.of(Cue::ProofDemand).find(|h| !v.harmless(h.at, h.end)) {
        return Judgement::Yes(v.finding(v.phrase(h), "demand cue".into(), h.at, 0.9));
    }
    for l in listed {
        if !l.negated && !released(v, l.at) && !v.harmless(l.at, l.end) {
            return listed_finding(v, l, 0.9);
        }
    }
    let mut near = None;
    for h in v.of(Cue::ProofObject) {
        if h.negated || released(v, h.at) || v.harmless(h.at, h.end) {
            continue;
        }
        // "Could you send a photo? No pressure if not": asked for, not required.
        if v.in_range(Cue::Request, sentence(v.norm, h.at)) && !v.any(Cue::Optional) {
            return Judgement::Yes(v.finding(
                v.phrase(h),
                "evidence asked for (object and request in one sentence)".into(),
                h.at,
                0.85,
            ));
        }
        near.get_or_insert_with(|| {
            v.finding(
                v.phrase(h),
                "evidence mentioned, no request seen".into(),
                h.at,
                0.65,
            )
        });
    }
    match near {
        Some(f) => Judgement::No {
            confidence: f.confidence,
            near: Some(f),
        },
        None => no(),
    }
}

fn owned(v: &View<'_>, at: u32) -> bool {
    let c = clause(v.norm, at);
    v.in_range(Cue::Release, c) || v.in_range(Cue::SelfAct, c)
}

fn runaround(v: &View<'_>, listed: &[Listed<'_>]) -> Judgement {
    if let Some(h) = v
        .of(Cue::RunDirect)
        .find(|h| !h.negated && !v.harmless(h.at, h.end))
    {
        return Judgement::Yes(v.finding(v.phrase(h), "runaround cue".into(), h.at, 0.9));
    }
    for l in listed {
        if !l.negated && !owned(v, l.at) && !v.harmless(l.at, l.end) {
            return listed_finding(v, l, 0.9);
        }
    }
    for h in v.of(Cue::Referral) {
        if h.negated || owned(v, h.at) || v.harmless(h.at, h.end) {
            continue;
        }
        let s = sentence(v.norm, h.at);
        if let Some(p) = v.of(Cue::Party).find(|p| p.at >= s.0 && p.at < s.1) {
            return Judgement::Yes(v.finding(
                &format!("{} … {}", v.phrase(h), v.phrase(p)),
                "sent to another party".into(),
                h.at,
                0.85,
            ));
        }
    }
    no()
}

fn rude(v: &View<'_>, listed: &[Listed<'_>]) -> Judgement {
    if let Some(l) = first_listed(v, listed, false) {
        return listed_finding(v, l, 0.9);
    }
    match v
        .hits
        .iter()
        .find(|h| matches!(h.cue, Cue::Rude | Cue::Sarcasm | Cue::Mock) && !v.harmless(h.at, h.end))
    {
        Some(h) => Judgement::Yes(v.finding(
            v.phrase(h),
            format!("{} cue", h.cue.name()),
            h.at,
            if h.weight >= 1.0 { 0.9 } else { 0.7 },
        )),
        None => no(),
    }
}

fn refusal(v: &View<'_>, listed: &[Listed<'_>]) -> Judgement {
    let said = plain(v, Cue::Refusal, listed, false);
    let Judgement::Yes(f) = said else {
        return said;
    };
    // Something offered instead, or a way forward asked for ("send the receipt").
    // Sending the customer elsewhere is no flat no either: the runaround indicator
    // judges that.
    let offered = v.any(Cue::Alternative)
        || (v.any(Cue::Request) && (v.any(Cue::ProofObject) || v.any(Cue::ProofDemand)))
        || (v.any(Cue::Referral) && v.any(Cue::Party))
        || v.any(Cue::RunDirect);
    if offered {
        Judgement::No {
            confidence: 0.8,
            near: Some(Finding {
                why: "refusal with something offered instead".into(),
                ..f
            }),
        }
    } else {
        Judgement::Yes(f)
    }
}

fn greeting(v: &View<'_>, listed: &[Listed<'_>]) -> Judgement {
    if let Some(l) = first_listed(v, listed, true) {
        return listed_finding(v, l, 0.95);
    }
    if let Some(h) = v.of(Cue::Greeting).find(|h| !h.negated) {
        return Judgement::Yes(v.finding(v.phrase(h), "greeting cue".into(), h.at, 0.9));
    }
    // "Morning!", "Evening!" greet only at the very start.
    if let Some(h) = v.of(Cue::GreetingStart).find(|h| h.at == 0) {
        return Judgement::Yes(v.finding(v.phrase(h), "greeting cue".into(), h.at, 0.85));
    }
    no()
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::inspect::text::normalise;

    fn says(m: pb::Meaning, speaker: pb::Speaker, text: &str) -> bool {
        let norm = normalise(text);
        let t = TurnView {
            speaker,
            at: 0,
            chars: text.chars().count(),
            cues: cues(&norm),
            norm,
            found: Vec::new(),
            key: 1,
        };
        matches!(judge(m, &t, &[]), Judgement::Yes(_))
    }

    #[test]
    fn negated_demands_are_no_demands() {
        use pb::Meaning::{ProofDemand as P, Runaround as R};
        let a = pb::Speaker::Agent;
        assert!(says(P, a, "麻烦您发一下订单截图和开箱视频"));
        assert!(!says(P, a, "不用提供购买凭证,也不用拍视频"));
        assert!(says(P, a, "Could you send over a photo of the item?"));
        assert!(!says(
            P,
            a,
            "No need for any proof, I've got your order on screen."
        ));
        assert!(says(R, a, "You'll have to take that up with the courier."));
        assert!(!says(
            R,
            a,
            "You don't need to contact the courier, I've already raised it"
        ));
        assert!(!says(R, a, "您不用找厂家,我来对接"));
        assert!(says(R, a, "这个您得去找快递"));
    }

    #[test]
    fn sarcasm_and_mock_apologies_are_neither_empathy_nor_apology_but_rude() {
        use pb::Meaning::{Apology, Empathy, Rudeness};
        let a = pb::Speaker::Agent;
        assert!(!says(
            Empathy,
            a,
            "I can imagine, truly the tragedy of the century."
        ));
        assert!(says(
            Rudeness,
            a,
            "I can imagine, truly the tragedy of the century."
        ));
        assert!(!says(Apology, a, "抱歉抱歉,您最有理行了吧"));
        assert!(says(Rudeness, a, "抱歉抱歉,您最有理行了吧"));
        assert!(says(Apology, a, "耽误您时间了,我们下次会做得更好"));
        assert!(says(
            Apology,
            a,
            "That's on us, we shouldn't have shipped it like that."
        ));
        assert!(!says(Apology, a, "这不是我们的问题"));
        assert!(says(Empathy, a, "换我也会着急的"));
    }

    #[test]
    fn harmless_uses_are_not_rude_and_upset_needs_no_listed_word() {
        use pb::Meaning::{Rudeness, Upset};
        let (a, c) = (pb::Speaker::Agent, pb::Speaker::Customer);
        assert!(!says(Rudeness, a, "随便你挑,都有现货哦"));
        assert!(!says(Rudeness, a, "Not a stupid question at all!"));
        assert!(says(Rudeness, a, "Are you even reading what I write?"));
        assert!(says(
            Upset,
            c,
            "Second time this has happened with you guys."
        ));
        assert!(says(Upset, c, "说好的三天呢?都一个星期了"));
        assert!(!says(
            Upset,
            c,
            "I'm not angry, just want to know when it ships."
        ));
        assert!(!says(Upset, c, "我不生气,就是想知道什么时候发货"));
    }

    #[test]
    fn optional_requests_and_referrals_are_no_demands_nor_flat_refusals() {
        use pb::Meaning::{FlatRefusal, ProofDemand, Runaround};
        let a = pb::Speaker::Agent;
        let optional = "Could you send a photo of it? No pressure if not, the replacement goes out either way.";
        assert!(!says(ProofDemand, a, optional));
        assert!(says(ProofDemand, a, "Could you send a photo of it?"));
        assert!(!says(ProofDemand, a, "方便的话拍张照片给我,没有也没关系"));
        // Sent elsewhere: a runaround, not a flat refusal.
        let sent = "We can't process claims here, please contact the insurer.";
        assert!(says(Runaround, a, sent));
        assert!(!says(FlatRefusal, a, sent));
        assert!(says(FlatRefusal, a, "We can't process claims here."));
    }

    #[test]
    fn own_words_for_upset_empathy_and_resolution() {
        use pb::Meaning::{Empathy, ResolutionCheck, Upset};
        let (a, c) = (pb::Speaker::Agent, pb::Speaker::Customer);
        assert!(says(
            Upset,
            c,
            "The app keeps logging me out, it's driving me up the wall."
        ));
        assert!(says(Upset, c, "买的衣服洗了一次就缩水了,我很不爽"));
        assert!(!says(
            Upset,
            c,
            "I'd like the same colour as last time, please."
        ));
        assert!(says(Empathy, a, "Ugh, that sounds maddening."));
        assert!(says(Empathy, a, "等这么久肯定很着急,我马上帮您看"));
        assert!(says(ResolutionCheck, a, "Does that clear it up?"));
        assert!(!says(ResolutionCheck, a, "有任何问题随时找我"));
    }
}
