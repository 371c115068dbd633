use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

/// The byte stream of one `fill_bytes` call of a fresh
/// `ChaCha20Rng::from_seed(seed)`, handed out in consecutive pieces.
///
/// `ChaCha20Rng::fill_bytes` consumes whole 32-bit words, so two calls of 3
/// bytes would skip bytes; this reads the stream in aligned 64-byte blocks
/// and keeps the unread rest, so any split of `n` bytes gives the same bytes
/// as one fill of `n`.
pub(crate) struct Keystream {
    rng: ChaCha20Rng,
    block: [u8; 64],
    /// Bytes of `block` already handed out.
    used: usize,
}

impl Keystream {
    pub(crate) fn new(seed: [u8; 32]) -> Self {
        Self {
            rng: ChaCha20Rng::from_seed(seed),
            block: [0; 64],
            used: 64,
        }
    }

    pub(crate) fn fill(&mut self, out: &mut [u8]) {
        let mut written = 0;
        while written < out.len() {
            if self.used == self.block.len() {
                self.rng.fill_bytes(&mut self.block);
                self.used = 0;
            }
            let n = (out.len() - written).min(self.block.len() - self.used);
            out[written..written + n].copy_from_slice(&self.block[self.used..self.used + n]);
            written += n;
            self.used += n;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Keystream;
    use proptest::prelude::*;
    use rand_chacha::ChaCha20Rng;
    use rand_core::{RngCore, SeedableRng};

    proptest! {
        #[test]
        fn any_split_equals_one_fill(seed in any::<[u8; 32]>(), parts in proptest::collection::vec(0usize..150, 0..8)) {
            let total: usize = parts.iter().sum();
            let mut expected = vec![0u8; total];
            ChaCha20Rng::from_seed(seed).fill_bytes(&mut expected);
            let mut stream = Keystream::new(seed);
            let mut got = Vec::new();
            for n in parts {
                let mut piece = vec![0u8; n];
                stream.fill(&mut piece);
                got.extend(piece);
            }
            prop_assert_eq!(got, expected);
        }
    }
}
