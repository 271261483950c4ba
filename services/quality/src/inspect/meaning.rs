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
use super::text::{PhraseSet, negated};

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

/// Ids of the structural cues (not phrases of the lexicon).
const SHOUT_ID: u32 = u32::MAX - 2000;
const DURATION_ID: u32 = u32::MAX - 2001;
const EXCLAIM_ID: u32 = u32::MAX - 2002;
const MARKS_ID: u32 = u32::MAX - 2003;
const REPEAT_ID: u32 = u32::MAX - 2004;
const QUOTE_ID: u32 = u32::MAX - 2005;
const DOU_ID: u32 = u32::MAX - 2006;
const IRONY_ID: u32 = u32::MAX - 2007;
const LIAN_ID: u32 = u32::MAX - 2008;

/// A count of tries or occurrences of two or more ("three times", "5 times", "问了五次",
/// "说了三遍", "坏两回"): its byte range.
fn repetition(norm: &str) -> Option<(u32, u32)> {
    // "the third morning this week": an ordinal of a recurring span.
    for ord in ["third ", "fourth ", "fifth ", "sixth "] {
        for (at, _) in norm.match_indices(ord) {
            let rest = &norm[at + ord.len()..];
            let unit = ["time", "morning", "day", "week", "month", "attempt", "call"]
                .iter()
                .find(|u| rest.starts_with(*u));
            if let Some(u) = unit {
                return Some((at as u32, (at + ord.len() + u.len()) as u32));
            }
        }
    }
    if !norm.contains(" times") && !norm.contains(['次', '遍', '回', '趟']) {
        return None;
    }
    const COUNTS: [&str; 10] = [
        "two",
        "three",
        "four",
        "five",
        "six",
        "several",
        "many",
        "multiple",
        "countless",
        "ten",
    ];
    let mut from = 0;
    while let Some(p) = norm[from..].find(" times") {
        let end = from + p;
        let word_start = norm[..end].rfind(' ').map_or(0, |k| k + 1);
        let w = &norm[word_start..end];
        let number = COUNTS.contains(&w)
            || (w.chars().all(|c| c.is_ascii_digit()) && !w.is_empty() && w != "1");
        if number {
            return Some((word_start as u32, (end + 6) as u32));
        }
        from = end + 6;
    }
    let chars: Vec<(usize, char)> = norm.char_indices().collect();
    for k in 1..chars.len() {
        let (at, c) = chars[k];
        let (pat, prev) = chars[k - 1];
        if matches!(c, '次' | '遍' | '回' | '趟')
            && "两二三四五六七八九十几多".contains(prev)
            // "第二次" is a cue of its own; "一次" is no repeat.
            && !(k >= 2 && chars[k - 2].1 == '第' && prev == '二')
        {
            return Some((pat as u32, (at + c.len_utf8()) as u32));
        }
    }
    None
}

/// Every cue of the lexicon in `text` (normalised `norm`), with shouting (a word of
/// four or more capitals, "AGAIN") as a weak upset cue: the one cue lowercasing loses.
pub fn cues_of(text: &str, norm: &str) -> Vec<Hit> {
    let mut out = cues(norm);
    if let Some(word) = shouted(text) {
        // Where the word is in the normalised text (lowercased the same way).
        let lower = word.to_ascii_lowercase();
        if let Some(at) = norm.find(&lower) {
            out.push(Hit {
                cue: Cue::Upset,
                weight: 0.5,
                at: at as u32,
                end: (at + lower.len()) as u32,
                negated: false,
                id: SHOUT_ID,
            });
        }
    }
    out
}

/// The first word of four or more ASCII capitals in `text` that is not the whole text
/// shouted (then capitals say nothing), if any.
fn shouted(text: &str) -> Option<&str> {
    let letters = text.chars().filter(char::is_ascii_alphabetic).count();
    let capitals = text.chars().filter(char::is_ascii_uppercase).count();
    if letters == 0 || capitals * 2 > letters {
        return None;
    }
    text.split(|c: char| !c.is_ascii_alphabetic())
        .find(|w| w.len() >= 4 && w.chars().all(|c| c.is_ascii_uppercase()))
}

/// A waiting time or span named by the customer ("six weeks", "a whole Saturday",
/// "半小时", "一个半月", "一上午"): its byte range. Not an age or a short span ("six
/// weeks old", "才穿了两天", "only two days", "买了四十天").
fn duration(norm: &str) -> Option<(u32, u32, bool)> {
    let found = span_of_time(norm)?;
    let before = &norm[clause(norm, found.0).0 as usize..found.0 as usize];
    let after = &norm[found.1 as usize..];
    let short_or_age = [
        "才",
        "只",
        "刚",
        "仅",
        "买了",
        "用了",
        "穿了",
        "戴了",
        "only ",
        "just ",
        "bought it ",
        "had it for ",
        "had it ",
    ]
    .iter()
    .any(|w| before.trim_end().ends_with(w.trim_end()) || before.ends_with(w))
        || after.starts_with(" old");
    Some((found.0, found.1, !short_or_age))
}

fn span_of_time(norm: &str) -> Option<(u32, u32)> {
    // Most turns name no time at all: a cheap look first.
    let english = [
        "minute",
        "hour",
        "day",
        "week",
        "month",
        "year",
        "morning",
        "afternoon",
        "since",
    ]
    .iter()
    .any(|u| norm.contains(u));
    let chinese = norm.contains([
        '天', '周', '月', '年', '时', '钟', '期', '拜', '午', '晚', '宿',
    ]);
    if !english && !chinese {
        return None;
    }
    span_of_time_in(norm, english, chinese)
}

fn span_of_time_in(norm: &str, english: bool, chinese: bool) -> Option<(u32, u32)> {
    // English: a number (or "a whole", "all") then a unit, or "a whole <day>".
    if english && let Some(found) = english_span(norm) {
        return Some(found);
    }
    if !chinese {
        return None;
    }
    chinese_span(norm)
}

fn english_span(norm: &str) -> Option<(u32, u32)> {
    const UNITS: [&str; 8] = [
        "minute",
        "hour",
        "day",
        "week",
        "month",
        "year",
        "morning",
        "afternoon",
    ];
    const NUMBERS: [&str; 29] = [
        "a", "an", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
        "eleven", "twelve", "fifteen", "twenty", "thirty", "forty", "fifty", "sixty", "ninety",
        "half", "few", "several", "couple", "whole", "all", "full", "many",
    ];
    const DAYS: [&str; 8] = [
        "saturday",
        "sunday",
        "monday",
        "tuesday",
        "wednesday",
        "thursday",
        "friday",
        "weekend",
    ];
    // Byte offsets from the pieces themselves: separators may be several bytes long.
    let base = norm.as_ptr() as usize;
    let words: Vec<(usize, &str)> = norm
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(|w| (w.as_ptr() as usize - base, w))
        .collect();
    for k in 0..words.len() {
        let (pos, w) = words[k];
        let number = NUMBERS.contains(&w) || w.chars().all(|c| c.is_ascii_digit());
        if !number {
            continue;
        }
        for next in words.iter().skip(k + 1).take(2).map(|(_, n)| *n) {
            let unit = UNITS
                .iter()
                .any(|u| next == *u || next.strip_suffix('s') == Some(u));
            let day = (w == "whole" || w == "all") && DAYS.iter().any(|d| next.starts_with(d));
            if unit || day {
                let end = norm[pos..]
                    .find(next)
                    .map_or(norm.len(), |p| pos + p + next.len());
                return Some((pos as u32, end as u32));
            }
            if !matches!(next, "whole" | "full" | "of" | "entire") {
                break;
            }
        }
    }
    // "since Tuesday", "since last week", "since the 3rd".
    for k in 0..words.len().saturating_sub(1) {
        let (pos, w) = words[k];
        let next = words[k + 1].1;
        if w == "since"
            && (DAYS.iter().any(|d| next.starts_with(d))
                || matches!(
                    next,
                    "last"
                        | "yesterday"
                        | "the"
                        | "january"
                        | "february"
                        | "march"
                        | "april"
                        | "may"
                        | "june"
                        | "july"
                        | "august"
                        | "september"
                        | "october"
                        | "november"
                        | "december"
                ))
        {
            let end = words[k + 1].0 + next.len();
            return Some((pos as u32, end as u32));
        }
    }
    None
}

fn chinese_span(norm: &str) -> Option<(u32, u32)> {
    // Chinese: numerals (个, 半 allowed) then a unit; or 一 + 上午/下午/整天/晚上.
    const NUM: &str = "0123456789一二两三四五六七八九十百几半整个多";
    const CJK_UNITS: [&str; 13] = [
        "分钟", "小时", "钟头", "天", "周", "星期", "礼拜", "月", "年", "上午", "下午", "晚上",
        "宿",
    ];
    let chars: Vec<(usize, char)> = norm.char_indices().collect();
    let mut k = 0;
    while k < chars.len() {
        let start = k;
        while k < chars.len() && NUM.contains(chars[k].1) {
            k += 1;
        }
        // At least one numeral that is not 个 or 多 alone.
        let run: String = chars[start..k].iter().map(|(_, c)| *c).collect();
        if k > start && run.chars().any(|c| !matches!(c, '个' | '多' | '整')) {
            let rest = &norm[chars.get(k).map_or(norm.len(), |(i, _)| *i)..];
            if let Some(u) = CJK_UNITS.iter().find(|u| rest.starts_with(**u)) {
                let end = norm.len() - rest.len() + u.len();
                return Some((chars[start].0 as u32, end as u32));
            }
        }
        k = k.max(start + 1);
    }
    None
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
    /// A finding composed of two cues, `a` then `b`, placed at `a` ("must be … exhausted").
    fn pair(&self, a: &Hit, b: &Hit, why: &str, confidence: f64) -> Finding {
        let text = format!("{} … {}", self.phrase(a), self.phrase(b));
        self.finding(&text, why.into(), a.at, confidence)
    }
    fn phrase(&self, h: &Hit) -> &str {
        match h.id {
            SHOUT_ID => self
                .norm
                .get(h.at as usize..h.end as usize)
                .unwrap_or("shouting"),
            _ => LEXICON.set.original(h.id),
        }
    }
    /// Hits of `cue` neither negated nor harmless.
    fn live(&self, cue: Cue) -> impl Iterator<Item = &Hit> {
        self.of(cue)
            .filter(move |h| !h.negated && !self.harmless(h.at, h.end))
    }
    /// A live hit of `cue` in `[a, b)`.
    fn live_in(&self, cue: Cue, (a, b): (u32, u32)) -> Option<&Hit> {
        self.live(cue).find(|h| h.at >= a && h.at < b)
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
        M::Blame => blame(&v, listed),
        M::FlatRefusal => refusal(&v, listed),
        M::Greeting => greeting(&v, listed),
        M::ResolutionCheck => resolution(&v, listed),
        M::Closing => closing(&v, listed),
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
    let mut said = plain(v, cue, listed, true);
    if cue == Cue::Empathy
        && matches!(said, Judgement::No { .. })
        && let Some(f) = acknowledged(v)
    {
        said = Judgement::Yes(f);
    }
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

/// Below the threshold, upset this strong still counts where the agent's own reply
/// corroborates it (a sincere apology or empathy within the window): a reviewer who
/// sees the agent answer like that reads the customer as upset. The labels still
/// decide pass or fail: the other indicator must be answered too.
pub const CORROBORATED_UPSET: f32 = 0.3;

/// Upset this strong counts on its own.
pub const UPSET_THRESHOLD: f32 = 1.0;

/// The upset weighed in a customer turn (net of calming) and its strongest cue, when
/// any cue counted: for corroboration by the agent's reply (`rules`).
pub fn upset_weight(turn: &TurnView, listed: &[Listed<'_>]) -> Option<(f32, Finding)> {
    let v = View {
        norm: &turn.norm,
        hits: &turn.cues,
    };
    let (net, w, text, at, calm) = weigh_upset(&v, listed)?;
    // Calming words said ("不急", "no rush") are the customer's own word against it.
    if calm > 0.0 {
        return None;
    }
    let why = format!("upset {net:.1} (strongest cue {w:.1}, calming {calm:.1})");
    Some((net, v.finding(&text, why, at, 0.7)))
}

fn upset(v: &View<'_>, listed: &[Listed<'_>]) -> Judgement {
    let Some((net, w, text, at, calm)) = weigh_upset(v, listed) else {
        return no();
    };
    let why = format!("upset {net:.1} (strongest cue {w:.1}, calming {calm:.1})");
    if net >= UPSET_THRESHOLD {
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

/// (net, strongest cue's weight, its text, where, calming), or `None` if nothing counted.
fn weigh_upset(v: &View<'_>, listed: &[Listed<'_>]) -> Option<(f32, f32, String, u32, f32)> {
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
            let w = if attributive(v.norm, l.at, l.end) {
                0.5
            } else {
                1.0
            };
            add(w, l.text, l.at, u32::MAX - k as u32, &mut score);
        }
    }
    // Overlapping cues ("还没" inside "还没到") are one piece of evidence: the
    // strongest of them counts.
    let mut counted: Vec<(u32, u32, f32, Cue, u32)> = Vec::new();
    // A span of time named ("six weeks", "一个半月"); an age or a short span ("买了四十天",
    // "才两天", "six weeks old") is no waiting, and the cues inside it do not count.
    let time = duration(v.norm);
    let age = time.filter(|t| !t.2);
    for h in v.of(Cue::Upset).chain(v.of(Cue::Rhetorical)) {
        // A cue that is also a listed phrase at the same place ("broken") counts once.
        let listed_here = listed.iter().any(|l| l.at < h.end && h.at < l.end);
        if h.negated
            || v.harmless(h.at, h.end)
            || listed_here
            || age.is_some_and(|(a, b, _)| h.at < b && a < h.end)
        {
            continue;
        }
        // A rhetorical question only counts as one ("You want me to…?").
        if h.cue == Cue::Rhetorical && !ends_in_question(v.norm, h.at) {
            continue;
        }
        // A rhetorical question is evidence of its own kind, even where an upset cue
        // overlaps it ("Seriously?").
        // So is shouting, on top of the word shouted ("AGAIN").
        let kind = |c: Cue, id: u32| match (c, id) {
            (_, SHOUT_ID) => 2,
            (Cue::Rhetorical, _) => 1,
            _ => 0,
        };
        let mine = kind(h.cue, h.id);
        // Used attributively ("the broken washer"), a cue describes the thing.
        let weight = if attributive(v.norm, h.at, h.end) {
            h.weight * 0.5
        } else {
            h.weight
        };
        // Its own id: the same phrase may be an upset cue too ("seriously").
        let id = if h.cue == Cue::Rhetorical {
            h.id | 0x4000_0000
        } else {
            h.id
        };
        let overlapped = counted
            .iter()
            .position(|(a, b, _, c, cid)| h.at < *b && *a < h.end && kind(*c, *cid) == mine);
        if let Some(k) = overlapped
            && weight <= counted[k].2
        {
            continue;
        }
        let before = score;
        add(weight, v.phrase(h), h.at, id, &mut score);
        if score == before {
            continue; // this phrase counted already
        }
        match overlapped {
            // The stronger cue replaces the weaker one.
            Some(k) => {
                score -= counted[k].2;
                counted[k] = (
                    counted[k].0.min(h.at),
                    counted[k].1.max(h.end),
                    weight,
                    h.cue,
                    h.id,
                );
            }
            None => counted.push((h.at, h.end, weight, h.cue, h.id)),
        }
    }
    // Exasperated punctuation: "!!", "???", "?!"; a single "!" weighs less.
    let mut marks = false;
    for mark in ["!!", "??", "?!"] {
        if let Some(at) = v.norm.find(mark) {
            add(0.6, mark, at as u32, MARKS_ID, &mut score);
            marks = true;
            break;
        }
    }
    if !marks && let Some(at) = v.norm.find('!') {
        add(0.3, "!", at as u32, EXCLAIM_ID, &mut score);
    }
    // A count of tries ("asked five times", "问了五次", "三遍"): repeated failure.
    if let Some((at, end)) = repetition(v.norm)
        && !counted
            .iter()
            .any(|(a, b, _, c, _)| *c == Cue::Upset && at < *b && *a < end)
    {
        let text = v
            .norm
            .get(at as usize..end as usize)
            .unwrap_or_default()
            .to_string();
        add(0.7, &text, at, REPEAT_ID, &mut score);
    }
    // Waiting named: weak alone, it adds to the rest.
    if let Some((at, end, true)) = time
        && !counted
            .iter()
            .any(|(a, b, _, c, id)| *c == Cue::Upset && *id != SHOUT_ID && at < *b && *a < end)
    {
        let (a, b) = clause(v.norm, at);
        let text = v
            .norm
            .get(a as usize..b as usize)
            .unwrap_or_default()
            .trim()
            .to_string();
        add(0.4, &text, at, DURATION_ID, &mut score);
    }
    // The vendor's own words quoted back ("your 'quick fix' visit", "永远是“在审核”"),
    // and "都…了" ("眼泪都下来了", "理财都赎回来了"): weak, they add to the rest.
    if let Some((at, end)) = scare_quote(v.norm) {
        add(0.4, &v.norm[at..end], at as u32, QUOTE_ID, &mut score);
    }
    if let Some((at, end)) = dou_le(v.norm) {
        add(0.3, &v.norm[at..end], at as u32, DOU_ID, &mut score);
    }
    // "连…都…?" ("你们做翻译的连名字都能错?"): indignation asked.
    if let Some((at, end)) = lian_dou(v.norm) {
        add(0.7, &v.norm[at..end], at as u32, LIAN_ID, &mut score);
    }
    // Praise closing a complaint ("…oil all over my driveway. Fantastic."): irony.
    if score > 0.0
        && let Some((at, end)) = ironic_praise(v.norm)
    {
        add(0.6, &v.norm[at..end], at as u32, IRONY_ID, &mut score);
    }
    let calm: f32 = v.of(Cue::Calm).map(|h| h.weight).sum();
    // A fault reported after a greeting, with no exclamation, question of reproach or
    // shouting ("Hi, the bed frame creaks every time I turn over."), is a calm report:
    // it weighs against upset, though the agent's reply may still corroborate it.
    let greets = v
        .of(Cue::Greeting)
        .chain(v.of(Cue::GreetingStart))
        .any(|h| h.at == 0);
    let report = if greets
        && !v.norm.contains('!')
        && !v.norm.contains("??")
        && !counted
            .iter()
            .any(|(_, _, _, c, id)| *c == Cue::Rhetorical || *id == SHOUT_ID)
    {
        0.5
    } else {
        0.0
    };
    let net = score - calm - report;
    let (w, text, at) = best?;
    Some((net, w, text, at, calm))
}

/// "连 … 都 …?" in one sentence that ends in a question mark: the byte range.
fn lian_dou(norm: &str) -> Option<(usize, usize)> {
    for (at, _) in norm.match_indices('连') {
        let (_, b) = sentence(norm, at as u32);
        let s = &norm[at..b as usize];
        if s.contains('都') && norm[b as usize..].starts_with(['?', '？']) {
            return Some((at, b as usize));
        }
    }
    None
}

/// A few words in quotation marks ('quick fix', “在审核”): the byte range, marks included.
/// An apostrophe opens a quote only after a space, so "don't … it's" is none.
fn scare_quote(norm: &str) -> Option<(usize, usize)> {
    for (open, close) in [
        ('“', '”'),
        ('「', '」'),
        ('\'', '\''),
        ('"', '"'),
        ('‘', '’'),
    ] {
        let mut from = 0;
        while let Some(p) = norm[from..].find(open) {
            let at = from + p;
            let inner_at = at + open.len_utf8();
            from = inner_at;
            // In English an apostrophe opens a quote only after a space; in Chinese text
            // after any Chinese character ("写的'无霉无雾'").
            if open == '\''
                && !(at == 0 || norm[..at].ends_with(|c: char| c == ' ' || !c.is_ascii()))
            {
                continue;
            }
            let Some(q) = norm[inner_at..].find(close) else {
                break;
            };
            let inner = &norm[inner_at..inner_at + q];
            let chars = inner.chars().count();
            // A name quoted is no irony ("a 'bike not returned' charge").
            let after = norm[inner_at + q + close.len_utf8()..].trim_start();
            let named = [
                "charge", "fee", "button", "option", "tab", "menu", "setting", "费",
            ]
            .iter()
            .any(|n| after.starts_with(n));
            if (2..=24).contains(&chars) && !inner.contains(is_sentence_end) && !named {
                return Some((at, inner_at + q + close.len_utf8()));
            }
        }
    }
    None
}

/// "都 … 了" within a clause, a few characters apart ("眼泪都下来了", "都一个半月了");
/// not where what is done is fine ("都收到了", "都好了", "都明白了").
fn dou_le(norm: &str) -> Option<(usize, usize)> {
    const FINE: [&str; 10] = [
        "好",
        "收到",
        "明白",
        "清楚",
        "知道",
        "可以",
        "行",
        "没问题",
        "解决",
        "谢",
    ];
    for (at, _) in norm.match_indices('都') {
        let rest = &norm[at + '都'.len_utf8()..];
        for (seen, (i, c)) in rest.char_indices().enumerate() {
            if is_clause_end(c) || seen > 8 {
                break;
            }
            if c == '了' {
                let span = &rest[..i];
                if i > 0 && !FINE.iter().any(|f| span.contains(f)) {
                    return Some((at, at + '都'.len_utf8() + i + '了'.len_utf8()));
                }
                break;
            }
        }
    }
    None
}

/// A short sentence of praise after the first ("Fantastic.", "Really great investment.",
/// "真有你们的。"): said after a complaint, it is ironic.
fn ironic_praise(norm: &str) -> Option<(usize, usize)> {
    const PRAISE: [&str; 19] = [
        "fantastic",
        "brilliant",
        "great",
        "really great",
        "just great",
        "lovely",
        "perfect",
        "wonderful",
        "marvellous",
        "superb",
        "excellent",
        "amazing",
        "awesome",
        "gorgeous",
        "tremendous",
        "terrific",
        "太好了",
        "真棒",
        "好极了",
    ];
    let mut start = 0;
    for (i, c) in norm.char_indices() {
        if !is_sentence_end(c) {
            continue;
        }
        let s = norm[start..i].trim();
        let at = start + (norm[start..i].len() - norm[start..i].trim_start().len());
        if start > 0 && !s.is_empty() {
            let words = s.split(' ').count();
            let short = if s.is_ascii() {
                words <= 4
            } else {
                s.chars().count() <= 5
            };
            if short && PRAISE.iter().any(|p| s.starts_with(p)) {
                return Some((at, at + s.len()));
            }
        }
        start = i + c.len_utf8();
    }
    None
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
        if let Some(p) = v
            .of(Cue::Party)
            .find(|p| p.at >= s.0 && p.at < s.1 && !party_acts(v.norm, p, h))
        {
            return Judgement::Yes(v.pair(h, p, "sent to another party", 0.85));
        }
    }
    no()
}

/// The other party is the one acting ("The courier will call you", "快递员明天会联系您"):
/// named before the referral, with a future or modal between them.
fn party_acts(norm: &str, p: &Hit, referral: &Hit) -> bool {
    // "…the returns team for you, they'll ring you": the party, as a pronoun, acts.
    let before = norm
        .get(..referral.at as usize)
        .unwrap_or_default()
        .trim_end();
    if [
        "they'll",
        "they will",
        "they can",
        "they're going to",
        "他们会",
        "对方会",
    ]
    .iter()
    .any(|m| before.ends_with(m))
    {
        return true;
    }
    if p.at >= referral.at {
        return false;
    }
    let between = norm
        .get(p.end as usize..referral.at as usize)
        .unwrap_or_default();
    // In one clause, with the customer not told to do anything in between.
    let one_clause = !between.contains(is_clause_end);
    let told = [
        "you'll",
        "you will",
        "you need",
        "you have",
        "please",
        "您需要",
        "您得",
        "请",
    ]
    .iter()
    .any(|m| between.contains(m));
    one_clause
        && !told
        && [
            " will ",
            "'ll ",
            " may ",
            " should ",
            " is going to ",
            " are going to ",
            "会",
            "将",
        ]
        .iter()
        .any(|m| between.contains(m) || between.starts_with(m.trim_start()))
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
    let mut said = plain(v, Cue::Refusal, listed, false);
    if matches!(said, Judgement::No { .. })
        && let Some(f) = no_opener(v)
    {
        said = Judgement::Yes(f);
    }
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

/// An English word used attributively: after an article or possessive and before a
/// noun ("the broken washer", "my damaged box"), it describes rather than complains.
fn attributive(norm: &str, at: u32, end: u32) -> bool {
    let before = norm[..at as usize].trim_end();
    let det = ["the", "a", "an", "my", "this", "that", "your", "our"]
        .iter()
        .any(|d| {
            before.ends_with(d)
                && !before[..before.len() - d.len()].ends_with(|c: char| c.is_ascii_alphanumeric())
        });
    let after = &norm[end as usize..];
    let noun_follows = after.starts_with(' ')
        && after[1..].starts_with(|c: char| c.is_ascii_alphabetic())
        && ![
            "and ", "or ", "again", "now", "too", "as ", "because", "but ",
        ]
        .iter()
        .any(|w| after[1..].starts_with(w));
    det && noun_follows
}

fn ends_in_question(norm: &str, at: u32) -> bool {
    let (_, b) = sentence(norm, at);
    norm[b as usize..].starts_with(['?', '？'])
}

/// A question: it ends with a question mark, or (Chinese) holds a question particle.
fn is_question(norm: &str, at: u32) -> bool {
    if ends_in_question(norm, at) {
        return true;
    }
    let (a, b) = sentence(norm, at);
    let s = norm.get(a as usize..b as usize).unwrap_or_default();
    s.contains('吗') || s.ends_with('吧') || s.ends_with('呢')
}

/// A conditional in the clause around `at` ("if you're unhappy", "如果您觉得"): what
/// follows is supposed, not acknowledged.
fn conditional(norm: &str, at: u32) -> bool {
    let (a, b) = clause(norm, at);
    let c = norm.get(a as usize..b as usize).unwrap_or_default();
    c.starts_with("if ")
        || c.contains(" if ")
        || c.contains("如果")
        || c.contains("要是")
        || c.contains("假如")
}

/// The second person in `[a, b)` of `norm`, as written ("you", "your", "您", "你"); not
/// the greeting "您好" / "你好". Looked for only where a composed meaning needs it, so
/// it is no cue of the lexicon (it would be in nearly every turn).
fn second_person(norm: &str, (a, b): (u32, u32)) -> Option<&str> {
    let part = norm.get(a as usize..(b as usize).min(norm.len()))?;
    for (i, c) in part.char_indices() {
        match c {
            '您' | '你'
                if !part[i + c.len_utf8()..].starts_with('好')
                    && !negated(norm, a as usize + i) =>
            {
                return part.get(i..i + c.len_utf8());
            }
            'y' => {
                let boundary = !part[..i].ends_with(|p: char| p.is_ascii_alphanumeric());
                let word: &str = part[i..]
                    .split(|p: char| !(p.is_ascii_alphabetic() || p == '\''))
                    .next()
                    .unwrap_or_default();
                // "I don't see why you're upset": a negated second person is none.
                if boundary
                    && !negated(norm, a as usize + i)
                    && matches!(
                        word,
                        "you"
                            | "your"
                            | "you're"
                            | "you've"
                            | "you'd"
                            | "you'll"
                            | "yourself"
                            | "yourselves"
                            | "yours"
                    )
                {
                    return Some(word);
                }
            }
            _ => {}
        }
    }
    None
}

/// Empathy composed: a feeling or hard situation ("frustrating", "a horrible position",
/// "着急") said of the customer — second person in its sentence ("you must be
/// frustrated", "您肯定急坏了") or framed as acknowledged ("that sounds", "must have
/// been", "would wear anyone down", "换谁都会") — neither negated, nor supposed.
/// A feeling predicated of what happened ("losing a day's pay for nothing is
/// infuriating", "that's awful", "three days in the same clothes is grim"): the
/// situation the customer is in, named and judged as they would judge it. The words
/// between the sentence start `s` and the feeling at `at` end in a copula, perhaps with
/// an intensifier or an article; `None` otherwise.
fn predicated(norm: &str, s: u32, at: u32) -> Option<&'static str> {
    let before = norm.get(s as usize..at as usize)?.trim_end();
    let mut rest = before;
    loop {
        let t = rest.trim_end();
        let stripped = [
            "really",
            "so",
            "just",
            "genuinely",
            "truly",
            "pretty",
            "absolutely",
            "such",
            "a real",
            "an",
            "a",
            "properly",
            "incredibly",
            "completely",
        ]
        .iter()
        .find_map(|w| {
            t.strip_suffix(w)
                .filter(|r| r.is_empty() || r.ends_with(' '))
        });
        match stripped {
            Some(r) => rest = r,
            None => break,
        }
    }
    let t = rest.trim_end();
    // A copula with something before it: the situation judged, not "is it frustrating?".
    [" is", "'s", " was", "’s"]
        .into_iter()
        .find(|c| t.ends_with(c) && t.len() > c.len() + 1)
        .filter(|_| !t.ends_with("it is") && !t.ends_with("isn't"))
        .map(|_| "is …")
}

fn acknowledged(v: &View<'_>) -> Option<Finding> {
    for h in v.live(Cue::Feeling) {
        let s = sentence(v.norm, h.at);
        // "If you're unhappy with it…" supposes; "I'd be worried too if…" still frames.
        let framed_before = v.live(Cue::FeelFrame).any(|f| f.at >= s.0 && f.at < h.at);
        if conditional(v.norm, h.at) && !framed_before {
            continue;
        }
        let by = match v.live_in(Cue::FeelFrame, s) {
            Some(f) => Some((v.phrase(f), "acknowledgement")),
            None => second_person(v.norm, s)
                .map(|you| (you, "second person"))
                .or_else(|| predicated(v.norm, s.0, h.at).map(|is| (is, "said of the situation"))),
        };
        if let Some((by, how)) = by {
            return Some(v.finding(
                &format!("{by} … {}", v.phrase(h)),
                format!("feeling acknowledged ({how})"),
                h.at,
                0.8,
            ));
        }
    }
    None
}

/// Blame: a listed phrase or cue; the customer's side named as the cause in one clause
/// ("the mix-up came from your side", "是您保存方式有问题"); or a misuse supposed or asked
/// of the customer in one sentence ("Did you spill something on it?", "应该是您洗的时候
/// 甩干了"). Negated ("it's not down to anything you did", "不是您的问题") is no blame.
fn blame(v: &View<'_>, listed: &[Listed<'_>]) -> Judgement {
    let said = plain(v, Cue::Blame, listed, true);
    if matches!(said, Judgement::Yes(_)) {
        return said;
    }
    for a in v.live(Cue::Attrib) {
        if let Some(c) = v.live_in(Cue::Cause, clause(v.norm, a.at)) {
            return Judgement::Yes(v.pair(a, c, "the customer's side named as the cause", 0.8));
        }
    }
    // "您下单前没有比较一下吗?", "you didn't check the size": an omission said to the
    // customer (second person before it in its clause).
    for o in v.of(Cue::Omission).filter(|h| !v.harmless(h.at, h.end)) {
        let (a, _) = clause(v.norm, o.at);
        if let Some(y) = second_person(v.norm, (a, o.at)) {
            return Judgement::Yes(v.finding(
                &format!("{y} … {}", v.phrase(o)),
                "an omission said to the customer".into(),
                o.at,
                0.75,
            ));
        }
    }
    for q in v.live(Cue::BlameQ) {
        if let Some(m) = v
            .live_in(Cue::Misuse, sentence(v.norm, q.at))
            .filter(|m| m.at >= q.at)
        {
            return Judgement::Yes(v.pair(q, m, "a misuse supposed of the customer", 0.8));
        }
    }
    // A deflection: our side or the product cleared ("不是我们仓库的问题", "not a fault
    // with the unit") in a turn that names the customer's side ("是因为你们发货时…").
    if let (Some(d), Some(a)) = (denial(v), v.live(Cue::Attrib).next()) {
        let text = format!("{} … {d}", v.phrase(a));
        return Judgement::Yes(v.finding(
            &text,
            "our side cleared, the customer's named".into(),
            a.at,
            0.8,
        ));
    }
    said
}

/// A fault denied for our side or the thing itself: a cue ("not our fault", "不是我们"),
/// or "不是 X 的问题 / 原因" where X is not the customer ("不是您的问题" clears them).
fn denial<'a>(v: &View<'a>) -> Option<&'a str> {
    if let Some(d) = v.live(Cue::Deny).next() {
        return Some(LEXICON.set.original(d.id));
    }
    let mut from = 0;
    while let Some(p) = v.norm[from..].find("不是") {
        let at = from + p;
        let rest = &v.norm[at + "不是".len()..];
        let short: String = rest.chars().take(10).collect();
        if let Some(e) = short.find("的问题").or_else(|| short.find("的原因"))
            && !short[..e].contains(['您', '你', ',', '。'])
        {
            return v.norm.get(at..at + "不是".len() + e + "的问题".len());
        }
        from = at + "不是".len();
    }
    None
}

/// Resolution check: a listed phrase or cue; a check-back about the outcome asked as a
/// question ("Did that help?", "Is everything in the parcel?", "收到了吗?"); or the
/// outcome to be confirmed ("确认收到没问题我再结单").
fn resolution(v: &View<'_>, listed: &[Listed<'_>]) -> Judgement {
    let said = plain(v, Cue::Resolution, listed, true);
    if matches!(said, Judgement::Yes(_)) {
        return said;
    }
    // A taunt is no check ("行行行,都是我们的错,您满意了吧?").
    let taunt = |at: u32| {
        let s = sentence(v.norm, at);
        v.in_range(Cue::Rude, s) || v.in_range(Cue::Mock, s) || v.in_range(Cue::Sarcasm, s)
    };
    // A question about evidence is a demand, not a check ("a video showing it isn't
    // working?").
    let evidence = |at: u32| v.in_range(Cue::ProofObject, sentence(v.norm, at));
    if let Some(h) = v
        .live(Cue::CheckQ)
        .find(|h| is_question(v.norm, h.at) && !taunt(h.at) && !evidence(h.at))
    {
        return Judgement::Yes(v.finding(v.phrase(h), "check-back question".into(), h.at, 0.8));
    }
    for c in v.live(Cue::Confirm) {
        if let Some(o) = v.live_in(Cue::Outcome, sentence(v.norm, c.at)) {
            return Judgement::Yes(v.pair(c, o, "outcome to be confirmed", 0.8));
        }
        // An A-not-A question about the outcome ("您试一下拉链顺不顺").
        let (a, b) = sentence(v.norm, c.at);
        if let Some(q) = a_not_a(&v.norm[a as usize..b as usize]) {
            let text = format!("{} … {q}", v.phrase(c));
            return Judgement::Yes(v.finding(&text, "outcome to be confirmed".into(), c.at, 0.8));
        }
    }
    // Asked to try or look again, as a question ("您看一下,显示得对不对?", "could you
    // check the app shows it and let me know?").
    if let Some(c) = v
        .live(Cue::Confirm)
        .find(|c| ends_in_question(v.norm, c.at) && !taunt(c.at))
    {
        return Judgement::Yes(v.finding(
            v.phrase(c),
            "asked to check the outcome".into(),
            c.at,
            0.75,
        ));
    }
    said
}

/// "X不X" / "X没X" ("顺不顺", "对不对", "有没有"): a question whether it is so.
fn a_not_a(s: &str) -> Option<&str> {
    let chars: Vec<(usize, char)> = s.char_indices().collect();
    chars.windows(3).find_map(|w| {
        (matches!(w[1].1, '不' | '没') && w[0].1 == w[2].1 && !w[0].1.is_ascii())
            .then(|| &s[w[0].0..w[2].0 + w[2].1.len_utf8()])
    })
}

/// Closing: a listed phrase or cue, or a wish for what the customer does next
/// ("Happy running!", "happy baking").
fn closing(v: &View<'_>, listed: &[Listed<'_>]) -> Judgement {
    let said = plain(v, Cue::Closing, listed, true);
    if matches!(said, Judgement::Yes(_)) {
        return said;
    }
    // A wish in Chinese: a sentence opening with "祝" ("祝老人家身体健康!").
    if let Some((at, _)) = v
        .norm
        .match_indices('祝')
        .find(|(at, _)| sentence(v.norm, *at as u32).0 as usize == *at)
    {
        return Judgement::Yes(v.finding("祝…", "closing wish".into(), at as u32, 0.8));
    }
    let mut from = 0;
    while let Some(p) = v.norm[from..].find("happy ") {
        let at = from + p;
        let word: String = v.norm[at + 6..]
            .chars()
            .take_while(char::is_ascii_alphabetic)
            .collect();
        let boundary = at == 0 || !v.norm[..at].ends_with(|c: char| c.is_ascii_alphanumeric());
        if boundary && word.len() > 4 && word.ends_with("ing") {
            return Judgement::Yes(v.finding(
                &format!("happy {word}"),
                "closing wish".into(),
                at as u32,
                0.8,
            ));
        }
        from = at + 6;
    }
    said
}

/// A flat "No," opening a sentence with a negated verb after it ("No, she doesn't
/// work Saturdays"): a refusal in the agent's own words.
fn no_opener(v: &View<'_>) -> Option<Finding> {
    let mut start = 0usize;
    for (i, c) in v
        .norm
        .char_indices()
        .chain(std::iter::once((v.norm.len(), '.')))
    {
        if !is_sentence_end(c) && i < v.norm.len() {
            continue;
        }
        let s = v.norm.get(start..i).unwrap_or_default().trim_start();
        // After a greeting ("Hi, no, we don't take cash").
        let s = ["hi, ", "hello, ", "hey, "]
            .iter()
            .find_map(|g| s.strip_prefix(g))
            .unwrap_or(s);
        let rest = s
            .strip_prefix("no,")
            .or_else(|| s.strip_prefix("nope,"))
            .or_else(|| (s == "no").then_some(""))
            .or_else(|| s.strip_prefix("no "))
            .filter(|_| !s.starts_with("no problem") && !s.starts_with("no need"));
        // "No, you don't need to…", "No, that's not your fault", "No, that shouldn't
        // have happened": a release, a reassurance or an apology, not a refusal.
        let (sa, sb) = ((i - s.len()) as u32, i as u32);
        // Nor when the agent goes on to act ("No, that's not right, let me check").
        let reassures = [Cue::Release, Cue::Apology, Cue::Empathy, Cue::Harmless]
            .into_iter()
            .any(|c| v.in_range(c, (sa, sb)))
            || v.any(Cue::SelfAct)
            || [
                "fault", "problem", "worr", "need", "have to", "trouble", "bother",
            ]
            .iter()
            .any(|w| s.contains(w));
        // A bare Chinese no opening the sentence ("没有。", "不能,一卡一车。").
        let zh_no = ["不能", "不行", "没有", "不可以", "没法"]
            .iter()
            .find_map(|n| s.strip_prefix(n))
            .filter(|r| r.is_empty() || r.starts_with([',', '，']));
        if zh_no.is_some() && !reassures {
            return Some(v.finding(
                &s[..s.len() - zh_no.unwrap_or_default().len()],
                "refusal cue".into(),
                sa,
                0.8,
            ));
        }
        if let Some(rest) = rest.filter(|_| !reassures) {
            let negated_verb = rest
                .split(|c: char| !(c.is_ascii_alphabetic() || c == '\''))
                .any(|w| w.ends_with("n't") || matches!(w, "not" | "never" | "cannot"));
            // Or a bare "No." / a short "No, they stand." with nothing after it in the
            // sentence that reassures, acts or offers (checked for the turn by `refusal`).
            let words = rest.split_whitespace().count();
            let bare = rest.trim().is_empty() || words <= 4 && !rest.contains('?');
            if negated_verb || bare {
                return Some(v.finding("no, … not", "refusal cue".into(), sa, 0.8));
            }
        }
        start = i + c.len_utf8();
    }
    None
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
            cues: cues_of(text, &norm),
            norm,
            found: Vec::new(),
            key: 1,
        };
        matches!(judge(m, &t, &[]), Judgement::Yes(_))
    }

    // The cases below are written for these mechanisms, not taken from any blind set.

    #[test]
    fn upset_is_weighed_from_structure_not_one_word() {
        use pb::Meaning::Upset;
        let c = pb::Speaker::Customer;
        // One weak cue is not enough; with a named wait, a count of tries, shouting, a
        // rhetorical question or what it costs the customer, it is.
        assert!(!says(Upset, c, "The lid is cracked."));
        assert!(says(
            Upset,
            c,
            "The lid is cracked. I've been waiting two weeks for this."
        ));
        assert!(says(Upset, c, "I've been on hold for forty minutes."));
        assert!(says(Upset, c, "The lamp flickers AGAIN."));
        assert!(!says(Upset, c, "PLEASE CALL ME BACK ABOUT THE ORDER"));
        assert!(says(Upset, c, "So I'm supposed to just wait forever?"));
        assert!(says(Upset, c, "我已经打了四次电话,每次都说在处理"));
        assert!(says(Upset, c, "又卡住了!明天就要交报告"));
        assert!(says(
            Upset,
            c,
            "The printer keeps jamming and I need it for a client meeting."
        ));
        // An age or a short span is no waiting; overlapping cues count once; a calm
        // question and a playful tone weigh against.
        assert!(!says(Upset, c, "耳机买了二十天,想问下怎么配对?"));
        assert!(!says(
            Upset,
            c,
            "Hi! Torn between the blue and the grey lol"
        ));
        assert!(!says(Upset, c, "积分半小时了还没到账,这是正常的吗?"));
        assert!(!says(Upset, c, "Yes, it's about the broken hinge."));
        assert!(!says(
            Upset,
            c,
            "Honestly the best purchase I've made all year!"
        ));
        assert!(!says(
            Upset,
            c,
            "So annoyed with myself, I picked the wrong size."
        ));
    }

    #[test]
    fn empathy_is_a_feeling_said_of_the_customer() {
        use pb::Meaning::Empathy;
        let a = pb::Speaker::Agent;
        assert!(says(
            Empathy,
            a,
            "You must be exhausted after a morning like that."
        ));
        assert!(says(
            Empathy,
            a,
            "Three missed deliveries sounds incredibly stressful."
        ));
        assert!(says(
            Empathy,
            a,
            "Being without heating in winter is a miserable position."
        ));
        assert!(says(Empathy, a, "您这两天肯定特别心烦,我马上跟进。"));
        assert!(says(Empathy, a, "遇到这种情况谁都会生气的。"));
        // Not said of the customer, supposed, negated, or a greeting.
        assert!(!says(
            Empathy,
            a,
            "The courier said the roads were a nightmare today."
        ));
        assert!(!says(
            Empathy,
            a,
            "If you're unhappy with it, you can send it back."
        ));
        assert!(!says(
            Empathy,
            a,
            "Don't worry, you won't be charged twice."
        ));
        assert!(!says(
            Empathy,
            a,
            "I don't get why you're annoyed, it's one day."
        ));
        assert!(says(
            Empathy,
            a,
            "I'd be anxious too if my account showed that."
        ));
        assert!(!says(Empathy, a, "您好,您的订单已经发出。"));
        // Sarcasm voids it.
        assert!(!says(
            Empathy,
            a,
            "Oh wow, you must be so stressed, poor you."
        ));
    }

    #[test]
    fn conditional_apologies_are_mock_and_taking_the_fault_is_an_apology() {
        use pb::Meaning::{Apology, Rudeness};
        let a = pb::Speaker::Agent;
        assert!(!says(
            Apology,
            a,
            "Sorry if the manual was confusing for you."
        ));
        assert!(says(
            Rudeness,
            a,
            "Apologies if our delivery times don't suit you."
        ));
        assert!(says(Apology, a, "The delay was on our end, and I'm sorry."));
        assert!(says(Apology, a, "是我们这边没跟进好,这事怪我们。"));
    }

    #[test]
    fn blame_as_cause_question_or_omission() {
        use pb::Meaning::Blame;
        let a = pb::Speaker::Agent;
        assert!(says(Blame, a, "Did you put it through the dishwasher?"));
        assert!(says(
            Blame,
            a,
            "The error came from your side when the card was entered."
        ));
        assert!(says(Blame, a, "您是不是把它放进烤箱了?"));
        assert!(says(Blame, a, "这个故障是您使用方式的问题。"));
        assert!(says(Blame, a, "您付款前没有核对一下地址吗?"));
        // Neutral questions, reassurance and our own fault are no blame.
        assert!(!says(Blame, a, "Did you receive the tracking email?"));
        assert!(!says(Blame, a, "Have you tried switching it off and on?"));
        assert!(!says(
            Blame,
            a,
            "It's not down to anything you did, the fault was ours."
        ));
        assert!(!says(Blame, a, "不是您的问题,是系统的原因。"));
        assert!(!says(Blame, a, "您这边有问题随时找我。"));
    }

    #[test]
    fn refusals_runarounds_and_check_backs_in_own_words() {
        use pb::Meaning::{FlatRefusal, ResolutionCheck, Runaround};
        let a = pb::Speaker::Agent;
        assert!(says(FlatRefusal, a, "No, we don't deliver on Sundays."));
        assert!(!says(
            FlatRefusal,
            a,
            "No, you don't need to send anything else."
        ));
        assert!(!says(FlatRefusal, a, "No problem, I'll sort it."));
        assert!(says(FlatRefusal, a, "That colour is sold out."));
        assert!(!says(
            FlatRefusal,
            a,
            "That colour is sold out, but I can send the navy one instead."
        ));
        assert!(says(FlatRefusal, a, "定制款不退不换。"));
        assert!(!says(FlatRefusal, a, "这款停产了,不过可以给您换新款。"));
        assert!(says(
            Runaround,
            a,
            "You'll need to take the refund up with your insurer."
        ));
        assert!(says(Runaround, a, "请您本人去营业厅办理。"));
        assert!(!says(
            Runaround,
            a,
            "I've taken it up with the courier myself."
        ));
        assert!(!says(Runaround, a, "找到了,快递明天上门取件。"));
        // The other party acting is no runaround; being told to contact them is.
        assert!(!says(
            Runaround,
            a,
            "The courier will ring you before delivery."
        ));
        assert!(!says(Runaround, a, "快递员明天会联系您。"));
        assert!(says(
            Runaround,
            a,
            "The bank will sort it out, talk to them."
        ));
        assert!(!says(
            FlatRefusal,
            a,
            "That voucher has expired, but here's a new one."
        ));
        assert!(says(ResolutionCheck, a, "Did that sort it?"));
        assert!(says(ResolutionCheck, a, "Is the tracking showing now?"));
        assert!(says(ResolutionCheck, a, "Is Thursday ok?"));
        assert!(says(ResolutionCheck, a, "您那边收到了吗?"));
        assert!(says(ResolutionCheck, a, "等您收到后确认没问题我再关单。"));
        assert!(!says(
            ResolutionCheck,
            a,
            "Is it the black one or the white one?"
        ));
    }

    #[test]
    fn structural_cues_find_spans_counts_and_shouting() {
        assert!(duration("waited a whole sunday for nothing").is_some_and(|d| d.2));
        assert!(duration("six weeks old").is_some_and(|d| !d.2));
        assert!(duration("等了一个半月").is_some_and(|d| d.2));
        assert!(duration("才穿了两天").is_some_and(|d| !d.2));
        assert!(duration("see you at the shop").is_none());
        // Multi-byte separators keep offsets on character boundaries.
        let mixed = "订单—three days,还没到";
        let (a, b, _) = duration(mixed).unwrap();
        assert_eq!(&mixed[a as usize..b as usize], "three days");
        assert!(repetition("i've called five times").is_some());
        assert!(repetition("问了三遍").is_some());
        assert!(repetition("第二次").is_none());
        assert!(repetition("one time only").is_none());
        // Mixed scripts, emoji and odd punctuation: every meaning judged without panic.
        for text in [
            "订单—three days,还没到😂!!",
            "No,订单 five times…why?",
            "happy 🎉 happy",
            "你 you 您好,if 如果",
            "since",
            "两次次次",
            "¡¿ No, nope, no. ",
        ] {
            for m in [
                pb::Meaning::Upset,
                pb::Meaning::Empathy,
                pb::Meaning::Apology,
                pb::Meaning::Blame,
                pb::Meaning::FlatRefusal,
                pb::Meaning::Runaround,
                pb::Meaning::ResolutionCheck,
                pb::Meaning::Closing,
            ] {
                says(m, pb::Speaker::Customer, text);
            }
        }
        assert_eq!(shouted("It broke AGAIN today"), Some("AGAIN"));
        assert_eq!(shouted("ALL CAPS MESSAGE"), None);
        assert_eq!(shouted("Sent by DHL"), None);
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

    // Second structural widening: written for the mechanisms, not from blind-4.
    #[test]
    fn second_widening_feelings_refusals_runarounds_rudeness_and_checks() {
        use pb::Meaning::*;
        let a = pb::Speaker::Agent;
        // A feeling predicated of the situation is empathy; a question about it is not.
        assert!(says(
            Empathy,
            a,
            "Waiting in all day for nothing is infuriating."
        ));
        assert!(says(
            Empathy,
            a,
            "Finding the fridge defrosted is awful, I know."
        ));
        assert!(says(
            Empathy,
            a,
            "A bill like that would give anyone a jolt."
        ));
        assert!(!says(Empathy, a, "Is it infuriating to use?"));
        // Flat refusals in few words, after a greeting too; with an offer they are not.
        assert!(says(FlatRefusal, a, "Hello, no, we don't accept vouchers."));
        assert!(says(FlatRefusal, a, "No. The price stays."));
        assert!(says(FlatRefusal, a, "The decision is final."));
        assert!(!says(
            FlatRefusal,
            a,
            "No, but I can send a courier instead."
        ));
        assert!(!says(FlatRefusal, a, "No problem at all."));
        // Runarounds to offices, doctors, tradespeople and other teams.
        assert!(says(
            Runaround,
            a,
            "You'll need to call your GP practice for that."
        ));
        assert!(says(Runaround, a, "That's handled by the returns team."));
        assert!(says(
            Runaround,
            a,
            "Heating faults are the landlord's department."
        ));
        assert!(says(Runaround, a, "这个您得先去问问当地税务局。"));
        assert!(!says(
            Runaround,
            a,
            "I've called the returns team for you, they'll ring you."
        ));
        // Rudeness: impatience and ironic sympathy.
        assert!(says(Rudeness, a, "As I said, the fee stands."));
        assert!(says(Rudeness, a, "我都说了在设置里,您再好好找找。"));
        assert!(!says(Empathy, a, "哎哟,那您可真够辛苦的。"));
        // Checks: the outcome to be checked and reported after the fix; a taunt is none.
        assert!(says(
            ResolutionCheck,
            a,
            "Please let me know when it arrives."
        ));
        assert!(says(ResolutionCheck, a, "修好后您试试看网速正不正常。"));
        assert!(!says(ResolutionCheck, a, "行了行了,您满意了吧?"));
        assert!(says(Closing, a, "好的,周三见!"));
        // Blame: a misuse supposed or asked in more forms.
        assert!(says(Blame, a, "Did you reply to a text offering a prize?"));
        assert!(says(
            Blame,
            a,
            "Have you been resting it on a cushion while it charges?"
        ));
        assert!(says(
            Blame,
            a,
            "Looks like you'd left mobile data switched on abroad."
        ));
        assert!(says(Blame, a, "您用的充电器不是原装的吧?"));
        assert!(!says(
            Blame,
            a,
            "The engineer left the heating switched on for you."
        ));
        // Upset: complaint structure adds up; a calm question stays calm.
        let c = pb::Speaker::Customer;
        assert!(says(
            Upset,
            c,
            "It was supposed to arrive Monday, nobody rang, and I took a day off for it."
        ));
        assert!(says(
            Upset,
            c,
            "说好周一送到,结果连个电话都没有,我还请了假!"
        ));
        assert!(!says(
            Upset,
            c,
            "I ordered a blue one, can I check the colour?"
        ));
        assert!(!says(Upset, c, "请问我的订单到哪了?"));
    }

    // Third structural widening: written for the mechanisms, not from any blind set.
    #[test]
    fn third_widening_quotes_irony_deflection_checks_and_passive_refusals() {
        use pb::Meaning::*;
        let (a, c) = (pb::Speaker::Agent, pb::Speaker::Customer);
        // Weak structures add up: the vendor's words quoted back, "都…了", irony after a
        // complaint; alone, or in a happy turn, they do not.
        assert!(says(
            Upset,
            c,
            "Three weeks of 'priority support' and the printer is still offline. Superb."
        ));
        assert!(says(
            Upset,
            c,
            "工单都提了半个月了,一直是“处理中”,是要等到明年吗?"
        ));
        assert!(!says(
            Upset,
            c,
            "The engineer came and it works. Brilliant."
        ));
        assert!(!says(Upset, c, "文件我都收到了,谢谢。"));
        assert!(!says(Upset, c, "Can you check my \"home\" address?"));
        // A deflection names the customer's side and clears ours; clearing the customer
        // is no blame.
        assert!(says(
            Blame,
            a,
            "裂缝是因为您安装时没垫平,不是玻璃本身的问题。"
        ));
        assert!(says(
            Blame,
            a,
            "That's not our fault, the error came from your side."
        ));
        assert!(!says(Blame, a, "这不是您的问题,是我们系统的原因。"));
        assert!(!says(Blame, a, "不是我们不想退,规定需要三个工作日。"));
        // A misuse stated without a person, and a habit or a do-it-yourself supposed.
        assert!(says(
            Blame,
            a,
            "The bracket was clearly put together wrong."
        ));
        assert!(says(Blame, a, "您是不是总是开着盖子放冰箱里?"));
        assert!(says(
            Blame,
            a,
            "Did you try to reset the valve yourself at all?"
        ));
        // Asked to try again and report, as a question: a check; the agent looking is not.
        assert!(says(ResolutionCheck, a, "您再刷新一下页面,订单状态变了吗?"));
        assert!(says(
            ResolutionCheck,
            a,
            "Could you restart the router and let me know whether the light turns green?"
        ));
        assert!(!says(ResolutionCheck, a, "我看一下,好了,已经改好了。"));
        // Runarounds to a line, a counter or a shop; the agent ringing back is none.
        assert!(says(
            Runaround,
            a,
            "You'll need to phone the council's parking helpline about that."
        ));
        assert!(says(Runaround, a, "这个您得去问街道的服务中心。"));
        assert!(!says(Runaround, a, "有结果了我马上打给您。"));
        // Passive refusals, no authority, a result called final; an action is none.
        assert!(says(FlatRefusal, a, "The admin fee can't be refunded."));
        assert!(says(FlatRefusal, a, "我们这边没有权限修改。"));
        assert!(!says(FlatRefusal, a, "已经帮您举报下架了。"));
        // Condescension and "didn't I already" are rude.
        assert!(says(Rudeness, a, "It's in the menu. Pretty obvious."));
        assert!(says(Rudeness, a, "上午不是说过了吗?"));
    }

    // Fourth widening: written for the mechanisms, not from any blind set.
    #[test]
    fn fourth_widening_calm_requests_ordinals_checks_and_referrals() {
        use pb::Meaning::*;
        let (a, c) = (pb::Speaker::Agent, pb::Speaker::Customer);
        // A polite request weighs against upset; an ordinal of a recurring span for it.
        assert!(!says(Upset, c, "我的快递显示签收了但没收到,能帮我查查吗?"));
        assert!(says(
            Upset,
            c,
            "Fourth day this week the train app has crashed at the barrier!"
        ));
        assert!(says(Upset, c, "这是这个月第五次停电了,冰箱里的肉都化了。"));
        // Putting oneself in their place is empathy.
        assert!(says(
            Empathy,
            a,
            "Paying twice for one order - I'd be livid too."
        ));
        // An A-not-A question about the outcome, or a report asked for, is a check.
        assert!(says(ResolutionCheck, a, "换好后您开一下看看,灯亮不亮?"));
        assert!(says(
            ResolutionCheck,
            a,
            "Could you drop me a line once the parcel has arrived?"
        ));
        // Said to the customer, an omission or a mix-up asked is blame.
        assert!(says(Blame, a, "您是不是没按说明书先充满电?"));
        assert!(says(
            Blame,
            a,
            "Are you sure you paid into this account and not the old one?"
        ));
        // Handed to another party in more words.
        assert!(says(
            Runaround,
            a,
            "Deliveries are dealt with by the courier, so you'll need to email them."
        ));
        // A passive or unsupported no is a refusal; with a date offered it is not.
        assert!(says(FlatRefusal, a, "Cash payments aren't possible."));
        assert!(!says(
            FlatRefusal,
            a,
            "Friday is fully booked, the nearest free slot is Monday at 9."
        ));
        // Impatience and sarcasm in more words.
        assert!(says(
            Rudeness,
            a,
            "As I've already explained, the fee stays."
        ));
        assert!(says(Rudeness, a, "哟,您可比我们工程师还专业。"));
    }

    // Fifth widening: written for the mechanisms, not from any blind set.
    #[test]
    fn fifth_widening_calm_reports_indignation_checks_and_dismissals() {
        use pb::Meaning::*;
        let (a, c) = (pb::Speaker::Agent, pb::Speaker::Customer);
        // A fault reported after a greeting is calm; with reproach or exclamation it is not.
        assert!(!says(
            Upset,
            c,
            "Hi, the kettle switches itself off every time it boils."
        ));
        assert!(says(
            Upset,
            c,
            "Hi, the kettle switches itself off every time it boils!! Third one!"
        ));
        // "连…都…?" is indignation.
        assert!(says(Upset, c, "合同明天就要交,你们连日期都能写错?"));
        // An instruction to check the outcome, or to ring if it is not right, is a check.
        assert!(says(
            ResolutionCheck,
            a,
            "When the card comes, check the name on it matches your passport."
        ));
        assert!(says(
            ResolutionCheck,
            a,
            "装好后用两天,如果还漏水您随时告诉我。"
        ));
        // "不行" as an intensifier is no refusal; a bare "没有。" is one.
        assert!(!says(FlatRefusal, a, "您肯定急得不行,我马上安排。"));
        assert!(says(FlatRefusal, a, "没有。"));
        // Dismissing the upset is rude; reassuring someone who called themselves silly
        // is not.
        assert!(says(Rudeness, a, "不就晚了半天嘛,至于急成这样?"));
        assert!(!says(
            Rudeness,
            a,
            "You're not an idiot at all, it's well hidden."
        ));
        // A passenger or a spot supposed is blame; asking whether it is what they wanted
        // is not.
        assert!(says(Blame, a, "Were you carrying a passenger at the time?"));
        assert!(!says(Blame, a, "收到后看看颜色是不是您想要的。"));
    }

    // Sixth widening: written for the mechanisms, not from any blind set.
    #[test]
    fn sixth_widening_referrals_refusals_condescension_and_checks() {
        use pb::Meaning::*;
        let (a, c) = (pb::Speaker::Agent, pb::Speaker::Customer);
        // Told to sort it out themselves, or that it is a question for someone else.
        assert!(says(
            Runaround,
            a,
            "It would be faster if you rang the manufacturer yourself."
        ));
        assert!(says(Runaround, a, "That's a question for your accountant."));
        assert!(says(Runaround, a, "建议您直接联系品牌售后。"));
        // A situation is no refusal; "we don't do" is one.
        assert!(!says(
            FlatRefusal,
            a,
            "Three weeks unable to work is awful, I'm so sorry."
        ));
        assert!(says(FlatRefusal, a, "这种情况我们不做退款。"));
        // Condescension about what is written is rude.
        assert!(says(Rudeness, a, "It says so on the invoice, in bold."));
        // "Check it works" after the fix is a check.
        assert!(says(
            ResolutionCheck,
            a,
            "Once the engineer leaves, check the heating works in every room."
        ));
        // A lawyer named, or money lost on something never used, is upset.
        assert!(says(
            Upset,
            c,
            "So I'm out £300 for a course I never got to start. I'm speaking to a solicitor."
        ));
        // Empathy as sharing the feeling.
        assert!(says(Empathy, a, "照片没了,我心里也很难受。"));
    }

    // Seventh widening: written for the mechanisms, not from any blind set.
    #[test]
    fn seventh_widening_reasons_wishes_checks_and_referrals_to_the_agent() {
        use pb::Meaning::*;
        let (a, c) = (pb::Speaker::Agent, pb::Speaker::Customer);
        // The customer's side as the reason, a misuse supposed.
        assert!(says(Blame, a, "审核没通过是因为您这边材料不全。"));
        assert!(says(
            Blame,
            a,
            "Was your router on standby mode when he called?"
        ));
        // Ringing the agent is no referral; ringing the lab directly is one.
        assert!(!says(
            Runaround,
            a,
            "If it happens again, ring me directly on this number."
        ));
        assert!(says(
            Runaround,
            a,
            "You'll need to contact the test centre directly."
        ));
        // "X没X" after a look is a check; a Chinese wish is a closing.
        assert!(says(ResolutionCheck, a, "明天您检查下水管还有没有渗水。"));
        assert!(says(Closing, a, "祝您和家人新年快乐!"));
        // Money down the drain is upset; a greeting with "??" is no calm report.
        assert!(says(
            Upset,
            c,
            "So that's £40 down the drain then, after waiting three weeks."
        ));
        assert!(!says(Upset, c, "Well, that's £40 down the drain then."));
        assert!(says(
            Upset,
            c,
            "Hello?? Third week waiting for my deposit, is anyone there?"
        ));
        // A question about evidence is no resolution check.
        assert!(!says(
            ResolutionCheck,
            a,
            "Do you have a photo showing the damage?"
        ));
    }

    // Eighth widening: written for the mechanisms, not from any blind set.
    #[test]
    fn eighth_widening_rhetoric_sarcasm_and_quotes_in_chinese() {
        use pb::Meaning::*;
        let (a, c) = (pb::Speaker::Agent, pb::Speaker::Customer);
        // A quote after a Chinese character is a quote; sarcastic thanks are upset.
        assert!(says(
            Upset,
            c,
            "页面写的'当天发货',一周了还没动静,这就是你们说的极速达?"
        ));
        assert!(says(Upset, c, "Thanks for ruining our anniversary dinner."));
        // Conditional dissatisfaction is no upset.
        assert!(!says(Upset, c, "能先试用一周吗?不满意再退。"));
        // "What are you so worked up about" and mock fondness are rude.
        assert!(says(Rudeness, a, "您激动什么,又不是我让它坏的。"));
        assert!(says(
            Rudeness,
            a,
            "There's no need to get so worked up about a scratch."
        ));
        // A habit or a move supposed is blame; asking what they need is not.
        assert!(says(Blame, a, "您是不是把冰箱挪到暖气旁边了?"));
        assert!(!says(Blame, a, "您是不是需要开发票?我们开的是电子发票。"));
        // "Nobody can help it" is no refusal; outside the cover is one.
        assert!(!says(FlatRefusal, a, "下雨这种事谁也没办法,我们给您改期。"));
        assert!(says(FlatRefusal, a, "间接损失不在赔付范围内。"));
    }
}
