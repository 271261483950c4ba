//! Quarters and months in UTC, on microsecond timestamps (no calendar crate needed:
//! the civil-from-days conversion is a few lines, after Howard Hinnant's algorithm).

/// A quarter such as `2026-Q4`, as a half-open range of microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Quarter {
    pub(crate) year: i32,
    pub(crate) q: u32,
}

/// Not `YYYY-Qn`.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("must look like 2026-Q4")]
pub(crate) struct BadQuarter;

impl Quarter {
    pub(crate) fn parse(s: &str) -> Result<Self, BadQuarter> {
        let (year, q) = s.trim().split_once("-Q").ok_or(BadQuarter)?;
        let year: i32 = year.parse().map_err(|_| BadQuarter)?;
        let q: u32 = q.parse().map_err(|_| BadQuarter)?;
        if !(1970..=9999).contains(&year) || !(1..=4).contains(&q) {
            return Err(BadQuarter);
        }
        Ok(Self { year, q })
    }

    /// First microsecond of the quarter.
    pub(crate) fn start(&self) -> i64 {
        month_start(self.year, (self.q - 1) * 3 + 1)
    }

    /// First microsecond after the quarter.
    pub(crate) fn end(&self) -> i64 {
        if self.q == 4 {
            month_start(self.year + 1, 1)
        } else {
            month_start(self.year, self.q * 3 + 1)
        }
    }
}

fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    let y = i64::from(if m <= 2 { y - 1 } else { y });
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn month_start(year: i32, month: u32) -> i64 {
    days_from_civil(year, month, 1) * 86_400_000_000
}

/// `YYYY-MM` of a timestamp.
pub(crate) fn month_of(micros: i64) -> String {
    let z = micros.div_euclid(86_400_000_000) + 719_468;
    let era = if z >= 0 { z } else { z - 146_096 } / 146_097;
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}-{m:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quarters_and_months_line_up_with_the_calendar() {
        let q = Quarter::parse("2024-Q1").unwrap_or(Quarter { year: 0, q: 0 });
        assert_eq!(q.start(), 1_704_067_200_000_000); // 2024-01-01T00:00:00Z
        assert_eq!(q.end(), 1_711_929_600_000_000); // 2024-04-01T00:00:00Z
        let q4 = Quarter::parse("2023-Q4").unwrap_or(Quarter { year: 0, q: 0 });
        assert_eq!(q4.end(), q.start());
        assert_eq!(month_of(1_709_251_199_000_000), "2024-02"); // 2024-02-29T23:59:59Z, leap day
        assert_eq!(month_of(1_709_251_200_000_000), "2024-03");
        assert_eq!(month_of(0), "1970-01");
        for bad in ["2024-Q5", "2024Q1", "24-Q1", "2024-Q0", ""] {
            assert!(Quarter::parse(bad).is_err(), "{bad}");
        }
    }
}
