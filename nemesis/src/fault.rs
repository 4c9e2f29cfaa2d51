//! The fault vocabulary: every fault Shakedown can inject, with its
//! parameters, and the fault that undoes it.
//!
//! A fault reads from and writes to a flat table keyed by `fault`, as a
//! scenario file holds it:
//!
//! ```toml
//! fault = "clock-bump"
//! target = "one"
//! offset_ms = -5000
//! ```
//!
//! A `fault` name that is not built in is a model fault: the model that
//! defines it gets its name, target and the remaining keys as parameters.

use std::collections::BTreeMap;
use std::fmt;

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::catalog;
use crate::param::Param;
use crate::suggest::did_you_mean;
use crate::target::Target;

/// One fault: what goes wrong.
///
/// Parameters carry their unit in their name (`offset_ms`, `latency_ms`);
/// rates are plain fractions (`0.1` is 10%) or, for drift, clock seconds per
/// simulated second. Targets are resolved when the fault starts (see
/// [`Target`]).
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// `random-halves`: two random halves that cannot talk.
    RandomHalves,
    /// `isolate`: the target nodes cut off from the rest.
    Isolate {
        /// The nodes to cut off (default `one`).
        target: Target,
    },
    /// `majorities-ring`: each node sees a majority, each a different one.
    MajoritiesRing,
    /// `bridge`: two halves joined by one node that sees both.
    Bridge,
    /// `one-way`: messages from `from` to `to` are dropped; replies flow.
    OneWay {
        /// Senders whose messages are dropped (default `one`).
        from: Target,
        /// Receivers; `None` means every node not in `from`.
        to: Option<Target>,
    },
    /// `groups`: explicit disjoint groups; unlisted nodes form one more.
    Groups {
        /// The groups, by node index.
        groups: Vec<Vec<usize>>,
    },
    /// `heal`: no partition any more.
    Heal,
    /// `crash`: kill nodes (volatile state and unsynced writes lost).
    Crash {
        /// The nodes (default `one`).
        target: Target,
    },
    /// `restart`: start crashed nodes from durable storage.
    Restart {
        /// The nodes (default `all`; only crashed nodes are affected).
        target: Target,
    },
    /// `pause`: freeze nodes.
    Pause {
        /// The nodes (default `one`).
        target: Target,
    },
    /// `resume`: unfreeze nodes.
    Resume {
        /// The nodes (default `all`; only paused nodes are affected).
        target: Target,
    },
    /// `clock-bump`: jump clocks by an offset.
    ClockBump {
        /// The nodes (default `one`).
        target: Target,
        /// How far, in milliseconds; negative goes back.
        offset_ms: i64,
    },
    /// `clock-strobe`: flip clocks by an offset every period, for a while.
    ClockStrobe {
        /// The nodes (default `one`).
        target: Target,
        /// The size of each flip, in milliseconds.
        offset_ms: i64,
        /// Milliseconds between flips (default 10).
        period_ms: u64,
        /// How long the strobe lasts, in milliseconds.
        duration_ms: u64,
    },
    /// `clock-drift`: clocks run at `rate` clock seconds per simulated second.
    ClockDrift {
        /// The nodes (default `one`).
        target: Target,
        /// Clock seconds per simulated second (1.0 is true time).
        rate: f64,
    },
    /// `clock-reset`: clocks back to simulated time, no drift.
    ClockReset {
        /// The nodes (default `all`).
        target: Target,
    },
    /// `packet-loss`: drop messages to or from the targets with a probability.
    PacketLoss {
        /// The nodes (default `all`).
        target: Target,
        /// Drop probability, 0.0 to 1.0.
        rate: f64,
    },
    /// `packet-duplicate`: deliver messages twice with a probability.
    PacketDuplicate {
        /// The nodes (default `all`).
        target: Target,
        /// Duplication probability, 0.0 to 1.0.
        rate: f64,
    },
    /// `packet-delay`: delay messages; jitter reorders them.
    PacketDelay {
        /// The nodes (default `all`).
        target: Target,
        /// The latency distribution.
        latency: Latency,
    },
    /// `net-reset`: the scenario's own loss, duplication and latency again.
    NetReset {
        /// The nodes (default `all`).
        target: Target,
    },
    /// A fault the cluster model defines, by name.
    Model {
        /// Its name, such as `hint-backlog`.
        name: String,
        /// The nodes (default `all`).
        target: Target,
        /// Every other key of the event.
        params: BTreeMap<String, Param>,
    },
    /// `model-stop`: stop a model fault.
    ModelStop {
        /// The model fault to stop.
        name: String,
        /// The nodes (default `all`).
        target: Target,
    },
}

/// How a latency is drawn for each message.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum Distribution {
    /// `latency + U[0, jitter]`.
    #[default]
    Uniform,
    /// `N(latency, jitter)`, cut at zero.
    Normal,
    /// `latency + Exp(mean = jitter)`.
    Exponential,
}

impl Distribution {
    /// The kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            Distribution::Uniform => "uniform",
            Distribution::Normal => "normal",
            Distribution::Exponential => "exponential",
        }
    }
}

/// A message latency distribution: a base latency and a jitter.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
pub struct Latency {
    /// The base latency, in milliseconds.
    pub latency_ms: u64,
    /// The spread, in milliseconds (its meaning depends on the distribution).
    pub jitter_ms: u64,
    /// How the spread is drawn.
    pub distribution: Distribution,
}

impl Latency {
    /// Draws one message's latency, in nanoseconds.
    pub fn sample_nanos<R: Rng + ?Sized>(&self, rng: &mut R) -> u64 {
        let base = self.latency_ms.saturating_mul(1_000_000);
        let jitter = self.jitter_ms.saturating_mul(1_000_000);
        if jitter == 0 {
            return base;
        }
        match self.distribution {
            Distribution::Uniform => base.saturating_add(rng.random_range(0..=jitter)),
            Distribution::Normal => {
                // Box–Muller: one standard normal from two uniforms.
                let u1: f64 = 1.0 - rng.random::<f64>();
                let u2: f64 = rng.random::<f64>();
                let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
                let x = base as f64 + z * jitter as f64;
                if x <= 0.0 {
                    0
                } else {
                    x as u64
                }
            }
            Distribution::Exponential => {
                let u: f64 = 1.0 - rng.random::<f64>();
                let x = -u.ln() * jitter as f64;
                base.saturating_add(x as u64)
            }
        }
    }
}

/// Why a table could not be read as a fault.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FaultError {
    /// The table has no `fault` key.
    #[error("missing `fault`: say which fault, e.g. fault = \"crash\"")]
    MissingName,
    /// `fault` is not a string.
    #[error("`fault` must be a string naming the fault, not {0}")]
    NameNotString(&'static str),
    /// A required parameter is missing.
    #[error("fault `{fault}` needs `{param}` ({kind})")]
    MissingParam {
        /// The fault.
        fault: String,
        /// The parameter.
        param: String,
        /// What it should be.
        kind: String,
    },
    /// A parameter has the wrong type or an impossible value.
    #[error("fault `{fault}`: `{param}` {message}")]
    BadParam {
        /// The fault.
        fault: String,
        /// The parameter.
        param: String,
        /// What is wrong.
        message: String,
    },
    /// A built-in fault got a parameter it does not take.
    #[error("fault `{fault}` takes no parameter `{param}`{}; it takes: {}", suggestion.as_ref().map(|s| format!(" (did you mean `{s}`?)")).unwrap_or_default(), if known.is_empty() { "nothing".to_string() } else { known.join(", ") })]
    UnknownParam {
        /// The fault.
        fault: String,
        /// The parameter given.
        param: String,
        /// The closest known parameter.
        suggestion: Option<String>,
        /// Every parameter the fault takes.
        known: Vec<String>,
    },
}

/// Takes typed fields out of a table, then complains about what is left.
struct Fields {
    fault: String,
    map: BTreeMap<String, Param>,
}

impl Fields {
    fn bad(&self, param: &str, message: impl Into<String>) -> FaultError {
        FaultError::BadParam {
            fault: self.fault.clone(),
            param: param.to_string(),
            message: message.into(),
        }
    }

    fn missing(&self, param: &str, kind: &str) -> FaultError {
        FaultError::MissingParam {
            fault: self.fault.clone(),
            param: param.to_string(),
            kind: kind.to_string(),
        }
    }

    fn target(&mut self, key: &str, default: Target) -> Result<Target, FaultError> {
        Ok(self.opt_target(key)?.unwrap_or(default))
    }

    fn opt_target(&mut self, key: &str) -> Result<Option<Target>, FaultError> {
        match self.map.remove(key) {
            None => Ok(None),
            Some(v) => Target::from_param(&v)
                .map(Some)
                .map_err(|m| self.bad(key, m)),
        }
    }

    fn i64(&mut self, key: &str) -> Result<i64, FaultError> {
        match self.map.remove(key) {
            None => Err(self.missing(key, "an integer")),
            Some(Param::Int(i)) => Ok(i),
            Some(other) => Err(self.bad(key, format!("must be an integer, not {}", other.kind()))),
        }
    }

    fn u64(&mut self, key: &str, default: Option<u64>) -> Result<u64, FaultError> {
        match self.map.remove(key) {
            None => default.ok_or_else(|| self.missing(key, "an integer ≥ 0")),
            Some(Param::Int(i)) => {
                u64::try_from(i).map_err(|_| self.bad(key, format!("cannot be negative (got {i})")))
            }
            Some(other) => Err(self.bad(key, format!("must be an integer, not {}", other.kind()))),
        }
    }

    fn f64(&mut self, key: &str) -> Result<f64, FaultError> {
        match self.map.remove(key) {
            None => Err(self.missing(key, "a number")),
            Some(v) => v
                .as_f64()
                .ok_or_else(|| self.bad(key, format!("must be a number, not {}", v.kind()))),
        }
    }

    fn string(&mut self, key: &str) -> Result<Option<String>, FaultError> {
        match self.map.remove(key) {
            None => Ok(None),
            Some(Param::Str(s)) => Ok(Some(s)),
            Some(other) => Err(self.bad(key, format!("must be a string, not {}", other.kind()))),
        }
    }

    fn groups(&mut self, key: &str) -> Result<Vec<Vec<usize>>, FaultError> {
        let value = self
            .map
            .remove(key)
            .ok_or_else(|| self.missing(key, "a list of lists of node indices"))?;
        let shape = "must be a list of lists of node indices, like [[0, 1], [2, 3, 4]]";
        let Param::List(groups) = value else {
            return Err(self.bad(key, shape));
        };
        let mut out = Vec::with_capacity(groups.len());
        for group in groups {
            let Param::List(nodes) = group else {
                return Err(self.bad(key, shape));
            };
            let mut g = Vec::with_capacity(nodes.len());
            for node in nodes {
                match node {
                    Param::Int(i) => g.push(usize::try_from(i).map_err(|_| {
                        self.bad(
                            key,
                            format!("holds node index {i}; nodes are numbered from 0"),
                        )
                    })?),
                    _ => return Err(self.bad(key, shape)),
                }
            }
            out.push(g);
        }
        Ok(out)
    }

    /// Errors on any key left over, suggesting the closest known one.
    fn finish(self) -> Result<(), FaultError> {
        let Some(param) = self.map.keys().next() else {
            return Ok(());
        };
        let known: Vec<String> = catalog::info(&self.fault)
            .map(|i| i.params.iter().map(|p| p.name.to_string()).collect())
            .unwrap_or_default();
        let suggestion = did_you_mean(param, known.iter().map(String::as_str)).map(str::to_string);
        Err(FaultError::UnknownParam {
            fault: self.fault.clone(),
            param: param.clone(),
            suggestion,
            known,
        })
    }
}

impl Fault {
    /// Its name in a scenario file (for model faults, the model's name).
    pub fn name(&self) -> &str {
        match self {
            Fault::RandomHalves => "random-halves",
            Fault::Isolate { .. } => "isolate",
            Fault::MajoritiesRing => "majorities-ring",
            Fault::Bridge => "bridge",
            Fault::OneWay { .. } => "one-way",
            Fault::Groups { .. } => "groups",
            Fault::Heal => "heal",
            Fault::Crash { .. } => "crash",
            Fault::Restart { .. } => "restart",
            Fault::Pause { .. } => "pause",
            Fault::Resume { .. } => "resume",
            Fault::ClockBump { .. } => "clock-bump",
            Fault::ClockStrobe { .. } => "clock-strobe",
            Fault::ClockDrift { .. } => "clock-drift",
            Fault::ClockReset { .. } => "clock-reset",
            Fault::PacketLoss { .. } => "packet-loss",
            Fault::PacketDuplicate { .. } => "packet-duplicate",
            Fault::PacketDelay { .. } => "packet-delay",
            Fault::NetReset { .. } => "net-reset",
            Fault::Model { name, .. } => name,
            Fault::ModelStop { .. } => "model-stop",
        }
    }

    /// What the fault disturbs.
    pub fn category(&self) -> catalog::Category {
        use catalog::Category;
        match self {
            Fault::RandomHalves
            | Fault::Isolate { .. }
            | Fault::MajoritiesRing
            | Fault::Bridge
            | Fault::OneWay { .. }
            | Fault::Groups { .. }
            | Fault::Heal => Category::Partition,
            Fault::Crash { .. }
            | Fault::Restart { .. }
            | Fault::Pause { .. }
            | Fault::Resume { .. } => Category::Process,
            Fault::ClockBump { .. }
            | Fault::ClockStrobe { .. }
            | Fault::ClockDrift { .. }
            | Fault::ClockReset { .. } => Category::Clock,
            Fault::PacketLoss { .. }
            | Fault::PacketDuplicate { .. }
            | Fault::PacketDelay { .. }
            | Fault::NetReset { .. } => Category::Network,
            Fault::Model { .. } | Fault::ModelStop { .. } => Category::Model,
        }
    }

    /// Whether this fault is a partition (one that `heal` undoes).
    pub fn is_partition(&self) -> bool {
        self.category() == catalog::Category::Partition && *self != Fault::Heal
    }

    /// The target, for faults that have a single one.
    pub fn target(&self) -> Option<&Target> {
        match self {
            Fault::Isolate { target }
            | Fault::Crash { target }
            | Fault::Restart { target }
            | Fault::Pause { target }
            | Fault::Resume { target }
            | Fault::ClockBump { target, .. }
            | Fault::ClockStrobe { target, .. }
            | Fault::ClockDrift { target, .. }
            | Fault::ClockReset { target }
            | Fault::PacketLoss { target, .. }
            | Fault::PacketDuplicate { target, .. }
            | Fault::PacketDelay { target, .. }
            | Fault::NetReset { target }
            | Fault::Model { target, .. }
            | Fault::ModelStop { target, .. } => Some(target),
            Fault::OneWay { from, .. } => Some(from),
            Fault::RandomHalves
            | Fault::MajoritiesRing
            | Fault::Bridge
            | Fault::Groups { .. }
            | Fault::Heal => None,
        }
    }

    /// The fault that undoes this one, at the level of the vocabulary (same
    /// target *expression*). `None` for faults that are themselves undos.
    ///
    /// When an event has a `duration`, the running nemesis undoes it on the
    /// very nodes the start resolved to, not by resolving the target again.
    pub fn undo(&self) -> Option<Fault> {
        match self {
            f if f.is_partition() => Some(Fault::Heal),
            Fault::Crash { target } => Some(Fault::Restart {
                target: target.clone(),
            }),
            Fault::Pause { target } => Some(Fault::Resume {
                target: target.clone(),
            }),
            Fault::ClockBump { target, .. }
            | Fault::ClockStrobe { target, .. }
            | Fault::ClockDrift { target, .. } => Some(Fault::ClockReset {
                target: target.clone(),
            }),
            Fault::PacketLoss { target, .. }
            | Fault::PacketDuplicate { target, .. }
            | Fault::PacketDelay { target, .. } => Some(Fault::NetReset {
                target: target.clone(),
            }),
            Fault::Model { name, target, .. } => Some(Fault::ModelStop {
                name: name.clone(),
                target: target.clone(),
            }),
            _ => None,
        }
    }

    /// Reads a fault from its table (`fault` plus parameters). Keys that an
    /// event uses itself (`at`, `duration`) must already be removed.
    pub fn from_params(mut map: BTreeMap<String, Param>) -> Result<Fault, FaultError> {
        let name = match map.remove("fault") {
            None => return Err(FaultError::MissingName),
            Some(Param::Str(s)) => s,
            Some(other) => return Err(FaultError::NameNotString(other.kind())),
        };
        let mut f = Fields {
            fault: name.clone(),
            map,
        };
        let fault = match name.as_str() {
            "random-halves" => Fault::RandomHalves,
            "isolate" => Fault::Isolate {
                target: f.target("target", Target::One)?,
            },
            "majorities-ring" => Fault::MajoritiesRing,
            "bridge" => Fault::Bridge,
            "one-way" => Fault::OneWay {
                from: f.target("from", Target::One)?,
                to: f.opt_target("to")?,
            },
            "groups" => Fault::Groups {
                groups: f.groups("groups")?,
            },
            "heal" => Fault::Heal,
            "crash" => Fault::Crash {
                target: f.target("target", Target::One)?,
            },
            "restart" => Fault::Restart {
                target: f.target("target", Target::All)?,
            },
            "pause" => Fault::Pause {
                target: f.target("target", Target::One)?,
            },
            "resume" => Fault::Resume {
                target: f.target("target", Target::All)?,
            },
            "clock-bump" => Fault::ClockBump {
                target: f.target("target", Target::One)?,
                offset_ms: f.i64("offset_ms")?,
            },
            "clock-strobe" => Fault::ClockStrobe {
                target: f.target("target", Target::One)?,
                offset_ms: f.i64("offset_ms")?,
                period_ms: f.u64("period_ms", Some(10))?,
                duration_ms: f.u64("duration_ms", None)?,
            },
            "clock-drift" => Fault::ClockDrift {
                target: f.target("target", Target::One)?,
                rate: f.f64("rate")?,
            },
            "clock-reset" => Fault::ClockReset {
                target: f.target("target", Target::All)?,
            },
            "packet-loss" => Fault::PacketLoss {
                target: f.target("target", Target::All)?,
                rate: f.f64("rate")?,
            },
            "packet-duplicate" => Fault::PacketDuplicate {
                target: f.target("target", Target::All)?,
                rate: f.f64("rate")?,
            },
            "packet-delay" => {
                let target = f.target("target", Target::All)?;
                let latency_ms = f.u64("latency_ms", None)?;
                let jitter_ms = f.u64("jitter_ms", Some(0))?;
                let distribution = match f.string("distribution")?.as_deref() {
                    None | Some("uniform") => Distribution::Uniform,
                    Some("normal") => Distribution::Normal,
                    Some("exponential") => Distribution::Exponential,
                    Some(other) => {
                        return Err(f.bad(
                            "distribution",
                            format!("is `{other}`; use \"uniform\", \"normal\" or \"exponential\""),
                        ))
                    }
                };
                Fault::PacketDelay {
                    target,
                    latency: Latency {
                        latency_ms,
                        jitter_ms,
                        distribution,
                    },
                }
            }
            "net-reset" => Fault::NetReset {
                target: f.target("target", Target::All)?,
            },
            "model-stop" => Fault::ModelStop {
                name: f
                    .string("name")?
                    .ok_or_else(|| f.missing("name", "the model fault to stop"))?,
                target: f.target("target", Target::All)?,
            },
            _ => {
                let target = f.target("target", Target::All)?;
                return Ok(Fault::Model {
                    name,
                    target,
                    params: std::mem::take(&mut f.map),
                });
            }
        };
        f.finish()?;
        Ok(fault)
    }

    /// The fault as a table (`fault` plus parameters), the inverse of
    /// [`Fault::from_params`]. Defaults are written out too.
    pub fn to_params(&self) -> BTreeMap<String, Param> {
        let mut m = BTreeMap::new();
        m.insert("fault".to_string(), Param::Str(self.name().to_string()));
        let mut put = |k: &str, v: Param| {
            m.insert(k.to_string(), v);
        };
        match self {
            Fault::RandomHalves | Fault::MajoritiesRing | Fault::Bridge | Fault::Heal => {}
            Fault::Isolate { target }
            | Fault::Crash { target }
            | Fault::Restart { target }
            | Fault::Pause { target }
            | Fault::Resume { target }
            | Fault::ClockReset { target }
            | Fault::NetReset { target } => put("target", target.to_param()),
            Fault::OneWay { from, to } => {
                put("from", from.to_param());
                if let Some(to) = to {
                    put("to", to.to_param());
                }
            }
            Fault::Groups { groups } => put(
                "groups",
                Param::List(
                    groups
                        .iter()
                        .map(|g| Param::List(g.iter().map(|n| Param::Int(*n as i64)).collect()))
                        .collect(),
                ),
            ),
            Fault::ClockBump { target, offset_ms } => {
                put("target", target.to_param());
                put("offset_ms", Param::Int(*offset_ms));
            }
            Fault::ClockStrobe {
                target,
                offset_ms,
                period_ms,
                duration_ms,
            } => {
                put("target", target.to_param());
                put("offset_ms", Param::Int(*offset_ms));
                put("period_ms", Param::Int(clamp_i64(*period_ms)));
                put("duration_ms", Param::Int(clamp_i64(*duration_ms)));
            }
            Fault::ClockDrift { target, rate }
            | Fault::PacketLoss { target, rate }
            | Fault::PacketDuplicate { target, rate } => {
                put("target", target.to_param());
                put("rate", Param::Float(*rate));
            }
            Fault::PacketDelay { target, latency } => {
                put("target", target.to_param());
                put("latency_ms", Param::Int(clamp_i64(latency.latency_ms)));
                put("jitter_ms", Param::Int(clamp_i64(latency.jitter_ms)));
                put(
                    "distribution",
                    Param::Str(latency.distribution.name().to_string()),
                );
            }
            Fault::Model { target, params, .. } => {
                for (k, v) in params {
                    put(k, v.clone());
                }
                put("target", target.to_param());
            }
            Fault::ModelStop { name, target } => {
                put("name", Param::Str(name.clone()));
                put("target", target.to_param());
            }
        }
        m
    }
}

fn clamp_i64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

impl fmt::Display for Fault {
    /// `name key=value …`, e.g. `clock-bump offset_ms=-5000 target="one"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())?;
        for (k, v) in self.to_params() {
            if k != "fault" {
                write!(f, " {k}={v}")?;
            }
        }
        Ok(())
    }
}

impl Serialize for Fault {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.to_params())
    }
}

impl<'de> Deserialize<'de> for Fault {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let map = BTreeMap::<String, Param>::deserialize(deserializer)?;
        Fault::from_params(map).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn table(pairs: &[(&str, Param)]) -> BTreeMap<String, Param> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    }

    #[test]
    fn reads_faults_with_defaults() {
        let f = Fault::from_params(table(&[("fault", "crash".into())])).unwrap();
        assert_eq!(
            f,
            Fault::Crash {
                target: Target::One
            }
        );
        let f = Fault::from_params(table(&[
            ("fault", "clock-bump".into()),
            ("target", Param::Int(2)),
            ("offset_ms", Param::Int(-5000)),
        ]))
        .unwrap();
        assert_eq!(
            f,
            Fault::ClockBump {
                target: Target::Node(2),
                offset_ms: -5000
            }
        );
    }

    #[test]
    fn unknown_parameter_is_named_with_a_suggestion() {
        let err = Fault::from_params(table(&[
            ("fault", "clock-bump".into()),
            ("offset", Param::Int(5)),
            ("offset_ms", Param::Int(5)),
        ]))
        .unwrap_err();
        assert!(matches!(&err, FaultError::UnknownParam { param, .. } if param == "offset"));
        let text = err.to_string();
        assert!(text.contains("did you mean `offset_ms`"), "{text}");
    }

    #[test]
    fn wrong_types_and_missing_params_are_errors() {
        assert!(matches!(
            Fault::from_params(table(&[("fault", "packet-loss".into())])),
            Err(FaultError::MissingParam { .. })
        ));
        assert!(matches!(
            Fault::from_params(table(&[
                ("fault", "packet-delay".into()),
                ("latency_ms", Param::Int(-3))
            ])),
            Err(FaultError::BadParam { .. })
        ));
        assert!(matches!(
            Fault::from_params(table(&[
                ("fault", "crash".into()),
                ("target", Param::Bool(true))
            ])),
            Err(FaultError::BadParam { .. })
        ));
        assert_eq!(Fault::from_params(table(&[])), Err(FaultError::MissingName));
    }

    #[test]
    fn unknown_names_are_model_faults_with_their_params() {
        let f = Fault::from_params(table(&[
            ("fault", "hint-backlog".into()),
            ("throttle", Param::Float(0.5)),
        ]))
        .unwrap();
        assert_eq!(
            f,
            Fault::Model {
                name: "hint-backlog".into(),
                target: Target::All,
                params: table(&[("throttle", Param::Float(0.5))]),
            }
        );
        assert_eq!(
            f.undo(),
            Some(Fault::ModelStop {
                name: "hint-backlog".into(),
                target: Target::All
            })
        );
    }

    #[test]
    fn every_catalog_fault_round_trips_through_params() {
        for info in catalog::catalog() {
            let mut map = table(&[("fault", info.name.into())]);
            for p in &info.params {
                if p.default.is_none() {
                    let v = match p.name {
                        "groups" => Param::List(vec![Param::List(vec![Param::Int(0)])]),
                        "rate" => Param::Float(0.5),
                        "name" => "hint-backlog".into(),
                        _ => Param::Int(7),
                    };
                    map.insert(p.name.to_string(), v);
                }
            }
            let fault = Fault::from_params(map).unwrap_or_else(|e| panic!("{}: {e}", info.name));
            assert_eq!(fault.name(), info.name);
            assert_eq!(Fault::from_params(fault.to_params()).unwrap(), fault);
        }
    }

    #[test]
    fn latency_samples_stay_in_range() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        let uniform = Latency {
            latency_ms: 2,
            jitter_ms: 3,
            distribution: Distribution::Uniform,
        };
        for _ in 0..1000 {
            let x = uniform.sample_nanos(&mut rng);
            assert!((2_000_000..=5_000_000).contains(&x));
        }
        let exp = Latency {
            distribution: Distribution::Exponential,
            ..uniform
        };
        let mean = (0..20_000).map(|_| exp.sample_nanos(&mut rng)).sum::<u64>() as f64 / 20_000.0;
        assert!((mean - 5e6).abs() < 0.2e6, "{mean}");
    }
}
