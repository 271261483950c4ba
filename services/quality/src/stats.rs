//! The statistics of A/B tests, by hand: the normal CDF (via a Chebyshev erfc, relative
//! error below 1.2e-7), Student's t CDF (via the regularised incomplete beta function,
//! continued fraction), Welch's t-test and the two-proportion z-test. All two-sided.

/// Mean and sample standard deviation (n - 1) of `xs`.
pub fn mean_sd(xs: &[f64]) -> (f64, f64) {
    let n = xs.len() as f64;
    if xs.is_empty() {
        return (0.0, 0.0);
    }
    let mean = xs.iter().sum::<f64>() / n;
    if xs.len() < 2 {
        return (mean, 0.0);
    }
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, var.sqrt())
}

/// The complementary error function (Numerical Recipes' Chebyshev fit).
pub fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let r = t
        * (-z * z - 1.265_512_23
            + t * (1.000_023_68
                + t * (0.374_091_96
                    + t * (0.096_784_18
                        + t * (-0.186_288_06
                            + t * (0.278_868_07
                                + t * (-1.135_203_98
                                    + t * (1.488_515_87
                                        + t * (-0.822_152_23 + t * 0.170_872_77)))))))))
            .exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

/// The standard normal CDF.
pub fn normal_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9).
pub fn ln_gamma(x: f64) -> f64 {
    const G: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        // Reflection.
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = G[0];
    let t = x + 7.5;
    for (i, g) in G.iter().enumerate().skip(1) {
        a += g / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// The continued fraction of the incomplete beta function (modified Lentz).
fn beta_cf(a: f64, b: f64, x: f64) -> f64 {
    const EPS: f64 = 1e-14;
    const TINY: f64 = 1e-300;
    /// `v`, or TINY when nearer zero: the fraction never divides by zero.
    fn away_from_zero(v: f64) -> f64 {
        if v.abs() < TINY { TINY } else { v }
    }
    let (qab, qap, qam) = (a + b, a + 1.0, a - 1.0);
    let mut c = 1.0;
    let mut d = 1.0 / away_from_zero(1.0 - qab * x / qap);
    let mut h = d;
    for m in 1..=300 {
        let m = m as f64;
        let m2 = 2.0 * m;
        // Lentz's step for term `aa`: (d, c) move on, and the term's factor d·c.
        let mut step = |aa: f64| {
            d = 1.0 / away_from_zero(1.0 + aa * d);
            c = away_from_zero(1.0 + aa / c);
            d * c
        };
        h *= step(m * (b - m) * x / ((qam + m2) * (a + m2)));
        let del = step(-(a + m) * (qab + m) * x / ((a + m2) * (qap + m2)));
        h *= del;
        if (del - 1.0).abs() < EPS {
            break;
        }
    }
    h
}

/// The regularised incomplete beta function I_x(a, b).
pub fn inc_beta(a: f64, b: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let ln_front = ln_gamma(a + b) - ln_gamma(a) - ln_gamma(b) + a * x.ln() + b * (1.0 - x).ln();
    let front = ln_front.exp();
    if x < (a + 1.0) / (a + b + 2.0) {
        front * beta_cf(a, b, x) / a
    } else {
        1.0 - front * beta_cf(b, a, 1.0 - x) / b
    }
}

/// Student's t CDF with `df` degrees of freedom.
pub fn t_cdf(t: f64, df: f64) -> f64 {
    let x = df / (df + t * t);
    let tail = 0.5 * inc_beta(df / 2.0, 0.5, x);
    if t >= 0.0 { 1.0 - tail } else { tail }
}

/// A two-sided test's outcome.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct TestResult {
    /// Mean of b minus mean of a.
    pub difference: f64,
    /// t or z.
    pub statistic: f64,
    /// Welch degrees of freedom (0 for z).
    pub df: f64,
    /// Two-sided p-value.
    pub p_value: f64,
}

impl TestResult {
    /// The answer when there is no variance at all: identical means prove nothing,
    /// different ones everything.
    fn without_variance(difference: f64, df: f64) -> Self {
        Self {
            difference,
            statistic: 0.0,
            df,
            p_value: if difference == 0.0 { 1.0 } else { 0.0 },
        }
    }
}

/// Welch's t-test of b against a. `None` with fewer than two samples on a side, or
/// with a sample that is not a finite number (it would make every figure NaN).
pub fn welch(a: &[f64], b: &[f64]) -> Option<TestResult> {
    if a.len() < 2 || b.len() < 2 || !a.iter().chain(b).all(|x| x.is_finite()) {
        return None;
    }
    let (ma, sa) = mean_sd(a);
    let (mb, sb) = mean_sd(b);
    let (na, nb) = (a.len() as f64, b.len() as f64);
    let (va, vb) = (sa * sa / na, sb * sb / nb);
    let se2 = va + vb;
    let difference = mb - ma;
    if se2.is_nan() || se2 <= 0.0 {
        return Some(TestResult::without_variance(difference, na + nb - 2.0));
    }
    let t = difference / se2.sqrt();
    let df = se2 * se2 / (va * va / (na - 1.0) + vb * vb / (nb - 1.0));
    let p = (2.0 * (1.0 - t_cdf(t.abs(), df))).clamp(0.0, 1.0);
    Some(TestResult {
        difference,
        statistic: t,
        df,
        p_value: p,
    })
}

/// The two-proportion z-test (pooled) of b against a, from successes and trials.
/// Successes beyond the trials count as the trials; the sums are taken in f64 (exact
/// below 2^53), so no count overflows.
pub fn two_proportion(success_a: u64, n_a: u64, success_b: u64, n_b: u64) -> Option<TestResult> {
    if n_a == 0 || n_b == 0 {
        return None;
    }
    let (success_a, success_b) = (success_a.min(n_a), success_b.min(n_b));
    let (pa, pb) = (success_a as f64 / n_a as f64, success_b as f64 / n_b as f64);
    let pooled = (success_a as f64 + success_b as f64) / (n_a as f64 + n_b as f64);
    let se = (pooled * (1.0 - pooled) * (1.0 / n_a as f64 + 1.0 / n_b as f64)).sqrt();
    let difference = pb - pa;
    if se.is_nan() || se <= 0.0 {
        return Some(TestResult::without_variance(difference, 0.0));
    }
    let z = difference / se;
    let p = (2.0 * (1.0 - normal_cdf(z.abs()))).clamp(0.0, 1.0);
    Some(TestResult {
        difference,
        statistic: z,
        df: 0.0,
        p_value: p,
    })
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64, tol: f64) -> bool {
        (a - b).abs() <= tol
    }

    #[test]
    fn normal_cdf_matches_tables() {
        assert!(close(normal_cdf(0.0), 0.5, 1e-7));
        assert!(close(normal_cdf(1.96), 0.975_002_1, 1e-6));
        assert!(close(normal_cdf(-1.0), 0.158_655_25, 1e-6));
        assert!(close(normal_cdf(3.0), 0.998_650_1, 1e-6));
    }

    #[test]
    fn t_cdf_matches_tables() {
        // t(0.975; 10) = 2.228139, t(0.95; 5) = 2.015048, t(0.995; 30) = 2.749996.
        assert!(close(t_cdf(2.228_139, 10.0), 0.975, 1e-6));
        assert!(close(t_cdf(2.015_048, 5.0), 0.95, 1e-6));
        assert!(close(t_cdf(2.749_996, 30.0), 0.995, 1e-6));
        assert!(close(t_cdf(-2.228_139, 10.0), 0.025, 1e-6));
        // One degree of freedom is the Cauchy distribution: F(1) = 3/4.
        assert!(close(t_cdf(1.0, 1.0), 0.75, 1e-9));
        assert!(close(ln_gamma(5.0), 24f64.ln(), 1e-12));
    }

    #[test]
    fn welch_against_hand_computation() {
        // a: mean 3, var 2.5 (n 5); b: mean 5, var 2.5 (n 5).
        // t = 2 / sqrt(0.5 + 0.5) = 2, df = 1 / (0.0625 + 0.0625) = 8.
        // Two-sided p for t = 2 with 8 df: 0.080516.
        let a = [1.0, 2.0, 3.0, 4.0, 5.0];
        let b = [3.0, 4.0, 5.0, 6.0, 7.0];
        let r = welch(&a, &b).unwrap();
        assert!(close(r.statistic, 2.0, 1e-12));
        assert!(close(r.df, 8.0, 1e-9));
        assert!(close(r.p_value, 0.080_516, 1e-5), "{r:?}");
        assert!(welch(&a[..1], &b).is_none());
    }

    #[test]
    fn extreme_samples_give_no_nan() {
        assert_eq!(mean_sd(&[]), (0.0, 0.0));
        assert_eq!(mean_sd(&[3.0]), (3.0, 0.0));
        assert!(welch(&[], &[]).is_none());
        assert!(welch(&[1.0, f64::NAN], &[1.0, 2.0]).is_none());
        assert!(welch(&[1.0, 2.0], &[f64::INFINITY, 2.0]).is_none());
        // Counts at u64::MAX: no overflow, and the figures are numbers.
        let t = two_proportion(u64::MAX, u64::MAX, u64::MAX / 2, u64::MAX).unwrap();
        assert!(
            t.statistic.is_finite() && (0.0..=1.0).contains(&t.p_value),
            "{t:?}"
        );
        assert!((t.difference + 0.5).abs() < 1e-9);
        // More successes than trials: capped, not a NaN.
        let t = two_proportion(10, 5, 0, 5).unwrap();
        assert!(
            (t.difference + 1.0).abs() < 1e-12 && !t.p_value.is_nan(),
            "{t:?}"
        );
        assert!(two_proportion(0, 0, 1, 1).is_none());
    }

    #[test]
    fn two_proportions_against_hand_computation() {
        // 40/100 vs 60/100: pooled 0.5, se = sqrt(0.25 * 0.02) = 0.070711,
        // z = 0.2 / 0.070711 = 2.828427, two-sided p = 0.004678.
        let r = two_proportion(40, 100, 60, 100).unwrap();
        assert!(close(r.statistic, 2.828_427, 1e-6));
        assert!(close(r.p_value, 0.004_678, 1e-5), "{r:?}");
        assert!(two_proportion(0, 0, 1, 1).is_none());
    }
}
