//! Text normalisation and phrase matching for Chinese and English alike.
//!
//! No word segmentation: phrases are found as substrings of normalised text. Full-width
//! forms U+FF01..U+FF5E become their ASCII counterparts, the ideographic space U+3000 a
//! space, everything is lowercased and runs of white space collapse to one space. A
//! phrase that starts (ends) with an ASCII letter or digit must start (end) at a word
//! boundary, so "hi" does not match inside "this"; CJK phrases match anywhere.
//!
//! A phrase found right after a negation in the same clause ("not sorry", "没有抱歉") is
//! marked negated: it fulfils no expectation (an apology, an empathy phrase, a trigger),
//! but a forbidden phrase stays forbidden however it is wrapped.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Normalises one character into `out` (lowercasing may yield several).
fn push_normalised(c: char, out: &mut String) {
    let c = match c as u32 {
        0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFF01 + 0x21).unwrap_or(c),
        0x3000 => ' ',
        _ => c,
    };
    if c.is_whitespace() {
        if !out.is_empty() && !out.ends_with(' ') {
            out.push(' ');
        }
        return;
    }
    if c.is_ascii() {
        out.push(c.to_ascii_lowercase());
    } else {
        out.extend(c.to_lowercase());
    }
}

/// The normalised form of `text`: half-width, lowercase, single spaces, trimmed.
pub fn normalise(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        push_normalised(c, &mut out);
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// Only the letters and digits of normalised text: two replies that differ only in
/// punctuation or spacing are the same reply.
pub fn loose(norm: &str) -> String {
    norm.chars().filter(|c| c.is_alphanumeric()).collect()
}

fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric()
}

/// A small, fast, deterministic hasher for `char` keys (FxHash's mixing step).
#[derive(Default, Clone, Copy)]
pub struct CharHasher(u64);

impl Hasher for CharHasher {
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u32(u32::from(*b));
        }
    }
    fn write_u32(&mut self, i: u32) {
        self.0 = (self.0.rotate_left(5) ^ u64::from(i)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

type CharMap<V> = HashMap<char, V, BuildHasherDefault<CharHasher>>;

/// A set of phrases compiled for matching many texts at once: every phrase gets an id;
/// [`PhraseSet::find`] returns the ids (and positions) of the phrases in a text. Phrases
/// are indexed by their first character (a table for ASCII, a hash map for the rest),
/// so each position of a text is compared only with the phrases that can start there.
#[derive(Debug, Default, Clone)]
pub struct PhraseSet {
    /// Phrases as given (for evidence).
    originals: Vec<String>,
    /// Normalised phrases.
    normalised: Vec<String>,
    /// Whether the phrase must start / end at an ASCII word boundary.
    bounds: Vec<(bool, bool)>,
    /// Phrase ids by first character: ASCII by table, others by map.
    ascii: Vec<Vec<u32>>,
    other: CharMap<Vec<u32>>,
    index: HashMap<String, u32>,
}

/// One phrase found in a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found {
    /// The phrase id.
    pub id: u32,
    /// Byte offset in the normalised text.
    pub at: u32,
    /// Whether a negation comes right before it (see [`negated`]).
    pub negated: bool,
}

/// English words that negate what follows them in the same clause (besides every word
/// ending in "n't").
const NEGATIONS: [&str; 8] = [
    "not", "no", "never", "cannot", "without", "hardly", "nothing", "nobody",
];
/// Chinese characters that negate what directly follows them. Not 非 or 别: "非常抱歉"
/// and "特别抱歉" are apologies.
const CJK_NEGATIONS: [char; 3] = ['不', '没', '未'];

fn ends_clause(c: char) -> bool {
    matches!(
        c,
        ',' | '.' | '!' | '?' | ';' | ':' | '，' | '。' | '！' | '？' | '；' | '：' | '、'
    )
}

/// Whether what starts at byte `at` of normalised `text` is negated: one of the three
/// words before it in its clause is a negation ("not", "never", "don't"…), or one of the
/// two characters right before it is 不, 没 or 未.
pub fn negated(text: &str, at: usize) -> bool {
    let before = text.get(..at).unwrap_or_default();
    let clause = before
        .rfind(ends_clause)
        .map_or(before, |p| &before[p..])
        .trim_end();
    // An A-not-A question asks, it does not negate ("是不是经常…", "有没有收到").
    if ["是不是", "有没有", "能不能", "会不会", "要不要", "可不可以"]
        .iter()
        .any(|q| clause.ends_with(q))
    {
        return false;
    }
    if clause
        .chars()
        .rev()
        .take(2)
        .any(|c| CJK_NEGATIONS.contains(&c))
    {
        return true;
    }
    let words: Vec<&str> = clause
        .split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’'))
        .filter(|w| !w.is_empty())
        .collect();
    let n = words.len();
    (n.saturating_sub(3)..n).any(|i| {
        let w = words[i];
        // "for nothing" is in vain, not a negation ("a day's pay for nothing is
        // infuriating").
        if w == "nothing" && i > 0 && words[i - 1] == "for" {
            return false;
        }
        NEGATIONS.contains(&w) || w.ends_with("n't") || w.ends_with("n’t")
    })
}

impl PhraseSet {
    /// Adds `phrase` (if not there yet) and returns its id; `None` for an empty phrase.
    pub fn add(&mut self, phrase: &str) -> Option<u32> {
        let n = normalise(phrase);
        let first = n.chars().next()?;
        if let Some(id) = self.index.get(&n) {
            return Some(*id);
        }
        let id = self.normalised.len() as u32;
        let bounds = (is_word(first), n.chars().last().is_some_and(is_word));
        if first.is_ascii() {
            if self.ascii.is_empty() {
                self.ascii = vec![Vec::new(); 128];
            }
            self.ascii[first as usize].push(id);
        } else {
            self.other.entry(first).or_default().push(id);
        }
        self.index.insert(n.clone(), id);
        self.originals.push(phrase.trim().to_string());
        self.normalised.push(n);
        self.bounds.push(bounds);
        Some(id)
    }

    /// The phrase as written in the standard.
    pub fn original(&self, id: u32) -> &str {
        self.originals
            .get(id as usize)
            .map(String::as_str)
            .unwrap_or_default()
    }

    /// The length in bytes of the normalised phrase.
    pub fn len(&self, id: u32) -> usize {
        self.normalised.get(id as usize).map_or(0, String::len)
    }

    /// How many phrases were added (ids are `0..count`).
    pub fn count(&self) -> u32 {
        self.normalised.len() as u32
    }

    /// The normalised phrase.
    pub fn normalised(&self, id: u32) -> &str {
        self.normalised
            .get(id as usize)
            .map(String::as_str)
            .unwrap_or_default()
    }

    /// Whether phrase `id`, found at byte `at` of normalised `text`, sits on the word
    /// boundaries it needs ("hi" is no greeting inside "this").
    pub fn on_boundaries(&self, text: &str, id: u32, at: usize) -> bool {
        let Some(&(start, end)) = self.bounds.get(id as usize) else {
            return false;
        };
        let after = at + self.len(id);
        !(start
            && text
                .get(..at)
                .and_then(|t| t.chars().next_back())
                .is_some_and(is_word)
            || end
                && text
                    .get(after..)
                    .and_then(|t| t.chars().next())
                    .is_some_and(is_word))
    }

    /// Whether no phrase was added.
    pub fn is_empty(&self) -> bool {
        self.normalised.is_empty()
    }

    /// Every occurrence of every phrase in `text` (already normalised), in order: what
    /// scoped rules need (a release in each clause, not only the first).
    pub fn find_all(&self, text: &str) -> Vec<Found> {
        let bytes = text.as_bytes();
        let mut out = Vec::new();
        let mut prev: Option<char> = None;
        for (i, c) in text.char_indices() {
            let candidates = if c.is_ascii() {
                self.ascii.get(c as usize)
            } else {
                self.other.get(&c)
            };
            for &id in candidates.into_iter().flatten() {
                let p = &self.normalised[id as usize];
                if !bytes[i..].starts_with(p.as_bytes()) {
                    continue;
                }
                let (start_bound, end_bound) = self.bounds[id as usize];
                if start_bound && prev.is_some_and(is_word) {
                    continue;
                }
                let end = i + p.len();
                if end_bound && text[end..].chars().next().is_some_and(is_word) {
                    continue;
                }
                out.push(Found {
                    id,
                    at: i as u32,
                    negated: negated(text, i),
                });
            }
            prev = Some(c);
        }
        out
    }

    /// Every phrase occurring in `text` (already normalised), once each: its first
    /// occurrence not negated, or its first if every one is.
    pub fn find(&self, text: &str) -> Vec<Found> {
        let bytes = text.as_bytes();
        let mut out: Vec<Found> = Vec::new();
        // Whether a found phrase moved to a later occurrence (order is by position).
        let mut moved = false;
        let mut prev: Option<char> = None;
        for (i, c) in text.char_indices() {
            let candidates = if c.is_ascii() {
                self.ascii.get(c as usize)
            } else {
                self.other.get(&c)
            };
            if let Some(candidates) = candidates {
                for &id in candidates {
                    let p = &self.normalised[id as usize];
                    if !bytes[i..].starts_with(p.as_bytes()) {
                        continue;
                    }
                    let (start_bound, end_bound) = self.bounds[id as usize];
                    if start_bound && prev.is_some_and(is_word) {
                        continue;
                    }
                    let end = i + p.len();
                    if end_bound && text[end..].chars().next().is_some_and(is_word) {
                        continue;
                    }
                    let at = i as u32;
                    match out.iter_mut().find(|f| f.id == id) {
                        None => out.push(Found {
                            id,
                            at,
                            negated: negated(text, i),
                        }),
                        // "Not sorry. Sorry!" apologises: the first plain occurrence counts.
                        Some(f) if f.negated && !negated(text, i) => {
                            *f = Found {
                                id,
                                at,
                                negated: false,
                            };
                            moved = true;
                        }
                        Some(_) => {}
                    }
                }
            }
            prev = Some(c);
        }
        if moved {
            out.sort_by_key(|f| f.at);
        }
        out
    }
}

/// A hash of the letters and digits of normalised text (see [`loose`]), for spotting
/// repeated replies without allocating.
pub fn loose_hash(norm: &str) -> u64 {
    let mut h = CharHasher::default();
    let mut any = false;
    for c in norm.chars().filter(|c| c.is_alphanumeric()) {
        h.write_u32(c as u32);
        any = true;
    }
    if any { h.finish() | 1 } else { 0 }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    #[test]
    fn negation_right_before_a_phrase_in_the_same_clause() {
        let neg = |t: &str, p: &str| {
            let t = normalise(t);
            negated(&t, t.find(p).expect("phrase in text"))
        };
        assert!(neg("I'm not sorry", "sorry"));
        assert!(neg("We don't apologise for that", "apologise"));
        assert!(neg("we never said sorry", "sorry"));
        assert!(neg("I won’t apologize", "apologize"));
        assert!(neg("我们没有抱歉", "抱歉"));
        assert!(neg("我不理解您的心情", "理解您的心情"));
        assert!(!neg("I'm so sorry", "sorry"));
        assert!(!neg("No problem, sorry for the wait", "sorry"));
        assert!(!neg("not at all what you expected. sorry", "sorry"));
        assert!(!neg("非常抱歉", "抱歉"));
        assert!(!neg("特别抱歉", "抱歉"));
        assert!(!neg("真不好意思", "不好意思"));
        assert!(!neg("我不知道,抱歉", "抱歉"));
        assert!(!neg("no idea why you are upset", "upset"));
        assert!(!neg("waiting in for nothing is infuriating", "infuriating"));
        assert!(neg("nothing infuriating about it", "infuriating"));
    }

    #[test]
    fn a_plain_occurrence_wins_over_a_negated_one() {
        let mut s = PhraseSet::default();
        let sorry = s.add("sorry").unwrap();
        let found = s.find(&normalise("Not sorry? Sorry!"));
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].id, sorry);
        assert!(!found[0].negated);
        assert_eq!(found[0].at, 11);
        assert!(s.find(&normalise("I am not sorry"))[0].negated);
    }

    use super::*;

    #[test]
    fn full_width_and_case_are_folded() {
        assert_eq!(normalise("ＨＥＬＬＯ，　Ｗｏｒｌｄ！"), "hello, world!");
        assert_eq!(normalise("  您好\t\n  亲 "), "您好 亲");
        assert_eq!(normalise("Straße"), "straße");
    }

    #[test]
    fn phrases_match_cjk_anywhere_and_ascii_on_word_boundaries() {
        let mut s = PhraseSet::default();
        let hi = s.add("Hi").unwrap();
        let nin = s.add("您好").unwrap();
        let sorry = s.add("ＳＯＲＲＹ").unwrap();
        assert_eq!(s.add("hi "), Some(hi), "duplicates share an id");
        assert!(s.add("  ").is_none());
        let t = normalise("This is it");
        assert!(s.find(&t).is_empty(), "hi inside 'this' is no greeting");
        let t = normalise("HI there, so sorry!");
        let ids: Vec<u32> = s.find(&t).iter().map(|f| f.id).collect();
        assert_eq!(ids, vec![hi, sorry]);
        let t = normalise("亲,您好呀");
        assert_eq!(s.find(&t)[0].id, nin);
        assert_eq!(s.original(sorry), "ＳＯＲＲＹ");
    }
}
