//! The partition shapes: how each partition fault becomes a [`Cut`].

use std::collections::BTreeSet;

use rand::Rng;

use crate::action::Cut;
use crate::target::{majority, shuffle};

/// Two random halves that cannot talk; with an odd count the first half
/// (the minority) is the smaller.
pub fn random_halves<R: Rng + ?Sized>(node_count: usize, rng: &mut R) -> Cut {
    let mut nodes: Vec<usize> = (0..node_count).collect();
    shuffle(&mut nodes, rng);
    let (a, b) = nodes.split_at(node_count / 2);
    Cut::between(a, b)
}

/// `nodes` cut off from every other node (both directions).
pub fn isolate(nodes: &[usize], node_count: usize) -> Cut {
    let set: BTreeSet<usize> = nodes.iter().copied().collect();
    let rest: Vec<usize> = (0..node_count).filter(|n| !set.contains(n)).collect();
    Cut::between(nodes, &rest)
}

/// Nodes placed on a random ring; each hears from itself and the nodes
/// nearest it on the ring, a majority in all, so that every node sees a
/// majority and no two see the same one (for 3 or more nodes; fewer nodes
/// get no cut). With an even number of neighbours to hear, each node hears
/// one more on its left than on its right, so the cut is not symmetric.
pub fn majorities_ring<R: Rng + ?Sized>(node_count: usize, rng: &mut R) -> Cut {
    let mut ring: Vec<usize> = (0..node_count).collect();
    shuffle(&mut ring, rng);
    let mut cut = Cut::none();
    if node_count < 3 {
        return cut;
    }
    let others = majority(node_count) - 1;
    let right = others / 2;
    let left = others - right;
    for pos in 0..node_count {
        let to = ring[pos];
        let mut hears = BTreeSet::new();
        for d in 1..=left {
            hears.insert(ring[(pos + node_count - d) % node_count]);
        }
        for d in 1..=right {
            hears.insert(ring[(pos + d) % node_count]);
        }
        for &from in &ring {
            if from != to && !hears.contains(&from) {
                cut.add_link(from, to);
            }
        }
    }
    cut
}

/// Two halves that cannot talk, and one random node (the bridge) that talks
/// to both. Fewer than 3 nodes get no cut.
pub fn bridge<R: Rng + ?Sized>(node_count: usize, rng: &mut R) -> Cut {
    if node_count < 3 {
        return Cut::none();
    }
    let mut nodes: Vec<usize> = (0..node_count).collect();
    shuffle(&mut nodes, rng);
    let rest = &nodes[1..];
    let (a, b) = rest.split_at(rest.len() / 2);
    Cut::between(a, b)
}

/// Messages from `from` to `to` dropped; `to = None` means every node not
/// in `from`.
pub fn one_way(from: &[usize], to: Option<&[usize]>, node_count: usize) -> Cut {
    match to {
        Some(to) => Cut::one_way(from, to),
        None => {
            let set: BTreeSet<usize> = from.iter().copied().collect();
            let rest: Vec<usize> = (0..node_count).filter(|n| !set.contains(n)).collect();
            Cut::one_way(from, &rest)
        }
    }
}

/// Explicit groups; nodes in no group form one more group together.
pub fn groups(groups: &[Vec<usize>], node_count: usize) -> Cut {
    let listed: BTreeSet<usize> = groups.iter().flatten().copied().collect();
    let rest: Vec<usize> = (0..node_count).filter(|n| !listed.contains(n)).collect();
    let mut all: Vec<Vec<usize>> = groups.iter().filter(|g| !g.is_empty()).cloned().collect();
    if !rest.is_empty() {
        all.push(rest);
    }
    Cut::groups(&all)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn random_halves_splits_in_two_components() {
        let mut rng = ChaCha8Rng::seed_from_u64(4);
        let cut = random_halves(5, &mut rng);
        let visible = cut.visible(5);
        let mut sizes: Vec<usize> = visible.iter().map(BTreeSet::len).collect();
        sizes.sort_unstable();
        assert_eq!(sizes, vec![2, 2, 3, 3, 3]);
        for (n, v) in visible.iter().enumerate() {
            for &m in v {
                assert_eq!(&visible[m], v, "halves are cliques: {n} and {m}");
            }
        }
    }

    #[test]
    fn majorities_ring_gives_distinct_majorities() {
        for n in 3..=9 {
            let mut rng = ChaCha8Rng::seed_from_u64(n as u64);
            let visible = majorities_ring(n, &mut rng).visible(n);
            let distinct: BTreeSet<&BTreeSet<usize>> = visible.iter().collect();
            assert_eq!(distinct.len(), n, "n={n}");
            for (node, v) in visible.iter().enumerate() {
                assert_eq!(v.len(), majority(n), "n={n} node={node}");
                assert!(v.contains(&node));
            }
        }
    }

    #[test]
    fn bridge_node_sees_everyone_and_the_halves_do_not_meet() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let visible = bridge(5, &mut rng).visible(5);
        let bridges: Vec<usize> = (0..5).filter(|&n| visible[n].len() == 5).collect();
        assert_eq!(bridges.len(), 1);
        for n in (0..5).filter(|n| *n != bridges[0]) {
            assert_eq!(visible[n].len(), 3, "a half of two plus the bridge");
        }
    }

    #[test]
    fn groups_put_unlisted_nodes_together() {
        let cut = groups(&[vec![0], vec![1, 2]], 5);
        assert!(!cut.blocks(3, 4) && cut.blocks(3, 0) && cut.blocks(0, 1) && !cut.blocks(1, 2));
    }
}
