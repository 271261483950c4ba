//! Text normalisation and phrase matching for Chinese and English alike.
//!
//! No word segmentation: phrases are found as substrings of normalised text. Full-width
//! forms U+FF01..U+FF5E become their ASCII counterparts, the ideographic space U+3000 a
//! space, everything is lowercased and runs of white space collapse to one space. A
//! phrase that starts (ends) with an ASCII letter or digit must start (end) at a word
//! boundary, so "hi" does not match inside "this"; CJK phrases match anywhere.

use std::collections::HashMap;

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

/// A set of phrases compiled for matching many texts at once: every phrase gets an id;
/// [`PhraseSet::find`] returns the ids (and positions) of the phrases in a text.
#[derive(Debug, Default, Clone)]
pub struct PhraseSet {
    /// Phrases as given (for evidence).
    originals: Vec<String>,
    /// Normalised phrases.
    normalised: Vec<String>,
    /// Whether the phrase must start / end at an ASCII word boundary.
    bounds: Vec<(bool, bool)>,
    /// Phrase ids by the first byte of their normalised form.
    by_first: HashMap<u8, Vec<u32>>,
    index: HashMap<String, u32>,
}

/// One phrase found in a text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Found {
    /// The phrase id.
    pub id: u32,
    /// Byte offset in the normalised text.
    pub at: u32,
}

impl PhraseSet {
    /// Adds `phrase` (if not there yet) and returns its id; `None` for an empty phrase.
    pub fn add(&mut self, phrase: &str) -> Option<u32> {
        let n = normalise(phrase);
        if n.is_empty() {
            return None;
        }
        if let Some(id) = self.index.get(&n) {
            return Some(*id);
        }
        let id = self.normalised.len() as u32;
        let first = n.as_bytes()[0];
        let bounds = (
            n.chars().next().is_some_and(is_word),
            n.chars().last().is_some_and(is_word),
        );
        self.by_first.entry(first).or_default().push(id);
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

    /// Every phrase occurring in `text` (already normalised), first occurrence each,
    /// in order of position.
    pub fn find(&self, text: &str) -> Vec<Found> {
        let bytes = text.as_bytes();
        let mut out: Vec<Found> = Vec::new();
        for (i, b) in bytes.iter().enumerate() {
            // Only char boundaries start a phrase (continuation bytes are 10xxxxxx).
            if b & 0xC0 == 0x80 {
                continue;
            }
            let Some(candidates) = self.by_first.get(b) else {
                continue;
            };
            for &id in candidates {
                let p = &self.normalised[id as usize];
                if !bytes[i..].starts_with(p.as_bytes()) {
                    continue;
                }
                let (start_bound, end_bound) = self.bounds[id as usize];
                if start_bound && text[..i].chars().next_back().is_some_and(is_word) {
                    continue;
                }
                let end = i + p.len();
                if end_bound && text[end..].chars().next().is_some_and(is_word) {
                    continue;
                }
                if !out.iter().any(|f| f.id == id) {
                    out.push(Found { id, at: i as u32 });
                }
            }
        }
        out
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
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
