//! The source of randomness, injected like the clock: group ids, access codes
//! and request ids come from a [`Random`], so tests can make them repeatable.
use std::sync::atomic::{AtomicU64, Ordering};

/// The operating system could not give random bytes (practically never; a
/// request that needs them fails with 500 and nothing is written).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("no random bytes available from the operating system")]
pub struct RandomUnavailable;

pub trait Random: Send + Sync {
    /// Fill `buf` with unpredictable bytes.
    fn fill(&self, buf: &mut [u8]) -> Result<(), RandomUnavailable>;
}

/// The operating system's generator (what production and the dev server use).
#[derive(Debug, Default, Clone, Copy)]
pub struct OsRandom;

impl Random for OsRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<(), RandomUnavailable> {
        getrandom::fill(buf).map_err(|_| RandomUnavailable)
    }
}

/// Repeatable bytes for tests and benchmarks (splitmix64 from a seed): never
/// for production, where codes must be unpredictable.
#[derive(Debug, Default)]
pub struct SeededRandom(AtomicU64);

impl SeededRandom {
    pub fn new(seed: u64) -> SeededRandom {
        SeededRandom(AtomicU64::new(seed))
    }
}

impl Random for SeededRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<(), RandomUnavailable> {
        for chunk in buf.chunks_mut(8) {
            let mut z = self.0.fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed).wrapping_add(0x9E37_79B9_7F4A_7C15);
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^= z >> 31;
            chunk.copy_from_slice(&z.to_le_bytes()[..chunk.len()]);
        }
        Ok(())
    }
}

/// `n` random bytes as lower-case hex.
pub fn random_hex(random: &dyn Random, n: usize) -> Result<String, RandomUnavailable> {
    let mut b = vec![0u8; n];
    random.fill(&mut b)?;
    Ok(hex::encode(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_is_repeatable_and_varies() {
        let (a, b) = (SeededRandom::new(7), SeededRandom::new(7));
        let (x, y) = (random_hex(&a, 12).unwrap(), random_hex(&b, 12).unwrap());
        assert_eq!(x, y);
        assert_ne!(random_hex(&a, 12).unwrap(), x);
        assert_eq!(x.len(), 24);
    }
}
