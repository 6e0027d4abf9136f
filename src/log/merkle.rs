//! The Merkle tree of RFC 6962 (Certificate Transparency), as RFC 9162 §2.1 restates it: a
//! leaf hashes as `SHA-256(0x00 ‖ entry)`, a node as `SHA-256(0x01 ‖ left ‖ right)`, and a tree
//! of `n` leaves splits at the largest power of two below `n`. The same hashing as CT logs,
//! sigstore's Rekor and Go's checksum database, so any of their tools recomputes a root.

use sha2::{Digest, Sha256};

/// A SHA-256 hash: a leaf's, a node's or a tree's root.
pub type Hash = [u8; 32];

/// The hash of a leaf holding `data`.
pub fn leaf_hash(data: &[u8]) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x00]);
    hasher.update(data);
    hasher.finalize().into()
}

/// The hash of an inner node over two children.
pub fn node_hash(left: &Hash, right: &Hash) -> Hash {
    let mut hasher = Sha256::new();
    hasher.update([0x01]);
    hasher.update(left);
    hasher.update(right);
    hasher.finalize().into()
}

/// The root of the tree over `leaves` (leaf hashes, in order); the empty tree's root is the
/// hash of nothing, as RFC 6962 defines it.
pub fn root(leaves: &[Hash]) -> Hash {
    if leaves.is_empty() {
        return Sha256::digest([]).into();
    }
    // Pairing level by level and carrying a lone last node up unchanged builds the same tree as
    // the RFC's split at the largest power of two, without recursion.
    let mut level = leaves.to_vec();
    while level.len() > 1 {
        level = level
            .chunks(2)
            .map(|pair| match pair {
                [left, right] => node_hash(left, right),
                [lone] => *lone,
                _ => unreachable!("chunks(2) yields one or two"),
            })
            .collect();
    }
    level[0]
}

/// The right edge of a growing tree: the roots of its perfect subtrees, largest first, so a
/// log of any length yields its root after each entry in O(log n) (checking a long log's every
/// checkpoint would otherwise rehash it once per checkpoint).
#[derive(Clone, Debug, Default)]
pub struct Frontier {
    /// (root, height) of each perfect subtree, heights strictly decreasing.
    peaks: Vec<(Hash, u32)>,
    size: u64,
}

impl Frontier {
    /// Add the next leaf.
    pub fn push(&mut self, leaf: Hash) {
        let (mut hash, mut height) = (leaf, 0);
        while let Some(&(left, h)) = self.peaks.last() {
            if h != height {
                break;
            }
            self.peaks.pop();
            hash = node_hash(&left, &hash);
            height += 1;
        }
        self.peaks.push((hash, height));
        self.size += 1;
    }

    /// How many leaves it holds.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// The root of the tree over the leaves pushed so far.
    pub fn root(&self) -> Hash {
        let mut peaks = self.peaks.iter().rev();
        match peaks.next() {
            None => Sha256::digest([]).into(),
            Some(&(last, _)) => peaks.fold(last, |right, (left, _)| node_hash(left, &right)),
        }
    }
}

/// The largest power of two strictly below `n` (`n` ≥ 2): where RFC 6962 splits a tree.
fn split(n: usize) -> usize {
    let k = n.next_power_of_two() / 2;
    if k == n {
        n / 2
    } else {
        k
    }
}

/// The audit path of leaf `index` in the tree over `leaves` (RFC 6962 §2.1.1 `PATH`): the
/// sibling hashes from the leaf up, which with the leaf rebuild the root.
pub fn inclusion_proof(index: usize, leaves: &[Hash]) -> Vec<Hash> {
    assert!(index < leaves.len(), "the leaf is in the tree");
    let (mut index, mut leaves) = (index, leaves);
    let mut siblings = Vec::new();
    while leaves.len() > 1 {
        let k = split(leaves.len());
        if index < k {
            siblings.push(root(&leaves[k..]));
            leaves = &leaves[..k];
        } else {
            siblings.push(root(&leaves[..k]));
            index -= k;
            leaves = &leaves[k..];
        }
    }
    // Collected from the root down; the path runs from the leaf up.
    siblings.reverse();
    siblings
}

/// Whether `proof` shows the leaf `leaf` at `index` in a tree of `size` leaves whose root is
/// `root` (RFC 9162 §2.1.3.2, step by step).
pub fn verify_inclusion(index: u64, size: u64, leaf: &Hash, proof: &[Hash], root: &Hash) -> bool {
    if index >= size {
        return false;
    }
    let (mut f, mut s) = (index, size - 1);
    let mut r = *leaf;
    for p in proof {
        if s == 0 {
            return false;
        }
        if f & 1 == 1 || f == s {
            r = node_hash(p, &r);
            while f & 1 == 0 && f != 0 {
                f >>= 1;
                s >>= 1;
            }
        } else {
            r = node_hash(&r, p);
        }
        f >>= 1;
        s >>= 1;
    }
    s == 0 && r == *root
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves(n: usize) -> Vec<Hash> {
        (0..n).map(|i| leaf_hash(format!("entry {i}").as_bytes())).collect()
    }

    /// RFC 6962's definition, written recursively as the RFC states it.
    fn reference_root(leaves: &[Hash]) -> Hash {
        match leaves.len() {
            0 => Sha256::digest([]).into(),
            1 => leaves[0],
            n => {
                let k = split(n);
                node_hash(&reference_root(&leaves[..k]), &reference_root(&leaves[k..]))
            }
        }
    }

    #[test]
    fn the_root_is_rfc_6962s_for_every_size() {
        for n in 0..70 {
            assert_eq!(root(&leaves(n)), reference_root(&leaves(n)), "{n} leaves");
        }
    }

    #[test]
    fn the_frontier_gives_the_same_root_after_every_leaf() {
        let all = leaves(100);
        let mut frontier = Frontier::default();
        assert_eq!(frontier.root(), root(&[]));
        for n in 1..=all.len() {
            frontier.push(all[n - 1]);
            assert_eq!(frontier.root(), root(&all[..n]), "{n} leaves");
        }
        assert_eq!(frontier.size(), 100);
    }

    #[test]
    fn known_answer_of_the_empty_tree_and_a_single_leaf() {
        // RFC 6962's test vectors (certificate-transparency-go merkle tests).
        let hex = crate::crypto::keys::hex;
        assert_eq!(
            hex(&root(&[])),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            hex(&leaf_hash(b"")),
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"
        );
    }

    #[test]
    fn every_proof_verifies_and_a_wrong_leaf_index_or_root_does_not() {
        for n in 1..40 {
            let all = leaves(n);
            let top = root(&all);
            for i in 0..n {
                let proof = inclusion_proof(i, &all);
                assert!(verify_inclusion(i as u64, n as u64, &all[i], &proof, &top), "{i}/{n}");
                let other = leaf_hash(b"not in the log");
                assert!(!verify_inclusion(i as u64, n as u64, &other, &proof, &top));
                if n > 1 {
                    let j = (i + 1) % n;
                    assert!(!verify_inclusion(j as u64, n as u64, &all[i], &proof, &top));
                }
                assert!(!verify_inclusion(i as u64, n as u64, &all[i], &proof, &leaf_hash(b"")));
            }
        }
    }
}
