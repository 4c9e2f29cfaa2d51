//! Seeds: how they are written (`7`, `0x1f2e`) and sets of them (a count, a
//! range `A..B`, or a list).

use serde::{Deserialize, Serialize};
use std::fmt;
use std::str::FromStr;

/// Most seeds one sweep may run: a limit on everything.
pub const SEEDS_MAX: u64 = 100_000_000;

/// Parses one seed: decimal (`7931`) or hexadecimal (`0x1f2e`), with
/// optional `_` separators.
pub fn parse_seed(text: &str) -> Result<u64, String> {
    let t = text.trim().replace('_', "");
    let parsed = if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        u64::from_str_radix(hex, 16)
    } else {
        t.parse::<u64>()
    };
    parsed.map_err(|_| {
        format!("`{text}` is not a seed: write a number from 0 to 18446744073709551615, in decimal (7931) or hex (0x1f2e)")
    })
}

/// Writes a seed the way `--seed` and `SHAKEDOWN_SEED` accept it: `0x1f2e`.
pub fn format_seed(seed: u64) -> String {
    format!("{seed:#x}")
}

/// Which seeds a sweep runs.
///
/// In a scenario file (and on the command line with `--seeds`):
/// - `seeds = 20`: the twenty seeds `0..20`;
/// - `seeds = "100..200"`: seeds 100 to 199 (hex works too: `"0x10..0x20"`);
/// - `seeds = [7, "0x1f2e"]`: exactly these, in this order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SeedSet {
    /// `0..n`.
    Count(u64),
    /// `start..end`, end excluded.
    Range {
        /// First seed.
        start: u64,
        /// One past the last seed.
        end: u64,
    },
    /// Exactly these seeds.
    List(Vec<u64>),
}

impl Default for SeedSet {
    /// Ten seeds, `0..10`.
    fn default() -> Self {
        SeedSet::Count(10)
    }
}

impl SeedSet {
    /// How many seeds the set holds.
    pub fn len(&self) -> u64 {
        match self {
            SeedSet::Count(n) => *n,
            SeedSet::Range { start, end } => end.saturating_sub(*start),
            SeedSet::List(v) => v.len() as u64,
        }
    }

    /// True when the set holds no seed.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The seed at position `i` of the sweep.
    pub fn get(&self, i: u64) -> Option<u64> {
        if i >= self.len() {
            return None;
        }
        match self {
            SeedSet::Count(_) => Some(i),
            SeedSet::Range { start, .. } => start.checked_add(i),
            SeedSet::List(v) => usize::try_from(i).ok().and_then(|i| v.get(i).copied()),
        }
    }

    /// Every seed, in sweep order.
    pub fn to_vec(&self) -> Vec<u64> {
        (0..self.len()).filter_map(|i| self.get(i)).collect()
    }

    /// Checks the set is not empty and not absurdly large.
    pub fn check(&self) -> Result<(), String> {
        if self.is_empty() {
            return Err(match self {
                SeedSet::Range { start, end } => format!(
                    "seed range {start}..{end} is empty: the end is excluded, so write e.g. \"{start}..{}\"",
                    start.saturating_add(10)
                ),
                _ => "no seeds: give a count (seeds = 20), a range (seeds = \"0..100\") or a list (seeds = [7, \"0x1f2e\"])".into(),
            });
        }
        if self.len() > SEEDS_MAX {
            return Err(format!(
                "{} seeds is too many for one sweep: at most {SEEDS_MAX}; shard it (see ci/)",
                self.len()
            ));
        }
        Ok(())
    }
}

impl FromStr for SeedSet {
    type Err = String;

    /// `N` (a count), `A..B` (a range) or `A,B,C` (a list).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let t = text.trim();
        if let Some((a, b)) = t.split_once("..") {
            let start = parse_seed(a)?;
            let end = parse_seed(b.strip_prefix('=').unwrap_or(b))?;
            let end = if b.starts_with('=') {
                end.saturating_add(1)
            } else {
                end
            };
            let set = SeedSet::Range { start, end };
            set.check()?;
            return Ok(set);
        }
        if t.contains(',') {
            let list = t
                .split(',')
                .map(parse_seed)
                .collect::<Result<Vec<_>, _>>()?;
            return Ok(SeedSet::List(list));
        }
        let n = parse_seed(t).map_err(|_| {
            format!("`{text}` is not a seed set: write a count (20), a range (100..200) or a list (7,0x1f2e)")
        })?;
        let set = SeedSet::Count(n);
        set.check()?;
        Ok(set)
    }
}

impl fmt::Display for SeedSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SeedSet::Count(n) => write!(f, "{n}"),
            SeedSet::Range { start, end } => write!(f, "{start}..{end}"),
            SeedSet::List(v) => {
                let parts: Vec<String> = v.iter().map(|s| format_seed(*s)).collect();
                write!(f, "{}", parts.join(","))
            }
        }
    }
}

impl Serialize for SeedSet {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        match self {
            SeedSet::Count(n) => serializer.serialize_u64(*n),
            SeedSet::Range { start, end } => serializer.collect_str(&format!("{start}..{end}")),
            SeedSet::List(v) => {
                let mut seq = serializer.serialize_seq(Some(v.len()))?;
                for s in v {
                    // TOML integers are signed: big seeds go as hex strings.
                    if i64::try_from(*s).is_ok() {
                        seq.serialize_element(s)?;
                    } else {
                        seq.serialize_element(&format_seed(*s))?;
                    }
                }
                seq.end()
            }
        }
    }
}

/// One seed in a list: an integer or a string (`"0x1f2e"`).
struct OneSeed(u64);

impl<'de> Deserialize<'de> for OneSeed {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = OneSeed;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a seed: an integer or a string like \"0x1f2e\"")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<OneSeed, E> {
                u64::try_from(v)
                    .map(OneSeed)
                    .map_err(|_| E::custom(format!("seed {v} is negative: seeds are 0 or more")))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<OneSeed, E> {
                Ok(OneSeed(v))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<OneSeed, E> {
                parse_seed(v).map(OneSeed).map_err(E::custom)
            }
        }
        deserializer.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for SeedSet {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = SeedSet;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a count (20), a range (\"100..200\") or a list ([7, \"0x1f2e\"])")
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<SeedSet, E> {
                let n = u64::try_from(v)
                    .map_err(|_| E::custom(format!("seed count {v} is negative")))?;
                let set = SeedSet::Count(n);
                set.check().map_err(E::custom)?;
                Ok(set)
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<SeedSet, E> {
                let set = SeedSet::Count(v);
                set.check().map_err(E::custom)?;
                Ok(set)
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<SeedSet, E> {
                if !v.contains("..") {
                    return Err(E::custom(format!(
                        "`{v}` is not a seed range: write \"A..B\" (B excluded), or a count without quotes"
                    )));
                }
                v.parse().map_err(E::custom)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<SeedSet, A::Error> {
                let mut list = Vec::new();
                while let Some(OneSeed(s)) = seq.next_element()? {
                    if list.len() as u64 >= SEEDS_MAX {
                        return Err(serde::de::Error::custom("too many seeds in the list"));
                    }
                    list.push(s);
                }
                let set = SeedSet::List(list);
                set.check().map_err(serde::de::Error::custom)?;
                Ok(set)
            }
        }
        deserializer.deserialize_any(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_parse_in_decimal_and_hex() {
        assert_eq!(parse_seed("7931"), Ok(7931));
        assert_eq!(parse_seed("0x1f2e"), Ok(0x1f2e));
        assert_eq!(parse_seed("0X1F2E"), Ok(0x1f2e));
        assert_eq!(parse_seed("1_000"), Ok(1000));
        assert_eq!(parse_seed(&format_seed(u64::MAX)), Ok(u64::MAX));
        assert!(parse_seed("-1").is_err());
        assert!(parse_seed("0xzz").is_err());
        assert!(parse_seed("").is_err());
    }

    #[test]
    fn seed_sets_parse_from_the_command_line() {
        assert_eq!("20".parse(), Ok(SeedSet::Count(20)));
        assert_eq!("5..8".parse::<SeedSet>().unwrap().to_vec(), vec![5, 6, 7]);
        assert_eq!("5..=8".parse::<SeedSet>().unwrap().len(), 4);
        assert_eq!("7,0x10".parse::<SeedSet>().unwrap().to_vec(), vec![7, 16]);
        assert!("8..5".parse::<SeedSet>().unwrap_err().contains("empty"));
        assert!("0".parse::<SeedSet>().is_err());
        assert!("banana".parse::<SeedSet>().is_err());
    }

    #[test]
    fn seed_sets_read_from_toml() {
        #[derive(Deserialize, Serialize)]
        struct F {
            seeds: SeedSet,
        }
        let f: F = toml::from_str("seeds = 3").unwrap();
        assert_eq!(f.seeds.to_vec(), vec![0, 1, 2]);
        let f: F = toml::from_str("seeds = \"10..12\"").unwrap();
        assert_eq!(f.seeds.to_vec(), vec![10, 11]);
        let f: F = toml::from_str("seeds = [7, \"0xffffffffffffffff\"]").unwrap();
        assert_eq!(f.seeds.to_vec(), vec![7, u64::MAX]);
        let back: F = toml::from_str(&toml::to_string(&f).unwrap()).unwrap();
        assert_eq!(back.seeds, f.seeds);
        assert!(toml::from_str::<F>("seeds = -3").is_err());
        assert!(toml::from_str::<F>("seeds = []").is_err());
        assert!(toml::from_str::<F>("seeds = \"abc\"").is_err());
    }
}
