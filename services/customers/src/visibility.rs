//! What a customer's people may see of the vendor's supply chain: one rule for every
//! message and text this service returns.
//!
//! They see **places and times** — a depot's display name and country ("Lima, PE"), the
//! promised and current arrival, the parts and quantities for their incidents — and
//! never the vendor's internal resource names: depots, reservations, stock levels,
//! coverage registrations. The supply-chain service itself answers customer people
//! without depots, so the two services agree.
//!
//! Applied at the edge, by caller: structured fields holding such names are emptied
//! ([`id`]), and texts are rewritten ([`text`]): a name in parentheses after its place
//! ("Lima, PE (depots/lima)") is dropped, any other becomes a plain word ("a depot").
//! Texts are therefore written for vendor staff with the place first and the id in
//! parentheses, so both audiences read them well.

use std::borrow::Cow;
use symbolon_platform::Caller;

/// Whether `caller` may see supply-chain resource names.
pub(crate) fn sees_ids(caller: &Caller) -> bool {
    caller.is_vendor()
}

/// A supply-chain resource name as `caller` may see it: itself, or empty.
pub(crate) fn id(caller: &Caller, name: String) -> String {
    if sees_ids(caller) {
        name
    } else {
        String::new()
    }
}

/// A text as `caller` may see it.
pub(crate) fn text<'a>(caller: &Caller, s: &'a str) -> Cow<'a, str> {
    if sees_ids(caller) {
        Cow::Borrowed(s)
    } else {
        redact(s)
    }
}

/// The place of a depot in words, e.g. "Lima, PE"; its id when it has no name.
pub(crate) fn place(display_name: &str, country: &str, depot: &str) -> String {
    match (display_name.trim(), country.trim()) {
        ("", "") => depot.to_string(),
        ("", c) => format!("a depot in {c}"),
        (n, "") => n.to_string(),
        (n, c) => format!("{n}, {c}"),
    }
}

/// A place followed by its depot's name in parentheses, for texts ("Lima, PE
/// (depots/lima)"); customers see the place alone.
pub(crate) fn place_and_id(place: &str, depot: &str) -> String {
    if depot.is_empty() || place == depot {
        depot.to_string()
    } else {
        format!("{place} ({depot})")
    }
}

/// The collections whose names are internal, and the word a customer reads instead.
const HIDDEN: &[(&str, &str)] = &[
    ("coverageRegistrations/", "a coverage watch"),
    ("depots/", "a depot"),
];

fn is_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '/' | '*')
}

/// Rewrites every internal name in `s` (see the module docs).
pub fn redact(s: &str) -> Cow<'_, str> {
    if !HIDDEN.iter().any(|(p, _)| s.contains(p)) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    loop {
        let next = HIDDEN
            .iter()
            .filter_map(|(p, word)| rest.find(p).map(|at| (at, *p, *word)))
            .filter(|(at, _, _)| {
                // Only a name that starts a word: "…/depots/x" inside another path is
                // not a depot's name.
                *at == 0 || !rest[..*at].ends_with(|c: char| c.is_ascii_alphanumeric() || c == '/')
            })
            .min_by_key(|(at, _, _)| *at);
        let Some((at, prefix, word)) = next else {
            out.push_str(rest);
            return Cow::Owned(out);
        };
        let tail = &rest[at + prefix.len()..];
        let len = tail.find(|c: char| !is_id_char(c)).unwrap_or(tail.len());
        let len = tail[..len].trim_end_matches(['.', '/']).len();
        let end = at + prefix.len() + len;
        let before = &rest[..at];
        if before.ends_with(" (") && rest[end..].starts_with(')') {
            // "Lima, PE (depots/lima)": the place already says it.
            out.push_str(&before[..before.len() - 2]);
            rest = &rest[end + 1..];
        } else {
            out.push_str(before);
            let name = &tail[..len];
            out.push_str(if name.contains("/reservations/") {
                "a reservation"
            } else if name.contains("/stockLevels/") {
                "a depot's stock"
            } else {
                word
            });
            rest = &rest[end..];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_parentheses_go_and_bare_names_become_words() {
        assert_eq!(
            redact("best achievable 5 h from Santiago, CL (depots/scl) (window 4 h)"),
            "best achievable 5 h from Santiago, CL (window 4 h)"
        );
        assert_eq!(
            redact("customers/a/sites/lima not covered: depots/lima status OPERATIONAL -> OUTAGE"),
            "customers/a/sites/lima not covered: a depot status OPERATIONAL -> OUTAGE"
        );
        assert_eq!(
            redact("SPX-400 x1 held by depots/lima/reservations/0193-ab."),
            "SPX-400 x1 held by a reservation."
        );
        assert_eq!(
            redact("registered as coverageRegistrations/abc"),
            "registered as a coverage watch"
        );
        assert_eq!(redact("nothing to hide"), "nothing to hide");
        assert_eq!(
            redact("customers/depots/x stays"),
            "customers/depots/x stays"
        );
    }

    #[test]
    fn places_read_as_words() {
        assert_eq!(place("Lima", "PE", "depots/lima"), "Lima, PE");
        assert_eq!(place("", "", "depots/lima"), "depots/lima");
        assert_eq!(redact(&place_and_id("Lima, PE", "depots/lima")), "Lima, PE");
    }
}
