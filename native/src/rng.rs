//! Fresh randomness from the operating system for the proof's blinding scalars r and s.
//!
//! Every call reads new bytes from `/dev/urandom` (the kernel's CSPRNG, the same source as
//! getrandom(2)); nothing is seeded once and stretched, so two proofs (two threads, two processes,
//! forked servers, Ray workers) never share r or s. A repeated r or s across two proofs of
//! different witnesses would leak their difference, and no verifier would notice.

use crate::arith::{lt4, sub4};
use crate::field::Fr;
use std::io::Read;

/// 64 bytes from the operating system.
pub fn os_bytes() -> std::io::Result<[u8; 64]> {
    let mut b = [0u8; 64];
    std::fs::File::open("/dev/urandom")?.read_exact(&mut b)?;
    if b.iter().all(|&x| x == 0) {
        return Err(std::io::Error::other("/dev/urandom returned only zeros"));
    }
    Ok(b)
}

/// Fill `buf` from the operating system.
pub fn os_fill(buf: &mut [u8]) -> std::io::Result<()> {
    std::fs::File::open("/dev/urandom")?.read_exact(buf)
}

/// 512 bits reduced mod r (statistically uniform: the bias is below 2^-256).
pub fn fr_from_512(b: &[u8; 64]) -> Fr {
    let lo = crate::arith::limbs_from_le_bytes(&b[0..32]);
    let hi = crate::arith::limbs_from_le_bytes(&b[32..64]);
    let reduce = |mut v: [u64; 4]| {
        while !lt4(&v, &Fr::MODULUS) {
            v = sub4(&v, &Fr::MODULUS).0;
        }
        v
    };
    let (lo, hi) = (reduce(lo), reduce(hi));
    // lo + hi·2^256: the element 2^256 mod r has Montgomery limbs R² mod r
    let two256 = Fr(Fr::R2);
    Fr::from_plain(lo).unwrap_or(Fr([0; 4])) + Fr::from_plain(hi).unwrap_or(Fr([0; 4])) * two256
}

/// A fresh uniformly random non-zero scalar.
pub fn random_fr() -> std::io::Result<Fr> {
    loop {
        let v = fr_from_512(&os_bytes()?);
        if v != Fr([0; 4]) {
            return Ok(v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::FieldOps;

    #[test]
    fn reduction_is_exact() {
        // 2^256 + 5 → (2^256 mod r) + 5
        let mut b = [0u8; 64];
        b[0] = 5;
        b[32] = 1;
        let expect = Fr::from_u64(5) + Fr::from_u64(2).pow(&[256]);
        assert_eq!(fr_from_512(&b), expect);
        // all ones: (2^512 - 1) mod r
        let b = [0xffu8; 64];
        let expect = Fr::from_u64(2).pow(&[512]) - Fr::ONE;
        assert_eq!(fr_from_512(&b), expect);
    }

    #[test]
    fn draws_differ() {
        let a = random_fr().unwrap();
        let b = random_fr().unwrap();
        assert_ne!(a, b);
    }
}
