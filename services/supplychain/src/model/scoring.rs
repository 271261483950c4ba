//! Country scores: 100 × Σ weightᵢ × normalisedᵢ. A factor the country lacks adds 0
//! (unknown is treated as the worst case, never as average), so the score can only
//! rise when any input improves, and it stays within 0..=100 because the weights are
//! non-negative and sum to 1.

use std::collections::BTreeMap;

/// How far the weights' sum may stray from 1.
pub const WEIGHT_TOLERANCE: f64 = 1e-6;

/// The well-known factors.
pub const POLITICAL_STABILITY: &str = "political_stability";
/// Also slows arrival estimates (see `coverage`).
pub const LOGISTICS_REACHABILITY: &str = "logistics_reachability";
/// How mature local partners are.
pub const PARTNER_MATURITY: &str = "partner_maturity";

/// Weights that cannot be used.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WeightError {
    /// No weights.
    #[error("at least one factor weight is required")]
    Empty,
    /// A factor id that is not lower_snake_case.
    #[error("factor ids are 1-63 characters of a-z, 0-9 and '_', starting with a letter: {0:?}")]
    BadFactor(String),
    /// Negative, NaN or infinite.
    #[error("weight of {0:?} must be a finite number >= 0")]
    Negative(String),
    /// Σ ≠ 1.
    #[error("weights must sum to 1 (within {WEIGHT_TOLERANCE}), they sum to {0}")]
    Sum(f64),
}

/// Checks a factor id.
pub fn check_factor_id(id: &str) -> bool {
    (1..=63).contains(&id.len())
        && id.as_bytes()[0].is_ascii_lowercase()
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

/// Validates a weight set: per-factor problems first (each with its factor), then the
/// sum.
pub fn validate_weights(weights: &BTreeMap<String, f64>) -> Result<(), Vec<(String, WeightError)>> {
    if weights.is_empty() {
        return Err(vec![(String::new(), WeightError::Empty)]);
    }
    let mut errors = Vec::new();
    for (k, w) in weights {
        if !check_factor_id(k) {
            errors.push((k.clone(), WeightError::BadFactor(k.clone())));
        } else if !w.is_finite() || *w < 0.0 {
            errors.push((k.clone(), WeightError::Negative(k.clone())));
        }
    }
    if errors.is_empty() {
        let sum: f64 = weights.values().sum();
        if (sum - 1.0).abs() > WEIGHT_TOLERANCE {
            errors.push((String::new(), WeightError::Sum(sum)));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(errors)
    }
}

/// One factor's part of a score.
#[derive(Debug, Clone, PartialEq)]
pub struct Contribution {
    /// Factor id.
    pub factor: String,
    /// Its weight.
    pub weight: f64,
    /// The normalised input, 0 when absent.
    pub normalized: f64,
    /// Points added: 100 × weight × normalised.
    pub points: f64,
    /// Whether the country has the factor.
    pub present: bool,
}

/// A score and how it is made up.
#[derive(Debug, Clone, PartialEq)]
pub struct Score {
    /// 0..=100.
    pub total: f64,
    /// One entry per weighted factor, in factor order.
    pub contributions: Vec<Contribution>,
}

/// Scores normalised factor values (`factor -> 0..1`) with `weights`.
pub fn score(weights: &BTreeMap<String, f64>, factors: &dyn Fn(&str) -> Option<f64>) -> Score {
    let mut total = 0.0;
    let contributions = weights
        .iter()
        .map(|(f, w)| {
            let n = factors(f);
            // A NaN value counts as the worst (like an absent one), and an infinite or
            // NaN weight as none (validated weights are finite): no NaN reaches a score.
            let normalized = n.filter(|v| !v.is_nan()).unwrap_or(0.0).clamp(0.0, 1.0);
            let w = if w.is_finite() { *w } else { 0.0 };
            let points = 100.0 * w * normalized;
            total += points;
            Contribution {
                factor: f.clone(),
                weight: w,
                normalized,
                points,
                present: n.is_some(),
            }
        })
        .collect();
    Score {
        total: total.clamp(0.0, 100.0),
        contributions,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn weights(ws: &[(&str, f64)]) -> BTreeMap<String, f64> {
        ws.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    /// A tiny deterministic generator (xorshift), so the property loops need no crate.
    struct Rng(u64);
    impl Rng {
        fn unit(&mut self) -> f64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            (self.0 >> 11) as f64 / (1u64 << 53) as f64
        }
    }

    #[test]
    fn weights_must_be_non_negative_and_sum_to_one() {
        assert!(validate_weights(&weights(&[("a", 0.5), ("b", 0.5)])).is_ok());
        assert!(validate_weights(&weights(&[("a", 0.1), ("b", 0.2), ("c", 0.7)])).is_ok());
        assert!(validate_weights(&weights(&[("a", 0.5), ("b", 0.4)])).is_err());
        assert!(validate_weights(&weights(&[("a", 1.5), ("b", -0.5)])).is_err());
        assert!(validate_weights(&weights(&[("Bad", 1.0)])).is_err());
        assert!(validate_weights(&BTreeMap::new()).is_err());
        assert!(validate_weights(&weights(&[("a", f64::NAN)])).is_err());
    }

    #[test]
    fn nan_values_and_weights_never_make_a_nan_score() {
        let w = weights(&[("a", 0.5), ("b", 0.5)]);
        let s = score(&w, &|f| (f == "a").then_some(f64::NAN).or(Some(1.0)));
        assert_eq!(s.total, 50.0);
        assert_eq!(s.contributions[0].normalized, 0.0);
        let w = weights(&[("a", f64::NAN), ("b", f64::INFINITY), ("c", 0.5)]);
        let s = score(&w, &|_| Some(1.0));
        assert_eq!(s.total, 50.0);
        assert!(s.contributions.iter().all(|c| c.points.is_finite()));
        // No weights: nothing to add, not a NaN.
        assert_eq!(score(&BTreeMap::new(), &|_| Some(1.0)).total, 0.0);
    }

    /// `n` random weights `f0`… summing to 1.
    fn random_weights(rng: &mut Rng, n: usize) -> BTreeMap<String, f64> {
        let raw: Vec<f64> = (0..n).map(|_| rng.unit()).collect();
        let sum: f64 = raw.iter().sum::<f64>().max(1e-9);
        raw.iter()
            .enumerate()
            .map(|(i, x)| (format!("f{i}"), x / sum))
            .collect()
    }

    #[test]
    fn generated_weights_always_score_within_bounds() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for _ in 0..2000 {
            let w = random_weights(&mut rng, 4);
            assert!(validate_weights(&w).is_ok());
            let vals: Vec<f64> = (0..4).map(|_| rng.unit()).collect();
            let s = score(&w, &|f| f[1..].parse::<usize>().ok().map(|i| vals[i]));
            assert!((0.0..=100.0).contains(&s.total));
            let parts: f64 = s.contributions.iter().map(|c| c.points).sum();
            assert!((parts - s.total).abs() < 1e-9);
        }
    }

    #[test]
    fn better_inputs_never_lower_a_score() {
        let mut rng = Rng(42);
        for _ in 0..5000 {
            let w = random_weights(&mut rng, 3);
            let before: Vec<Option<f64>> = (0..3)
                .map(|_| (rng.unit() > 0.2).then(|| rng.unit()))
                .collect();
            // Improve one factor (or supply a missing one).
            let i = (rng.unit() * 3.0) as usize % 3;
            let mut after = before.clone();
            after[i] = Some(match before[i] {
                Some(v) => v + (1.0 - v) * rng.unit(),
                None => rng.unit(),
            });
            let get =
                |v: &Vec<Option<f64>>, f: &str| f[1..].parse::<usize>().ok().and_then(|i| v[i]);
            let a = score(&w, &|f| get(&before, f)).total;
            let b = score(&w, &|f| get(&after, f)).total;
            assert!(b + 1e-12 >= a, "{before:?} -> {after:?}: {a} > {b}");
        }
    }
}
