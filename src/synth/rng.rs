//! The generator's randomness: a SplitMix64 stream per (seed, index, purpose) and a keyed
//! pseudo-random permutation that hands out national-id slots without collisions.
//!
//! Written here rather than taken from `rand`: fixtures and benchmark inputs must come out
//! byte-identical on every platform and for every future build, and `rand` reserves the right
//! to change its value-sampling algorithms between releases (a seeded ChaCha stream would also
//! be far more than synthetic data needs). SplitMix64 (Steele, Lea and Flood, 2014) is a few
//! lines, passes BigCrush, and is fast enough that strings, not numbers, dominate generation
//! time.

/// The SplitMix64 finaliser: a bijective 64-bit mixer with good avalanche.
pub(super) fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// The SplitMix64 increment (the golden ratio in 64 bits).
const GAMMA: u64 = 0x9E37_79B9_7F4A_7C15;

/// Independent streams of one pupil. A pupil's identity and enrolment come from `Core`, the
/// rest from `Extra`, so raising the detail level adds entities without changing the ones a
/// lower level already had.
#[derive(Clone, Copy, Debug)]
pub(super) enum Stream {
    /// Names, addresses, guardians, enrolment.
    Core = 1,
    /// Grades, attendance, remarks, consents and the Full-only entities.
    Extra = 2,
    /// The country of a pupil in a mixed data set.
    Country = 3,
}

/// A SplitMix64 generator.
#[derive(Clone, Debug)]
pub(super) struct Rng {
    state: u64,
}

impl Rng {
    /// The stream `stream` of pupil `index` in the data set `seed`.
    pub(super) fn new(seed: u64, index: u64, stream: Stream) -> Rng {
        // Mixing in stages keeps (seed, index, stream) triples apart: a plain XOR would let
        // seed 1 / index 0 and seed 0 / index 1 share a stream.
        let state = mix(mix(seed ^ GAMMA).wrapping_add(index).wrapping_mul(GAMMA) ^ stream as u64);
        Rng { state }
    }

    /// The next 64 random bits.
    pub(super) fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(GAMMA);
        mix(self.state)
    }

    /// A number in `0..n` (0 when `n` is 0). Lemire's multiply-shift without the rejection
    /// step: the bias is below 2^-40 for the table sizes used here.
    pub(super) fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// A number in `lo..=hi` (`lo` when `hi < lo`).
    pub(super) fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi.saturating_sub(lo) + 1)
    }

    /// True with probability `percent` / 100.
    pub(super) fn percent(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    /// One element of a non-empty static table.
    pub(super) fn pick<T: Copy>(&mut self, table: &[T]) -> T {
        // `below(len)` is always a valid index; the tables are compile-time constants, checked
        // non-empty by a test.
        table[self.below(table.len() as u64) as usize]
    }

    /// An index into `weights`, drawn in proportion to the weights.
    pub(super) fn weighted(&mut self, weights: &[u32]) -> usize {
        let total: u64 = weights.iter().map(|&w| u64::from(w)).sum();
        let mut r = self.below(total);
        for (i, &w) in weights.iter().enumerate() {
            if r < u64::from(w) {
                return i;
            }
            r -= u64::from(w);
        }
        weights.len().saturating_sub(1)
    }
}

/// A keyed pseudo-random permutation of `0..size`.
///
/// A four-round Feistel network permutes the smallest power-of-four domain that holds `size`
/// values; cycle walking (apply again until the value falls inside `0..size`) restricts it to a
/// permutation of `0..size`. Since the domain is less than four times `size`, a walk takes under
/// four steps on average.
#[derive(Clone, Debug)]
pub(super) struct Permutation {
    size: u64,
    half_bits: u32,
    keys: [u64; 4],
}

impl Permutation {
    /// A permutation of `0..size` (`size` at least 1) chosen by `key`.
    pub(super) fn new(size: u64, key: u64) -> Permutation {
        let size = size.max(1);
        let bits = 64 - (size - 1).leading_zeros();
        let half_bits = bits.div_ceil(2).max(1);
        let keys = [mix(key ^ 1), mix(key ^ 2), mix(key ^ 3), mix(key ^ 4)];
        Permutation { size, half_bits, keys }
    }

    /// The number of values permuted.
    pub(super) fn size(&self) -> u64 {
        self.size
    }

    /// The image of `x mod size`.
    pub(super) fn apply(&self, x: u64) -> u64 {
        let mut y = x % self.size;
        loop {
            y = self.feistel(y);
            if y < self.size {
                return y;
            }
        }
    }

    fn feistel(&self, x: u64) -> u64 {
        let mask = (1u64 << self.half_bits) - 1;
        let mut left = x >> self.half_bits;
        let mut right = x & mask;
        for key in self.keys {
            let next = left ^ (mix(right ^ key) & mask);
            left = right;
            right = next;
        }
        (left << self.half_bits) | right
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permutation_is_a_bijection_on_awkward_sizes() {
        for size in [1u64, 2, 3, 7, 1000, 4097, 5113 * 2 * 7] {
            let p = Permutation::new(size, 42);
            let mut seen = vec![false; size as usize];
            for x in 0..size {
                let y = p.apply(x);
                assert!(y < size, "size {size}: {x} -> {y}");
                assert!(!seen[y as usize], "size {size}: {y} hit twice");
                seen[y as usize] = true;
            }
        }
    }

    #[test]
    fn permutation_depends_on_the_key() {
        let a = Permutation::new(1 << 20, 1);
        let b = Permutation::new(1 << 20, 2);
        let same = (0..1000).filter(|&x| a.apply(x) == b.apply(x)).count();
        assert!(same < 5, "{same} fixed points shared");
    }

    #[test]
    fn streams_are_reproducible_and_distinct() {
        let draw = |seed, index, stream| Rng::new(seed, index, stream).next_u64();
        assert_eq!(draw(7, 3, Stream::Core), draw(7, 3, Stream::Core));
        assert_ne!(draw(7, 3, Stream::Core), draw(7, 3, Stream::Extra));
        assert_ne!(draw(1, 0, Stream::Core), draw(0, 1, Stream::Core));
        assert_ne!(draw(7, 3, Stream::Core), draw(7, 4, Stream::Core));
    }

    #[test]
    fn below_and_weighted_stay_in_range() {
        let mut rng = Rng::new(1, 1, Stream::Core);
        assert_eq!(rng.below(0), 0);
        for _ in 0..10_000 {
            assert!(rng.below(7) < 7);
            assert!((3..=5).contains(&rng.range(3, 5)));
        }
        let mut counts = [0u32; 3];
        for _ in 0..30_000 {
            counts[rng.weighted(&[1, 0, 2])] += 1;
        }
        assert_eq!(counts[1], 0);
        assert!((9_000..11_000).contains(&counts[0]), "{counts:?}");
    }
}
