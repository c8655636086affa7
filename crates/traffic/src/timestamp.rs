//! Capture timestamps.

use std::fmt;

use serde::Serialize;

/// A point in time, in nanoseconds since the UNIX epoch (UTC).
///
/// pcap stores micro- or nanoseconds, pcapng a per-interface resolution and
/// Zeek fractional seconds; all of them are normalised to nanoseconds here.
/// Serialised as the integer number of nanoseconds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct Timestamp(u64);

const NANOS_PER_SEC: u64 = 1_000_000_000;

impl Timestamp {
    /// Builds a timestamp from nanoseconds since the epoch.
    #[must_use]
    pub const fn from_nanos(nanos: u64) -> Self {
        Self(nanos)
    }

    /// Nanoseconds since the epoch.
    #[must_use]
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// Seconds since the epoch as a float (loses sub-microsecond precision).
    #[must_use]
    #[allow(clippy::cast_precision_loss)] // documented: this is for display only
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_SEC as f64
    }

    /// Whole seconds plus a fraction counted in `units_per_sec` (e.g. 10^6 for
    /// microseconds). Saturates instead of overflowing on absurd input.
    pub(crate) fn from_parts(secs: u64, frac: u64, units_per_sec: u64) -> Self {
        let frac_nanos = match units_per_sec {
            0 => 0,
            // The two resolutions of pcap files; avoids a 128-bit division
            // per frame.
            1_000_000 => frac.saturating_mul(1000),
            NANOS_PER_SEC => frac,
            _ => {
                let scaled =
                    u128::from(frac) * u128::from(NANOS_PER_SEC) / u128::from(units_per_sec);
                u64::try_from(scaled).unwrap_or(u64::MAX)
            }
        };
        Self(
            secs.saturating_mul(NANOS_PER_SEC)
                .saturating_add(frac_nanos),
        )
    }

    /// Parses Zeek's `ts` column: decimal seconds with an optional fraction.
    pub(crate) fn parse_decimal_secs(text: &str) -> Option<Self> {
        let (whole, frac) = text.split_once('.').unwrap_or((text, ""));
        let secs: u64 = whole.parse().ok()?;
        if frac.len() > 9 || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let mut nanos: u64 = if frac.is_empty() {
            0
        } else {
            frac.parse().ok()?
        };
        for _ in frac.len()..9 {
            nanos *= 10;
        }
        Some(Self(secs.checked_mul(NANOS_PER_SEC)?.checked_add(nanos)?))
    }

    /// This timestamp plus a duration in nanoseconds (saturating).
    pub(crate) fn saturating_add_nanos(self, nanos: u64) -> Self {
        Self(self.0.saturating_add(nanos))
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{:09}",
            self.0 / NANOS_PER_SEC,
            self.0 % NANOS_PER_SEC
        )
    }
}

#[cfg(test)]
mod tests {
    use super::Timestamp;

    #[test]
    fn micro_and_nano_resolution_agree() {
        let us = Timestamp::from_parts(1_500_000_000, 123_456, 1_000_000);
        let ns = Timestamp::from_parts(1_500_000_000, 123_456_000, 1_000_000_000);
        assert_eq!(us, ns);
        assert_eq!(us.to_string(), "1500000000.123456000");
    }

    #[test]
    fn zeek_decimal_seconds() {
        let ts = Timestamp::parse_decimal_secs("1513789420.546771").unwrap();
        assert_eq!(ts.as_nanos(), 1_513_789_420_546_771_000);
        assert!(Timestamp::parse_decimal_secs("x").is_none());
        assert!(Timestamp::parse_decimal_secs("1.0000000001").is_none());
    }

    #[test]
    fn absurd_values_saturate() {
        let ts = Timestamp::from_parts(u64::MAX, u64::MAX, 1);
        assert_eq!(ts.as_nanos(), u64::MAX);
    }
}
