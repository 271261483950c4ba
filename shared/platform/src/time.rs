//! Times travel as `google.protobuf.Timestamp` and are stored as microseconds since the
//! Unix epoch (a BIGINT works the same on PostgreSQL and SQLite). The [`Clock`] lets
//! timers be driven by tests without sleeping.

use prost_types::Timestamp;
use std::sync::{
    Arc,
    atomic::{AtomicI64, Ordering},
};

/// Microseconds since the Unix epoch.
pub type Micros = i64;

/// A timestamp outside what we store.
#[derive(Debug, thiserror::Error)]
#[error("timestamp is out of range or malformed")]
pub struct BadTimestamp;

/// Converts stored microseconds to a protobuf timestamp.
pub fn to_timestamp(micros: Micros) -> Timestamp {
    Timestamp {
        seconds: micros.div_euclid(1_000_000),
        nanos: (micros.rem_euclid(1_000_000) * 1000) as i32,
    }
}

/// Converts a protobuf timestamp to microseconds, refusing nonsense values.
pub fn from_timestamp(t: &Timestamp) -> Result<Micros, BadTimestamp> {
    // 0001-01-01 to 9999-12-31, as google.protobuf.Timestamp documents.
    if !(-62_135_596_800..=253_402_300_799).contains(&t.seconds)
        || !(0..1_000_000_000).contains(&t.nanos)
    {
        return Err(BadTimestamp);
    }
    Ok(t.seconds * 1_000_000 + i64::from(t.nanos) / 1000)
}

/// Converts stored microseconds to a protobuf duration.
pub fn duration(micros: Micros) -> prost_types::Duration {
    prost_types::Duration {
        seconds: micros.div_euclid(1_000_000),
        nanos: (micros.rem_euclid(1_000_000) * 1000) as i32,
    }
}

/// Converts a protobuf duration to microseconds, saturating at the ends of `i64`.
pub fn micros(d: &prost_types::Duration) -> Micros {
    d.seconds
        .saturating_mul(1_000_000)
        .saturating_add(i64::from(d.nanos) / 1000)
}

/// Parses an RFC 3339 time such as `2026-01-31T12:00:00Z` (as used in filters).
pub fn parse_rfc3339(s: &str) -> Result<Micros, BadTimestamp> {
    let t: Timestamp = s.parse().map_err(|_| BadTimestamp)?;
    from_timestamp(&t)
}

/// Where "now" comes from.
#[derive(Clone, Debug, Default)]
pub struct Clock(Option<Arc<AtomicI64>>);

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Self(None)
    }

    /// A clock that stands still until [`Clock::advance`] moves it (tests).
    pub fn manual(start: Micros) -> Self {
        Self(Some(Arc::new(AtomicI64::new(start))))
    }

    /// The current time.
    pub fn now(&self) -> Micros {
        match &self.0 {
            Some(t) => t.load(Ordering::SeqCst),
            None => std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_micros() as i64)
                .unwrap_or_default(),
        }
    }

    /// Moves a manual clock forward; does nothing to the system clock.
    pub fn advance(&self, by: std::time::Duration) {
        if let Some(t) = &self.0 {
            t.fetch_add(by.as_micros() as i64, Ordering::SeqCst);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_round_trip_and_saturate() {
        for m in [0, 1, 999_999, 1_000_000, -1, -1_500_000, 86_400_000_000] {
            let d = duration(m);
            assert!((0..1_000_000_000).contains(&d.nanos), "{m}: {d:?}");
            assert_eq!(micros(&d), m);
        }
        let huge = prost_types::Duration {
            seconds: i64::MAX,
            nanos: 0,
        };
        assert_eq!(micros(&huge), i64::MAX);
    }

    #[test]
    fn round_trips_including_before_the_epoch() -> Result<(), BadTimestamp> {
        for micros in [0, 1, -1, 1_700_000_000_123_456, -86_400_000_001] {
            assert_eq!(from_timestamp(&to_timestamp(micros))?, micros);
        }
        Ok(())
    }

    #[test]
    fn refuses_bad_nanos_and_parses_rfc3339() {
        assert!(
            from_timestamp(&Timestamp {
                seconds: 0,
                nanos: -1
            })
            .is_err()
        );
        assert!(
            from_timestamp(&Timestamp {
                seconds: i64::MAX,
                nanos: 0
            })
            .is_err()
        );
        assert_eq!(parse_rfc3339("1970-01-01T00:00:01Z").ok(), Some(1_000_000));
        assert!(parse_rfc3339("yesterday").is_err());
    }

    #[test]
    fn manual_clock_moves_only_when_told() {
        let c = Clock::manual(10);
        assert_eq!(c.now(), 10);
        c.advance(std::time::Duration::from_micros(5));
        assert_eq!(c.now(), 15);
    }
}
