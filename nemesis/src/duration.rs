//! Durations and instants of simulated time, written the way people write
//! them in scenario files: `"10s"`, `"250ms"`, `"1m30s"`.
//!
//! One type serves both: an instant is the duration since the start of the
//! run. The resolution is one nanosecond, the unit of history times.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// A non-negative span of simulated time, in nanoseconds.
///
/// It reads and writes as a string with units: `ns`, `us` (or `µs`), `ms`,
/// `s`, `m`, `h`; parts may be chained (`"1m30s"`) and may have a decimal
/// fraction (`"1.5s"`). It always writes in the largest unit that keeps it
/// exact, so `"1500ms"` writes back as `"1500ms"` and `"2000ms"` as `"2s"`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SimDuration {
    nanos: u64,
}

/// Why a duration string could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    /// The string was empty.
    #[error("empty duration: write it with a unit, like \"10s\" or \"250ms\"")]
    Empty,
    /// The string started with a minus sign.
    #[error("negative duration `{0}`: durations of simulated time cannot be negative")]
    Negative(String),
    /// A number had no unit after it.
    #[error("duration `{0}` has no unit: write \"{0}s\" or \"{0}ms\"")]
    MissingUnit(String),
    /// A unit was not one of the known ones.
    #[error("unknown unit `{unit}` in duration `{text}`: use ns, us, ms, s, m or h")]
    UnknownUnit {
        /// The whole text.
        text: String,
        /// The unit that was not recognised.
        unit: String,
    },
    /// Something other than a number stood where a number belongs.
    #[error("cannot read duration `{0}`: write it like \"10s\", \"250ms\" or \"1m30s\"")]
    Malformed(String),
    /// The value does not fit in 64 bits of nanoseconds (about 584 years).
    #[error("duration `{0}` is too long")]
    Overflow(String),
}

impl SimDuration {
    /// No time at all.
    pub const ZERO: SimDuration = SimDuration { nanos: 0 };
    /// The longest representable duration.
    pub const MAX: SimDuration = SimDuration { nanos: u64::MAX };

    /// A duration of `nanos` nanoseconds.
    pub const fn from_nanos(nanos: u64) -> Self {
        SimDuration { nanos }
    }

    /// A duration of `micros` microseconds (saturating).
    pub const fn from_micros(micros: u64) -> Self {
        SimDuration {
            nanos: micros.saturating_mul(1_000),
        }
    }

    /// A duration of `millis` milliseconds (saturating).
    pub const fn from_millis(millis: u64) -> Self {
        SimDuration {
            nanos: millis.saturating_mul(1_000_000),
        }
    }

    /// A duration of `secs` seconds (saturating).
    pub const fn from_secs(secs: u64) -> Self {
        SimDuration {
            nanos: secs.saturating_mul(1_000_000_000),
        }
    }

    /// The whole duration in nanoseconds.
    pub const fn as_nanos(self) -> u64 {
        self.nanos
    }

    /// The whole duration in milliseconds, rounded down.
    pub const fn as_millis(self) -> u64 {
        self.nanos / 1_000_000
    }

    /// The duration in seconds, as a float (for display and rates only).
    pub fn as_secs_f64(self) -> f64 {
        self.nanos as f64 / 1e9
    }

    /// `self + other`, or `None` on overflow.
    pub const fn checked_add(self, other: SimDuration) -> Option<SimDuration> {
        match self.nanos.checked_add(other.nanos) {
            Some(nanos) => Some(SimDuration { nanos }),
            None => None,
        }
    }

    /// `self + other`, saturating at [`SimDuration::MAX`].
    pub const fn saturating_add(self, other: SimDuration) -> SimDuration {
        SimDuration {
            nanos: self.nanos.saturating_add(other.nanos),
        }
    }

    /// `self - other`, saturating at zero.
    pub const fn saturating_sub(self, other: SimDuration) -> SimDuration {
        SimDuration {
            nanos: self.nanos.saturating_sub(other.nanos),
        }
    }

    /// Whether this is zero.
    pub const fn is_zero(self) -> bool {
        self.nanos == 0
    }
}

impl From<std::time::Duration> for SimDuration {
    /// Converts, saturating past about 584 years.
    fn from(d: std::time::Duration) -> Self {
        SimDuration {
            nanos: u64::try_from(d.as_nanos()).unwrap_or(u64::MAX),
        }
    }
}

impl From<SimDuration> for std::time::Duration {
    fn from(d: SimDuration) -> Self {
        std::time::Duration::from_nanos(d.nanos)
    }
}

const UNITS: [(&str, u64); 7] = [
    ("h", 3_600_000_000_000),
    ("m", 60_000_000_000),
    ("s", 1_000_000_000),
    ("ms", 1_000_000),
    ("us", 1_000),
    ("µs", 1_000),
    ("ns", 1),
];

fn unit_nanos(unit: &str) -> Option<u64> {
    UNITS.iter().find(|(u, _)| *u == unit).map(|(_, n)| *n)
}

impl FromStr for SimDuration {
    type Err = DurationError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let s = text.trim();
        if s.is_empty() {
            return Err(DurationError::Empty);
        }
        if s.starts_with('-') {
            return Err(DurationError::Negative(text.to_string()));
        }
        let s = s.strip_prefix('+').unwrap_or(s);
        let mut total: u64 = 0;
        let mut rest = s;
        while !rest.is_empty() {
            let number_len = rest
                .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
                .unwrap_or(rest.len());
            let number = &rest[..number_len];
            rest = &rest[number_len..];
            let unit_len = rest
                .find(|c: char| c.is_ascii_digit() || c == '.')
                .unwrap_or(rest.len());
            let unit = rest[..unit_len].trim();
            rest = rest[unit_len..].trim_start();
            if number.is_empty() || number.chars().all(|c| c == '_' || c == '.') {
                return Err(DurationError::Malformed(text.to_string()));
            }
            if unit.is_empty() {
                return Err(DurationError::MissingUnit(number.to_string()));
            }
            let scale = unit_nanos(unit).ok_or_else(|| DurationError::UnknownUnit {
                text: text.to_string(),
                unit: unit.to_string(),
            })?;
            let part = scaled(number, scale).ok_or_else(|| {
                if number.matches('.').count() > 1 {
                    DurationError::Malformed(text.to_string())
                } else {
                    DurationError::Overflow(text.to_string())
                }
            })?;
            total = total
                .checked_add(part)
                .ok_or_else(|| DurationError::Overflow(text.to_string()))?;
        }
        Ok(SimDuration { nanos: total })
    }
}

/// `number × scale` exactly, for a decimal `number` like `1.25`; fractions
/// finer than a nanosecond are dropped.
fn scaled(number: &str, scale: u64) -> Option<u64> {
    let digits: String = number.chars().filter(|c| *c != '_').collect();
    let (whole, frac) = match digits.split_once('.') {
        Some((w, f)) => {
            if f.contains('.') {
                return None;
            }
            (w, f)
        }
        None => (digits.as_str(), ""),
    };
    let whole: u64 = if whole.is_empty() {
        0
    } else {
        whole.parse().ok()?
    };
    let mut nanos = whole.checked_mul(scale)?;
    let mut place = scale;
    for c in frac.chars() {
        place /= 10;
        if place == 0 {
            break;
        }
        let d = u64::from(c.to_digit(10)?);
        nanos = nanos.checked_add(d * place)?;
    }
    Some(nanos)
}

impl fmt::Display for SimDuration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.nanos == 0 {
            return f.write_str("0s");
        }
        for (unit, scale) in UNITS {
            if unit == "µs" {
                continue;
            }
            if self.nanos % scale == 0 {
                return write!(f, "{}{unit}", self.nanos / scale);
            }
        }
        write!(f, "{}ns", self.nanos)
    }
}

impl Serialize for SimDuration {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for SimDuration {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = SimDuration;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration string like \"10s\" or \"250ms\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<SimDuration, E> {
                v.parse().map_err(E::custom)
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<SimDuration, E> {
                Err(E::custom(format!(
                    "a bare number ({v}) is not a duration: write it with a unit, like \"{v}s\" or \"{v}ms\""
                )))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<SimDuration, E> {
                Err(E::custom(format!(
                    "a bare number ({v}) is not a duration: write it with a unit, like \"{v}s\" or \"{v}ms\""
                )))
            }
            fn visit_f64<E: serde::de::Error>(self, v: f64) -> Result<SimDuration, E> {
                Err(E::custom(format!(
                    "a bare number ({v}) is not a duration: write it with a unit, like \"{v}s\""
                )))
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_usual_forms() {
        let cases = [
            ("10s", 10_000_000_000),
            ("250ms", 250_000_000),
            ("1m30s", 90_000_000_000),
            ("1.5s", 1_500_000_000),
            ("0s", 0),
            ("2h", 7_200_000_000_000),
            ("15us", 15_000),
            ("15µs", 15_000),
            ("7ns", 7),
            (" 3 s ", 3_000_000_000),
            ("1_000ms", 1_000_000_000),
            (".5s", 500_000_000),
        ];
        for (text, nanos) in cases {
            assert_eq!(
                text.parse::<SimDuration>().unwrap().as_nanos(),
                nanos,
                "{text}"
            );
        }
    }

    #[test]
    fn rejects_bad_forms_with_reasons() {
        assert_eq!("".parse::<SimDuration>(), Err(DurationError::Empty));
        assert!(matches!(
            "-5s".parse::<SimDuration>(),
            Err(DurationError::Negative(_))
        ));
        assert!(matches!(
            "10".parse::<SimDuration>(),
            Err(DurationError::MissingUnit(_))
        ));
        assert!(matches!(
            "10 parsecs".parse::<SimDuration>(),
            Err(DurationError::UnknownUnit { .. })
        ));
        assert!(matches!(
            "s".parse::<SimDuration>(),
            Err(DurationError::Malformed(_))
        ));
        assert!(matches!(
            "1.2.3s".parse::<SimDuration>(),
            Err(DurationError::Malformed(_))
        ));
        assert!(matches!(
            "99999999999h".parse::<SimDuration>(),
            Err(DurationError::Overflow(_))
        ));
    }

    #[test]
    fn writes_in_the_largest_exact_unit_and_round_trips() {
        for (nanos, text) in [
            (0, "0s"),
            (2_000_000_000, "2s"),
            (1_500_000_000, "1500ms"),
            (90_000_000_000, "90s"),
            (120_000_000_000, "2m"),
            (3_600_000_000_000, "1h"),
            (1_001, "1001ns"),
        ] {
            let d = SimDuration::from_nanos(nanos);
            assert_eq!(d.to_string(), text);
            assert_eq!(text.parse::<SimDuration>().unwrap(), d);
        }
    }
}
