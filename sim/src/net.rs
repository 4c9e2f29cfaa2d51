//! The simulated network between nodes: latency distributions, loss,
//! duplication and partitions, decided per message from the run's seed.
//!
//! Turmoil's own links model latency in whole milliseconds from one global
//! curve and model loss as a link that breaks and later repairs; they have
//! no duplication and no per-link distributions. So the engine routes node
//! messages through this model instead, which decides for every message,
//! at send time, whether it is lost, when it arrives and whether a second
//! copy arrives too. A partition is checked again when a message arrives,
//! so packets in flight when a partition starts are lost, as with a
//! firewall rule.

use crate::node::NodeId;
use rand::{Rng, RngCore};
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;
use std::fmt;

/// Longest latency a link may be given: one hour. Anything longer is a
/// mistake in a scenario, not a network.
pub const LATENCY_NS_MAX: u64 = 3_600_000_000_000;

/// How the spread of a [`Latency`] is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Shape {
    /// `base + U[0, jitter]`.
    #[default]
    Uniform,
    /// `N(base, jitter)`, cut at zero.
    Normal,
    /// `base + Exp(mean = jitter)`, cut at [`LATENCY_NS_MAX`].
    Exponential,
}

/// A message latency distribution: a base and a jitter in nanoseconds.
/// Any jitter reorders messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Latency {
    /// The base latency, in nanoseconds.
    pub base_ns: u64,
    /// The spread, in nanoseconds (its meaning depends on `shape`).
    pub jitter_ns: u64,
    /// How the spread is drawn.
    pub shape: Shape,
}

impl Default for Latency {
    /// 1–5 ms, uniform.
    fn default() -> Self {
        Latency::uniform_ms(1, 5)
    }
}

impl Latency {
    /// Always exactly `ms` milliseconds.
    pub fn fixed_ms(ms: u64) -> Self {
        Latency {
            base_ns: ms.saturating_mul(1_000_000),
            jitter_ns: 0,
            shape: Shape::Uniform,
        }
    }

    /// Uniform between `min_ms` and `max_ms` milliseconds (swapped if given
    /// the wrong way round).
    pub fn uniform_ms(min_ms: u64, max_ms: u64) -> Self {
        let (lo, hi) = (min_ms.min(max_ms), min_ms.max(max_ms));
        Latency {
            base_ns: lo.saturating_mul(1_000_000),
            jitter_ns: (hi - lo).saturating_mul(1_000_000),
            shape: Shape::Uniform,
        }
    }

    /// Checks that the distribution stays within [`LATENCY_NS_MAX`].
    pub fn validate(&self) -> Result<(), String> {
        if self.base_ns > LATENCY_NS_MAX || self.jitter_ns > LATENCY_NS_MAX {
            return Err(format!(
                "latency {self} is absurd: base and jitter must each be at most 1 hour"
            ));
        }
        Ok(())
    }

    /// Draws one latency, in nanoseconds.
    pub fn sample_ns<R: RngCore + ?Sized>(&self, rng: &mut R) -> u64 {
        if self.jitter_ns == 0 {
            return self.base_ns;
        }
        let drawn = match self.shape {
            Shape::Uniform => self
                .base_ns
                .saturating_add(rng.random_range(0..=self.jitter_ns)),
            Shape::Normal => {
                let u1: f64 = 1.0 - rng.random::<f64>();
                let u2: f64 = rng.random::<f64>();
                let z = (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos();
                let x = self.base_ns as f64 + z * self.jitter_ns as f64;
                if x <= 0.0 {
                    0
                } else {
                    x as u64
                }
            }
            Shape::Exponential => {
                let u: f64 = 1.0 - rng.random::<f64>();
                self.base_ns
                    .saturating_add((-u.ln() * self.jitter_ns as f64) as u64)
            }
        };
        drawn.min(LATENCY_NS_MAX)
    }
}

impl fmt::Display for Latency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = |ns: u64| ns as f64 / 1e6;
        match self.shape {
            Shape::Uniform => write!(
                f,
                "{}..{}ms uniform",
                ms(self.base_ns),
                ms(self.base_ns.saturating_add(self.jitter_ns))
            ),
            Shape::Normal => write!(
                f,
                "normal(mean {}ms, sd {}ms)",
                ms(self.base_ns),
                ms(self.jitter_ns)
            ),
            Shape::Exponential => write!(
                f,
                "{}ms + exp(mean {}ms)",
                ms(self.base_ns),
                ms(self.jitter_ns)
            ),
        }
    }
}

/// How one directed link treats messages.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct LinkConfig {
    /// Latency distribution.
    pub latency: Latency,
    /// Probability that a message is lost, 0.0 to 1.0.
    pub loss_rate: f64,
    /// Probability that a message is delivered twice, 0.0 to 1.0.
    pub duplicate_rate: f64,
}

impl Default for LinkConfig {
    fn default() -> Self {
        LinkConfig {
            latency: Latency::default(),
            loss_rate: 0.0,
            duplicate_rate: 0.0,
        }
    }
}

impl LinkConfig {
    /// Checks rates (finite, within 0..=1) and the latency.
    pub fn validate(&self) -> Result<(), String> {
        check_rate("loss_rate", self.loss_rate)?;
        check_rate("duplicate_rate", self.duplicate_rate)?;
        self.latency.validate()
    }
}

/// Checks that a probability is a finite number within 0..=1.
pub fn check_rate(name: &str, rate: f64) -> Result<(), String> {
    if rate.is_finite() && (0.0..=1.0).contains(&rate) {
        Ok(())
    } else {
        Err(format!(
            "`{name}` = {rate} is not a probability: write a number from 0.0 to 1.0"
        ))
    }
}

/// A partial change to links: fields left `None` keep their value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct LinkUpdate {
    /// New latency distribution.
    pub latency: Option<Latency>,
    /// New loss probability.
    pub loss_rate: Option<f64>,
    /// New duplication probability.
    pub duplicate_rate: Option<f64>,
}

impl LinkUpdate {
    /// Checks the values it sets.
    pub fn validate(&self) -> Result<(), String> {
        if let Some(r) = self.loss_rate {
            check_rate("loss_rate", r)?;
        }
        if let Some(r) = self.duplicate_rate {
            check_rate("duplicate_rate", r)?;
        }
        if let Some(l) = &self.latency {
            l.validate()?;
        }
        Ok(())
    }

    fn apply(&self, link: &mut LinkConfig) {
        if let Some(l) = self.latency {
            link.latency = l;
        }
        if let Some(r) = self.loss_rate {
            link.loss_rate = r;
        }
        if let Some(r) = self.duplicate_rate {
            link.duplicate_rate = r;
        }
    }
}

/// What the network decided for one message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fate {
    /// Lost (cut link or loss rate).
    Dropped,
    /// Delivered after this many nanoseconds, possibly twice.
    Deliver {
        delay_ns: u64,
        duplicate_delay_ns: Option<u64>,
    },
}

/// Every directed link between nodes, and the partition in force.
#[derive(Debug, Clone)]
pub(crate) struct Network {
    nodes: usize,
    default: LinkConfig,
    /// `links[from * nodes + to]`.
    links: Vec<LinkConfig>,
    /// Directed links that drop everything.
    cut: BTreeSet<(u32, u32)>,
    /// `blocked[from * nodes + to]`, a dense copy of `cut` for the hot path.
    blocked: Vec<bool>,
}

impl Network {
    pub(crate) fn new(nodes: usize, default: LinkConfig) -> Self {
        Network {
            nodes,
            default,
            links: vec![default; nodes * nodes],
            cut: BTreeSet::new(),
            blocked: vec![false; nodes * nodes],
        }
    }

    fn index(&self, from: NodeId, to: NodeId) -> usize {
        from.index() * self.nodes + to.index()
    }

    pub(crate) fn link(&self, from: NodeId, to: NodeId) -> &LinkConfig {
        &self.links[self.index(from, to)]
    }

    pub(crate) fn update_link(&mut self, from: NodeId, to: NodeId, update: &LinkUpdate) {
        let i = self.index(from, to);
        update.apply(&mut self.links[i]);
    }

    pub(crate) fn reset_link(&mut self, from: NodeId, to: NodeId) {
        let i = self.index(from, to);
        self.links[i] = self.default;
    }

    pub(crate) fn is_blocked(&self, from: NodeId, to: NodeId) -> bool {
        self.blocked[self.index(from, to)]
    }

    /// Replaces the partition with exactly these cut links.
    pub(crate) fn set_cut(&mut self, links: BTreeSet<(u32, u32)>) {
        self.blocked.iter_mut().for_each(|b| *b = false);
        for &(f, t) in &links {
            let i = self.index(NodeId(f), NodeId(t));
            self.blocked[i] = true;
        }
        self.cut = links;
    }

    pub(crate) fn cut(&self) -> &BTreeSet<(u32, u32)> {
        &self.cut
    }

    /// Decides the fate of one message from `from` to `to`.
    pub(crate) fn decide<R: RngCore + ?Sized>(
        &self,
        from: NodeId,
        to: NodeId,
        rng: &mut R,
    ) -> Fate {
        if from == to {
            return Fate::Deliver {
                delay_ns: 0,
                duplicate_delay_ns: None,
            };
        }
        let i = self.index(from, to);
        if self.blocked[i] {
            return Fate::Dropped;
        }
        let link = &self.links[i];
        // Draw only for rates in use, so that a run with no loss configured
        // draws the same numbers as before a rate of zero was set.
        if link.loss_rate > 0.0 && rng.random::<f64>() < link.loss_rate {
            return Fate::Dropped;
        }
        let delay_ns = link.latency.sample_ns(rng);
        let duplicate_delay_ns =
            if link.duplicate_rate > 0.0 && rng.random::<f64>() < link.duplicate_rate {
                Some(link.latency.sample_ns(rng))
            } else {
                None
            };
        Fate::Deliver {
            delay_ns,
            duplicate_delay_ns,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn uniform_latency_stays_in_range() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let l = Latency::uniform_ms(1, 5);
        for _ in 0..1000 {
            let ns = l.sample_ns(&mut rng);
            assert!((1_000_000..=5_000_000).contains(&ns), "{ns}");
        }
    }

    #[test]
    fn rates_are_checked() {
        assert!(check_rate("r", 0.5).is_ok());
        for bad in [-0.1, 1.5, f64::NAN, f64::INFINITY] {
            let err = check_rate("loss_rate", bad).unwrap_err();
            assert!(err.contains("loss_rate"), "{err}");
        }
        let absurd = Latency {
            base_ns: LATENCY_NS_MAX + 1,
            jitter_ns: 0,
            shape: Shape::Uniform,
        };
        assert!(absurd.validate().is_err());
    }

    #[test]
    fn cut_blocks_one_direction_only() {
        let mut net = Network::new(3, LinkConfig::default());
        net.set_cut([(0, 1)].into_iter().collect());
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        assert_eq!(net.decide(NodeId(0), NodeId(1), &mut rng), Fate::Dropped);
        assert!(matches!(
            net.decide(NodeId(1), NodeId(0), &mut rng),
            Fate::Deliver { .. }
        ));
        net.set_cut(BTreeSet::new());
        assert!(!net.is_blocked(NodeId(0), NodeId(1)));
    }
}
