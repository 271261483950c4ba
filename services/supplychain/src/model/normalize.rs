//! Factor values arrive on the scales users hold; they are normalised to 0..1 (higher
//! is better) so that factors can be weighed against each other.

use symbolon_contracts::supplychain::v1::Scale;

/// A value that cannot be normalised.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ScaleError {
    /// No scale given.
    #[error(
        "a scale is required: SCALE_UNIT, SCALE_WGI_ESTIMATE, SCALE_PERCENTILE_RANK or SCALE_LPI"
    )]
    Unspecified,
    /// NaN or infinite.
    #[error("must be a finite number")]
    NotFinite,
    /// Outside the scale's accepted range.
    #[error("{value} is outside {min}..{max}, the accepted range of {scale}")]
    OutOfRange {
        /// The value.
        value: f64,
        /// Lower bound.
        min: f64,
        /// Upper bound.
        max: f64,
        /// The scale's name.
        scale: &'static str,
    },
}

/// The accepted range of a scale (inclusive).
pub fn range(scale: Scale) -> Option<(f64, f64)> {
    match scale {
        Scale::Unspecified => None,
        Scale::Unit => Some((0.0, 1.0)),
        // WGI estimates are standard-normal units, published about -2.5..+2.5; the
        // real extremes stray a little beyond (Syria 2022: -2.80).
        Scale::WgiEstimate => Some((-3.5, 3.5)),
        Scale::PercentileRank => Some((0.0, 100.0)),
        Scale::Lpi => Some((1.0, 5.0)),
    }
}

/// Normalises `value` given on `scale` to 0..1.
pub fn normalize(value: f64, scale: Scale) -> Result<f64, ScaleError> {
    let (min, max) = range(scale).ok_or(ScaleError::Unspecified)?;
    if !value.is_finite() {
        return Err(ScaleError::NotFinite);
    }
    if value < min || value > max {
        return Err(ScaleError::OutOfRange {
            value,
            min,
            max,
            scale: scale.as_str_name(),
        });
    }
    let n = match scale {
        Scale::Unspecified => return Err(ScaleError::Unspecified),
        Scale::Unit => value,
        // The estimate is in units of a standard normal distribution, so its CDF gives
        // the share of a normal population below it: the same reading as a
        // percentile rank / 100.
        Scale::WgiEstimate => standard_normal_cdf(value),
        Scale::PercentileRank => value / 100.0,
        Scale::Lpi => (value - 1.0) / 4.0,
    };
    Ok(n.clamp(0.0, 1.0))
}

/// Φ(x), with erf by Abramowitz and Stegun 7.1.26 (absolute error below 1.5e-7).
pub fn standard_normal_cdf(x: f64) -> f64 {
    0.5 * (1.0 + erf(x / std::f64::consts::SQRT_2))
}

fn erf(x: f64) -> f64 {
    let sign = if x < 0.0 { -1.0 } else { 1.0 };
    let x = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let y = 1.0
        - (((((1.061_405_429 * t - 1.453_152_027) * t) + 1.421_413_741) * t - 0.284_496_736) * t
            + 0.254_829_592)
            * t
            * (-x * x).exp();
    sign * y
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scales_map_to_unit_interval() {
        assert_eq!(normalize(0.25, Scale::Unit), Ok(0.25));
        assert_eq!(normalize(1.0, Scale::Lpi), Ok(0.0));
        assert_eq!(normalize(5.0, Scale::Lpi), Ok(1.0));
        assert_eq!(normalize(3.0, Scale::Lpi), Ok(0.5));
        assert_eq!(normalize(50.0, Scale::PercentileRank), Ok(0.5));
        let zero = normalize(0.0, Scale::WgiEstimate).unwrap_or_default();
        assert!((zero - 0.5).abs() < 1e-7);
        // Germany 2022 PV.EST 0.5955 has percentile rank 65.57; Φ agrees roughly.
        let de = normalize(0.5955, Scale::WgiEstimate).unwrap_or_default();
        assert!((de - 0.724).abs() < 0.01, "{de}");
        // Syria 2022, below the nominal -2.5.
        assert!(normalize(-2.7973, Scale::WgiEstimate).is_ok());
    }

    #[test]
    fn out_of_range_and_nonsense_are_refused() {
        assert!(normalize(1.01, Scale::Unit).is_err());
        assert!(normalize(-0.01, Scale::Unit).is_err());
        assert!(normalize(0.99, Scale::Lpi).is_err());
        assert!(normalize(5.01, Scale::Lpi).is_err());
        assert!(normalize(100.5, Scale::PercentileRank).is_err());
        assert!(normalize(4.0, Scale::WgiEstimate).is_err());
        assert!(normalize(f64::NAN, Scale::Unit).is_err());
        assert_eq!(
            normalize(0.5, Scale::Unspecified),
            Err(ScaleError::Unspecified)
        );
    }

    #[test]
    fn normalisation_is_monotone_on_every_scale() {
        for scale in [
            Scale::Unit,
            Scale::WgiEstimate,
            Scale::PercentileRank,
            Scale::Lpi,
        ] {
            let Some((min, max)) = range(scale) else {
                continue;
            };
            let mut last = -1.0;
            for i in 0..=1000 {
                let v = min + (max - min) * f64::from(i) / 1000.0;
                let n = normalize(v, scale).unwrap_or(-2.0);
                assert!((0.0..=1.0).contains(&n), "{scale:?} {v} -> {n}");
                assert!(n >= last, "{scale:?} not monotone at {v}");
                last = n;
            }
        }
    }
}
