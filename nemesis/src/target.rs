//! Which nodes a fault hits, and how a target becomes concrete node indices.
//!
//! Nodes are always named by their index `0..node_count` in the cluster, in
//! schedules, targets, resolved actions and the nemesis log alike.

use std::collections::BTreeSet;
use std::fmt;

use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::param::Param;

/// The nodes a fault applies to.
///
/// Written in a scenario file as:
/// - an integer, `2`: that node (index from 0);
/// - a list of integers, `[0, 3]`: those nodes;
/// - `"one"`: one node picked at random from the seed;
/// - `"minority"` / `"majority"`: a random minority (`n - (n/2 + 1)` nodes)
///   or majority (`n/2 + 1` nodes);
/// - `"all"`: every node;
/// - any other string, such as `"leader"` or `"primaries"`: a role the
///   cluster model reports at the moment the fault starts.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    /// One named node, by index.
    Node(usize),
    /// An explicit set of nodes, by index.
    Nodes(Vec<usize>),
    /// One random node.
    One,
    /// A random minority: `n - (n/2 + 1)` nodes.
    Minority,
    /// A random majority: `n/2 + 1` nodes.
    Majority,
    /// Every node.
    All,
    /// The nodes the model reports for a role (`leader`, `primaries`, …).
    Role(String),
}

/// The size of a majority of `node_count` nodes.
pub fn majority(node_count: usize) -> usize {
    node_count / 2 + 1
}

/// The size of the largest minority of `node_count` nodes.
pub fn minority(node_count: usize) -> usize {
    node_count.saturating_sub(majority(node_count))
}

/// Answers "which nodes hold this role right now?" for role targets.
///
/// A cluster model implements this (or passes a closure) so that targets
/// like `leader` resolve at the moment a fault starts. `None` means the model
/// knows no such role; an empty list means nobody holds it now.
pub trait Roles {
    /// The nodes that hold `role` now, or `None` if the role is unknown.
    fn members(&self, role: &str) -> Option<Vec<usize>>;
}

/// A [`Roles`] for models that define no roles.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoRoles;

impl Roles for NoRoles {
    fn members(&self, _role: &str) -> Option<Vec<usize>> {
        None
    }
}

impl<F: Fn(&str) -> Option<Vec<usize>>> Roles for F {
    fn members(&self, role: &str) -> Option<Vec<usize>> {
        self(role)
    }
}

/// Why a target could not be resolved to nodes.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    /// A node index at or past the node count.
    #[error("node {node} does not exist: the cluster has {node_count} nodes, numbered 0 to {}", node_count.saturating_sub(1))]
    NoSuchNode {
        /// The index asked for.
        node: usize,
        /// The number of nodes.
        node_count: usize,
    },
    /// A role the model does not define.
    #[error("the model defines no role `{0}`")]
    UnknownRole(String),
    /// The model reported a node past the node count for a role.
    #[error(
        "the model reported node {node} for role `{role}`, but the cluster has {node_count} nodes"
    )]
    BadRoleMember {
        /// The role.
        role: String,
        /// The reported node.
        node: usize,
        /// The number of nodes.
        node_count: usize,
    },
}

impl Target {
    /// The concrete nodes, sorted and without repeats.
    ///
    /// Random targets draw from `rng`, so the same seed gives the same nodes.
    /// `eligible` restricts random picks: `One` picks among the eligible
    /// nodes, and `Minority`/`Majority` prefer eligible nodes before the
    /// others; explicit nodes, `All` and roles are not filtered here.
    pub fn resolve<R: Rng + ?Sized>(
        &self,
        node_count: usize,
        eligible: &BTreeSet<usize>,
        roles: &dyn Roles,
        rng: &mut R,
    ) -> Result<Vec<usize>, ResolveError> {
        let check = |node: usize| {
            if node < node_count {
                Ok(node)
            } else {
                Err(ResolveError::NoSuchNode { node, node_count })
            }
        };
        let mut nodes: Vec<usize> = match self {
            Target::Node(n) => vec![check(*n)?],
            Target::Nodes(ns) => ns.iter().map(|n| check(*n)).collect::<Result<_, _>>()?,
            Target::All => (0..node_count).collect(),
            Target::One => {
                let pool: Vec<usize> = eligible
                    .iter()
                    .copied()
                    .filter(|n| *n < node_count)
                    .collect();
                if pool.is_empty() {
                    Vec::new()
                } else {
                    vec![pool[rng.random_range(0..pool.len())]]
                }
            }
            Target::Minority => pick_preferring(node_count, minority(node_count), eligible, rng),
            Target::Majority => pick_preferring(node_count, majority(node_count), eligible, rng),
            Target::Role(role) => {
                let members = roles
                    .members(role)
                    .ok_or_else(|| ResolveError::UnknownRole(role.clone()))?;
                for &node in &members {
                    if node >= node_count {
                        return Err(ResolveError::BadRoleMember {
                            role: role.clone(),
                            node,
                            node_count,
                        });
                    }
                }
                members
            }
        };
        nodes.sort_unstable();
        nodes.dedup();
        Ok(nodes)
    }

    /// The explicit nodes named, if this target names nodes directly.
    pub fn explicit_nodes(&self) -> Option<Vec<usize>> {
        match self {
            Target::Node(n) => Some(vec![*n]),
            Target::Nodes(ns) => {
                let mut ns = ns.clone();
                ns.sort_unstable();
                ns.dedup();
                Some(ns)
            }
            _ => None,
        }
    }

    /// Reads a target from a parameter value (see the type's docs for forms).
    pub fn from_param(value: &Param) -> Result<Target, String> {
        match value {
            Param::Int(i) => usize::try_from(*i)
                .map(Target::Node)
                .map_err(|_| format!("node index {i} is negative: nodes are numbered from 0")),
            Param::List(items) => {
                let mut nodes = Vec::with_capacity(items.len());
                for item in items {
                    match item {
                        Param::Int(i) => nodes.push(usize::try_from(*i).map_err(|_| {
                            format!("node index {i} is negative: nodes are numbered from 0")
                        })?),
                        other => {
                            return Err(format!(
                                "a target list holds node indices, not {}",
                                other.kind()
                            ))
                        }
                    }
                }
                Ok(Target::Nodes(nodes))
            }
            Param::Str(s) => Ok(s.parse().unwrap_or_else(|never: std::convert::Infallible| match never {})),
            other => Err(format!(
                "a target is a node index, a list of them, \"one\", \"minority\", \"majority\", \"all\" or a role name, not {}",
                other.kind()
            )),
        }
    }

    /// The target as a parameter value (the inverse of [`Target::from_param`]).
    pub fn to_param(&self) -> Param {
        match self {
            Target::Node(n) => Param::Int(*n as i64),
            Target::Nodes(ns) => Param::List(ns.iter().map(|n| Param::Int(*n as i64)).collect()),
            other => Param::Str(other.to_string()),
        }
    }
}

/// Picks `count` distinct nodes at random, eligible ones first.
fn pick_preferring<R: Rng + ?Sized>(
    node_count: usize,
    count: usize,
    eligible: &BTreeSet<usize>,
    rng: &mut R,
) -> Vec<usize> {
    let mut first: Vec<usize> = (0..node_count).filter(|n| eligible.contains(n)).collect();
    let mut rest: Vec<usize> = (0..node_count).filter(|n| !eligible.contains(n)).collect();
    shuffle(&mut first, rng);
    shuffle(&mut rest, rng);
    first.extend(rest);
    first.truncate(count);
    first
}

/// Fisher–Yates, written out so the order depends only on the RNG stream.
pub(crate) fn shuffle<T, R: Rng + ?Sized>(items: &mut [T], rng: &mut R) {
    for i in (1..items.len()).rev() {
        let j = rng.random_range(0..=i);
        items.swap(i, j);
    }
}

impl std::str::FromStr for Target {
    type Err = std::convert::Infallible;

    /// Reads the string forms; an integer string names a node. Never fails:
    /// an unknown word is taken as a role and checked by validation.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s.trim() {
            "one" => Target::One,
            "minority" => Target::Minority,
            "majority" => Target::Majority,
            "all" => Target::All,
            other => match other.parse::<usize>() {
                Ok(n) => Target::Node(n),
                Err(_) => Target::Role(other.to_string()),
            },
        })
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Node(n) => write!(f, "{n}"),
            Target::Nodes(ns) => {
                f.write_str("[")?;
                for (i, n) in ns.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{n}")?;
                }
                f.write_str("]")
            }
            Target::One => f.write_str("one"),
            Target::Minority => f.write_str("minority"),
            Target::Majority => f.write_str("majority"),
            Target::All => f.write_str("all"),
            Target::Role(r) => f.write_str(r),
        }
    }
}

impl Serialize for Target {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.to_param().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for Target {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let param = Param::deserialize(deserializer)?;
        Target::from_param(&param).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    fn all(n: usize) -> BTreeSet<usize> {
        (0..n).collect()
    }

    #[test]
    fn sizes_of_majority_and_minority() {
        assert_eq!((majority(5), minority(5)), (3, 2));
        assert_eq!((majority(4), minority(4)), (3, 1));
        assert_eq!((majority(1), minority(1)), (1, 0));
    }

    #[test]
    fn resolves_each_form() {
        let mut rng = ChaCha8Rng::seed_from_u64(1);
        let roles = |r: &str| (r == "leader").then(|| vec![2]);
        let e = all(5);
        assert_eq!(
            Target::Node(3).resolve(5, &e, &roles, &mut rng),
            Ok(vec![3])
        );
        assert_eq!(
            Target::Nodes(vec![4, 1, 4]).resolve(5, &e, &roles, &mut rng),
            Ok(vec![1, 4])
        );
        assert_eq!(
            Target::All.resolve(5, &e, &roles, &mut rng),
            Ok(vec![0, 1, 2, 3, 4])
        );
        assert_eq!(
            Target::One.resolve(5, &e, &roles, &mut rng).unwrap().len(),
            1
        );
        assert_eq!(
            Target::Minority
                .resolve(5, &e, &roles, &mut rng)
                .unwrap()
                .len(),
            2
        );
        assert_eq!(
            Target::Majority
                .resolve(5, &e, &roles, &mut rng)
                .unwrap()
                .len(),
            3
        );
        assert_eq!(
            Target::Role("leader".into()).resolve(5, &e, &roles, &mut rng),
            Ok(vec![2])
        );
        assert_eq!(
            Target::Role("primaries".into()).resolve(5, &e, &roles, &mut rng),
            Err(ResolveError::UnknownRole("primaries".into()))
        );
        assert_eq!(
            Target::Node(7).resolve(5, &e, &roles, &mut rng),
            Err(ResolveError::NoSuchNode {
                node: 7,
                node_count: 5
            })
        );
    }

    #[test]
    fn one_picks_only_eligible_nodes() {
        let mut rng = ChaCha8Rng::seed_from_u64(9);
        let eligible: BTreeSet<usize> = [1, 3].into();
        for _ in 0..50 {
            let got = Target::One
                .resolve(5, &eligible, &NoRoles, &mut rng)
                .unwrap();
            assert!(got == vec![1] || got == vec![3], "{got:?}");
        }
        let none = BTreeSet::new();
        assert_eq!(
            Target::One.resolve(5, &none, &NoRoles, &mut rng),
            Ok(vec![])
        );
    }

    #[test]
    fn string_forms_round_trip() {
        for t in [
            Target::Node(2),
            Target::Nodes(vec![0, 3]),
            Target::One,
            Target::Minority,
            Target::Majority,
            Target::All,
            Target::Role("leader".into()),
        ] {
            assert_eq!(Target::from_param(&t.to_param()), Ok(t));
        }
        assert!(Target::from_param(&Param::Int(-1)).is_err());
        assert!(Target::from_param(&Param::Bool(true)).is_err());
    }
}
