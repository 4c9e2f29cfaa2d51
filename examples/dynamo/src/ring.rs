//! The consistent-hash ring: which nodes hold a key, and who stands in for
//! them.
//!
//! Every node owns `vnodes_per_node` positions on a ring of `u64` tokens.
//! A key hashes to a token; walking clockwise from it, the first N distinct
//! nodes are the key's *preference list* (its replicas), and the nodes after
//! them, in walk order, are its fallbacks for sloppy quorums. The hash is
//! our own (FNV-1a with a 64-bit finaliser), never `std`'s `RandomState`, so
//! placement is the same on every run, machine and Rust version.

use shakedown_sim::NodeId;

/// FNV-1a over `bytes`, then the splitmix64 finaliser so that nearby
/// inputs (`n1#0`, `n1#1`) land far apart on the ring.
pub fn token(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h ^= h >> 30;
    h = h.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h ^= h >> 27;
    h = h.wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// The ring of a cluster. See the [module docs](self).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ring {
    /// (token, owner), sorted by token.
    tokens: Vec<(u64, NodeId)>,
    nodes: usize,
}

impl Ring {
    /// The ring of `nodes` nodes with `vnodes_per_node` tokens each.
    pub fn new(nodes: usize, vnodes_per_node: usize) -> Self {
        let mut tokens: Vec<(u64, NodeId)> = (0..nodes)
            .flat_map(|n| {
                (0..vnodes_per_node).map(move |v| {
                    let id = NodeId::from_index(n);
                    (token(format!("{id}#{v}").as_bytes()), id)
                })
            })
            .collect();
        tokens.sort();
        Ring { tokens, nodes }
    }

    /// Number of nodes on the ring.
    pub fn nodes(&self) -> usize {
        self.nodes
    }

    /// The token of a key (its text, as [`crate::key_text`] writes it).
    pub fn key_token(key: &str) -> u64 {
        token(key.as_bytes())
    }

    /// Every node, each once, in the order a walk clockwise from `key`'s
    /// token meets them: the first N are its replicas, the rest fallbacks.
    pub fn walk(&self, key: &str) -> Vec<NodeId> {
        let mut order = Vec::with_capacity(self.nodes);
        if self.tokens.is_empty() {
            return order;
        }
        let t = Ring::key_token(key);
        let start = self.tokens.partition_point(|(tok, _)| *tok < t);
        for i in 0..self.tokens.len() {
            let (_, node) = self.tokens[(start + i) % self.tokens.len()];
            if !order.contains(&node) {
                order.push(node);
                if order.len() == self.nodes {
                    break;
                }
            }
        }
        order
    }

    /// The key's preference list: its first `n` distinct nodes clockwise.
    pub fn preference_list(&self, key: &str, n: usize) -> Vec<NodeId> {
        let mut walk = self.walk(key);
        walk.truncate(n);
        walk
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_is_fixed_across_runs() {
        // Pinned values: placement must never depend on the process.
        assert_eq!(token(b""), token(b""));
        assert_ne!(token(b"n0#0"), token(b"n0#1"));
        assert_eq!(token(b"abc"), 0x0dd4_9049_0804_b508, "{:#x}", token(b"abc"));
    }

    #[test]
    fn preference_lists_are_distinct_nodes_and_prefixes_of_the_walk() {
        let ring = Ring::new(5, 8);
        for k in 0..200 {
            let key = k.to_string();
            let walk = ring.walk(&key);
            assert_eq!(walk.len(), 5);
            let mut sorted = walk.clone();
            sorted.sort();
            sorted.dedup();
            assert_eq!(sorted.len(), 5, "walk repeats a node: {walk:?}");
            assert_eq!(ring.preference_list(&key, 3), walk[..3]);
        }
    }

    #[test]
    fn placement_is_deterministic_and_spread() {
        let a = Ring::new(5, 8);
        let b = Ring::new(5, 8);
        let mut primaries = [0usize; 5];
        for k in 0..1000 {
            let key = k.to_string();
            assert_eq!(a.walk(&key), b.walk(&key));
            primaries[a.walk(&key)[0].index()] += 1;
        }
        // Eight vnodes each: every node is primary for a fair share
        // (perfect would be 200 each).
        for (n, count) in primaries.iter().enumerate() {
            assert!(
                (80..=360).contains(count),
                "n{n} is primary for {count} of 1000 keys"
            );
        }
    }

    #[test]
    fn adding_a_node_moves_only_some_keys() {
        // The point of consistent hashing: a sixth node takes keys from the
        // others, it does not reshuffle everything.
        let five = Ring::new(5, 16);
        let six = Ring::new(6, 16);
        let moved = (0..1000)
            .filter(|k| {
                let key = k.to_string();
                let p = six.walk(&key)[0];
                p != five.walk(&key)[0] && p != NodeId(5)
            })
            .count();
        assert_eq!(moved, 0, "primaries moved between old nodes");
    }
}
