//! The trust index: 0 to 100, the weighted sum of five inputs, each scored 0 to 1. An
//! analyst can reproduce it by hand from the dashboard's own figures:
//!
//! | input | weight | score |
//! |---|---|---|
//! | `sentiment` | 0.40 | (mean of valence × intensity / 5 + 1) / 2 over the quarter's touchpoints; 0.5 when there are none |
//! | `mood_trend` | 0.10 | (last month's mean − first month's mean + 1) / 2, clamped to 0..1; 0.5 with fewer than two months |
//! | `incident_load` | 0.25 | 1 / (1 + load), load = Σ per incident: critical 1, major 0.5, minor 0.2, concern 0.1 |
//! | `responsiveness` | 0.10 | min(1, 30 min / mean time to acknowledge); 1 with no incidents, 0 if none was acknowledged |
//! | `commitments` | 0.15 | (healthy + 0.5 × at risk) / all commitments; 1 with none |
//!
//! Valence of each mood: delighted +1, satisfied +0.7, calm +0.4, neutral 0,
//! concerned −0.3, anxious −0.5, disappointed −0.6, frustrated −0.7, angry −1.

use symbolon_contracts::customers::v1 as pb;

/// Touchpoints of one month with the same mood and intensity, as the index needs them
/// (the tallies hold them so; raw rows are tallied the same way before use, so both give
/// the same figures to the last bit).
pub(crate) struct Feeling {
    pub(crate) month: String,
    pub(crate) mood: i32,
    pub(crate) intensity: i32,
    pub(crate) count: i64,
}

/// One incident, as the index needs it.
pub(crate) struct Trouble {
    pub(crate) severity: i32,
    pub(crate) time_to_acknowledge: Option<i64>,
}

/// Commitments by status.
#[derive(Default, Clone, Copy)]
pub(crate) struct Promises {
    pub(crate) healthy: i32,
    pub(crate) at_risk: i32,
    pub(crate) breached: i32,
}

pub(crate) fn valence(mood: i32) -> f64 {
    use pb::Mood::*;
    match pb::Mood::try_from(mood).unwrap_or(Unspecified) {
        Delighted => 1.0,
        Satisfied => 0.7,
        Calm => 0.4,
        Neutral | Unspecified => 0.0,
        Concerned => -0.3,
        Anxious => -0.5,
        Disappointed => -0.6,
        Frustrated => -0.7,
        Angry => -1.0,
    }
}

/// valence × intensity / 5, in −1..1.
pub(crate) fn weighted(f: &Feeling) -> f64 {
    valence(f.mood) * f64::from(f.intensity.clamp(1, 5)) / 5.0
}

/// The mean of `weighted` over the touchpoints counted in `feelings`.
fn mean<'a>(feelings: impl Iterator<Item = &'a Feeling>) -> Option<f64> {
    let (sum, n) = feelings
        .filter(|f| f.count > 0)
        .fold((0.0, 0i64), |(s, n), f| {
            // Saturating: tallies are counts from the store, never near i64::MAX, but a
            // corrupt one must not overflow.
            (s + weighted(f) * f.count as f64, n.saturating_add(f.count))
        });
    (n > 0).then(|| sum / n as f64)
}

/// How many touchpoints `feelings` counts.
/// "1 touchpoint", "2 touchpoints", "0 touchpoints".
pub(crate) fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}

pub(crate) fn total(feelings: &[Feeling]) -> i64 {
    saturating_sum(feelings.iter())
}

/// The touchpoints counted in `feelings` (negative counts as none), saturating at
/// `i64::MAX`.
fn saturating_sum<'a>(feelings: impl Iterator<Item = &'a Feeling>) -> i64 {
    feelings.fold(0i64, |n, f| n.saturating_add(f.count.max(0)))
}

/// Monthly means in month order: (month, count, mean); months without touchpoints are
/// left out.
pub(crate) fn monthly(feelings: &[Feeling]) -> Vec<(String, i64, f64)> {
    let mut months: Vec<&str> = feelings
        .iter()
        .filter(|f| f.count > 0)
        .map(|f| f.month.as_str())
        .collect();
    months.sort_unstable();
    months.dedup();
    months
        .into_iter()
        .map(|m| {
            let of_month = || feelings.iter().filter(move |f| f.month == m);
            let n = saturating_sum(of_month());
            (m.to_string(), n, mean(of_month()).unwrap_or(0.0))
        })
        .collect()
}

fn severity_load(severity: i32) -> f64 {
    match pb::Severity::try_from(severity).unwrap_or(pb::Severity::Unspecified) {
        pb::Severity::Critical => 1.0,
        pb::Severity::Major => 0.5,
        pb::Severity::Minor => 0.2,
        pb::Severity::Concern => 0.1,
        pb::Severity::Unspecified => 0.0,
    }
}

/// The index and each input's contribution.
pub(crate) fn trust_index(
    feelings: &[Feeling],
    troubles: &[Trouble],
    promises: Promises,
) -> (f64, Vec<pb::Contribution>) {
    let mut out = Vec::new();
    let mut push = |input: &str, weight: f64, score: f64, explanation: String| {
        let score = score.clamp(0.0, 1.0);
        out.push(pb::Contribution {
            input: input.into(),
            score,
            weight,
            points: score * weight * 100.0,
            explanation,
        });
    };

    match mean(feelings.iter()) {
        Some(m) => push(
            "sentiment",
            0.40,
            (m + 1.0) / 2.0,
            format!(
                "{}, mean weighted valence {m:+.3}",
                plural(total(feelings) as usize, "touchpoint", "touchpoints")
            ),
        ),
        None => push(
            "sentiment",
            0.40,
            0.5,
            "no touchpoints this quarter: neutral".into(),
        ),
    }

    let months = monthly(feelings);
    match (months.first(), months.last()) {
        (Some(first), Some(last)) if months.len() >= 2 => {
            let d = last.2 - first.2;
            push(
                "mood_trend",
                0.10,
                (d + 1.0) / 2.0,
                format!(
                    "{} {:+.3} → {} {:+.3} (change {d:+.3})",
                    first.0, first.2, last.0, last.2
                ),
            );
        }
        _ => push(
            "mood_trend",
            0.10,
            0.5,
            "fewer than two months with touchpoints: neutral".into(),
        ),
    }

    let load: f64 = troubles.iter().map(|t| severity_load(t.severity)).sum();
    push(
        "incident_load",
        0.25,
        1.0 / (1.0 + load),
        format!(
            "{}, severity load {load:.2}",
            plural(troubles.len(), "incident", "incidents")
        ),
    );

    let acked: Vec<i64> = troubles
        .iter()
        .filter_map(|t| t.time_to_acknowledge)
        .collect();
    if troubles.is_empty() {
        push("responsiveness", 0.10, 1.0, "no incidents".into());
    } else if acked.is_empty() {
        push(
            "responsiveness",
            0.10,
            0.0,
            "no incident was acknowledged".into(),
        );
    } else {
        // Summed in i128: no sum of i64 durations overflows it.
        let sum: i128 = acked.iter().map(|t| i128::from(*t)).sum();
        let minutes = sum as f64 / acked.len() as f64 / 60_000_000.0;
        let score = if minutes <= 0.0 {
            1.0
        } else {
            (30.0 / minutes).min(1.0)
        };
        push(
            "responsiveness",
            0.10,
            score,
            format!("mean time to acknowledge {minutes:.1} min against a 30 min target"),
        );
    }

    // Summed in i64: three i32 counts cannot overflow it.
    let total =
        i64::from(promises.healthy) + i64::from(promises.at_risk) + i64::from(promises.breached);
    if total <= 0 {
        push("commitments", 0.15, 1.0, "no commitments".into());
    } else {
        let score =
            (f64::from(promises.healthy) + 0.5 * f64::from(promises.at_risk)) / total as f64;
        push(
            "commitments",
            0.15,
            score,
            format!(
                "{} healthy, {} at risk, {} breached",
                promises.healthy, promises.at_risk, promises.breached
            ),
        );
    }
    let index = out.iter().map(|c| c.points).sum();
    (index, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(month: &str, mood: pb::Mood, intensity: i32) -> Feeling {
        Feeling {
            month: month.into(),
            mood: mood as i32,
            intensity,
            count: 1,
        }
    }

    #[test]
    fn matches_a_hand_computed_quarter() {
        // Oct: angry 5 → −1.0, anxious 4 → −0.4; mean −0.7. Dec: satisfied 5 → +0.7.
        let feelings = [
            f("2026-10", pb::Mood::Angry, 5),
            f("2026-10", pb::Mood::Anxious, 4),
            f("2026-12", pb::Mood::Satisfied, 5),
        ];
        // One critical (acknowledged in 60 min) and one minor (never acknowledged).
        let troubles = [
            Trouble {
                severity: pb::Severity::Critical as i32,
                time_to_acknowledge: Some(60 * 60_000_000),
            },
            Trouble {
                severity: pb::Severity::Minor as i32,
                time_to_acknowledge: None,
            },
        ];
        let promises = Promises {
            healthy: 3,
            at_risk: 1,
            breached: 0,
        };
        let (index, parts) = trust_index(&feelings, &troubles, promises);
        let points: Vec<f64> = parts
            .iter()
            .map(|p| (p.points * 1000.0).round() / 1000.0)
            .collect();
        // sentiment: mean(−1.0, −0.4, 0.7) = −0.2333…; (−0.2333 + 1) / 2 = 0.38333 × 40 = 15.333
        // mood_trend: 0.7 − (−0.7) = 1.4 → (1.4 + 1) / 2 = 1.2 → clamped 1 × 10 = 10
        // incident_load: load 1.2 → 1 / 2.2 = 0.4545 × 25 = 11.364
        // responsiveness: 30 / 60 = 0.5 × 10 = 5
        // commitments: (3 + 0.5) / 4 = 0.875 × 15 = 13.125
        assert_eq!(points, vec![15.333, 10.0, 11.364, 5.0, 13.125]);
        assert!((index - 54.822).abs() < 0.001, "{index}");
        let weights: f64 = parts.iter().map(|p| p.weight).sum();
        assert!((weights - 1.0).abs() < 1e-9);
    }

    #[test]
    fn a_quiet_quarter_is_neutral_not_perfect() {
        let (index, _) = trust_index(&[], &[], Promises::default());
        // 0.5 × 40 + 0.5 × 10 + 25 + 10 + 15
        assert!((index - 75.0).abs() < 1e-9);
    }

    #[test]
    fn extreme_counts_neither_overflow_nor_leave_the_scale() {
        let huge = |month: &str, mood: pb::Mood| Feeling {
            month: month.into(),
            mood: mood as i32,
            intensity: 5,
            count: i64::MAX,
        };
        let feelings = [
            huge("2026-10", pb::Mood::Angry),
            huge("2026-10", pb::Mood::Delighted),
            huge("2026-11", pb::Mood::Delighted),
        ];
        assert_eq!(total(&feelings), i64::MAX);
        assert_eq!(monthly(&feelings)[0].1, i64::MAX);
        let troubles = [
            Trouble {
                severity: pb::Severity::Critical as i32,
                time_to_acknowledge: Some(i64::MAX),
            },
            Trouble {
                severity: pb::Severity::Critical as i32,
                time_to_acknowledge: Some(i64::MAX),
            },
        ];
        let promises = Promises {
            healthy: i32::MAX,
            at_risk: i32::MAX,
            breached: i32::MAX,
        };
        let (index, parts) = trust_index(&feelings, &troubles, promises);
        assert!(
            index.is_finite() && (0.0..=100.0).contains(&index),
            "{index}"
        );
        for p in &parts {
            assert!((0.0..=1.0).contains(&p.score), "{}: {}", p.input, p.score);
        }
        // (MAX + 0.5 × MAX) / 3 MAX = 0.5.
        assert!((parts[4].score - 0.5).abs() < 1e-9);
        // An hour-plus of i64::MAX µs is far beyond 30 min: nearly 0, not negative.
        assert!(parts[3].score < 1e-9);
    }

    #[test]
    fn negative_tallies_count_as_none() {
        let promises = Promises {
            healthy: -1,
            at_risk: 0,
            breached: 0,
        };
        let (_, parts) = trust_index(&[], &[], promises);
        assert_eq!(parts[4].score, 1.0);
    }

    #[test]
    fn happier_customers_never_score_lower() {
        let moods = [
            pb::Mood::Angry,
            pb::Mood::Frustrated,
            pb::Mood::Anxious,
            pb::Mood::Neutral,
            pb::Mood::Calm,
            pb::Mood::Satisfied,
            pb::Mood::Delighted,
        ];
        let mut last = f64::MIN;
        for m in moods {
            let (index, _) = trust_index(&[f("2026-10", m, 3)], &[], Promises::default());
            assert!(index >= last, "{m:?}");
            last = index;
        }
    }
}
