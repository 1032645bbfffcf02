//! GLV decomposition for BN254's scalar field: k ≡ k1 + k2·λ (mod r) with |k1|, |k2| < 2^127,
//! λ = 0xb3c4d79d41a917585bfc41088d8daaa78b17ea66b99c90dd (the eigenvalue of (x, y) → (βx, y)).
//!
//! Lattice basis of {(a, b): a + bλ ≡ 0}: v1 = (A1, -B1), v2 = (A2, B2) with det = r.
//! c1 = ⌊k·G1 / 2^256⌋ ≈ k·B2/r, c2 = ⌊k·G2 / 2^256⌋ ≈ k·B1/r;
//! k1 = k - c1·A1 - c2·A2, k2 = c1·B1 - c2·B2.

pub const LAMBDA: [u64; 4] = [0x8b17ea66b99c90dd, 0x5bfc41088d8daaa7, 0xb3c4d79d41a91758, 0];
const A1: u128 = 0x89d3256894d213e3;
const B1: u128 = 0x6f4d8248eeb859fc8211bbeb7d4f1128; // -b1
const A2: u128 = 0x6f4d8248eeb859fd0be4e1541221250b;
const B2: u128 = 0x89d3256894d213e3;
const G1: [u64; 4] = [0xd91d232ec7e0b3d7, 0x2, 0, 0]; // ⌊2^256·B2/r⌋
const G2: [u64; 4] = [0x7a7bd9d4391eb18d, 0x4ccef014a773d2cf, 0x2, 0]; // ⌊2^256·B1/r⌋

/// Sign flag in bit 127 of a packed signed half-scalar.
pub const NEG_BIT: u128 = 1u128 << 127;

#[inline(always)]
fn mul_wide(a: &[u64; 4], b: &[u64; 4]) -> [u64; 8] {
    let mut p = [0u64; 8];
    for i in 0..4 {
        let mut carry = 0u128;
        for j in 0..4 {
            let t = p[i + j] as u128 + (a[i] as u128) * (b[j] as u128) + carry;
            p[i + j] = t as u64;
            carry = t >> 64;
        }
        p[i + 4] = carry as u64;
    }
    p
}

#[inline(always)]
fn u128_limbs(x: u128) -> [u64; 4] {
    [x as u64, (x >> 64) as u64, 0, 0]
}

#[inline(always)]
fn wsub(a: &[u64; 4], b: &[u64; 4]) -> [u64; 4] {
    crate::arith::sub4(a, b).0
}

/// Interpret a 256-bit two's-complement value as sign + magnitude packed in a u128
/// (bit 127 = negative). The magnitude must be below 2^127 (always true for this basis).
#[inline(always)]
fn pack_signed(v: &[u64; 4]) -> u128 {
    let neg = v[3] >> 63 == 1;
    let m = if neg { crate::arith::sub4(&[0; 4], v).0 } else { *v };
    debug_assert!(m[2] == 0 && m[3] == 0 && m[1] >> 63 == 0, "GLV half-scalar out of range");
    let mag = (m[0] as u128) | ((m[1] as u128) << 64);
    if neg && mag != 0 {
        mag | NEG_BIT
    } else {
        mag
    }
}

/// Decompose a plain scalar k < r into packed signed halves (k1, k2).
#[inline]
pub fn decompose(k: &[u64; 4]) -> (u128, u128) {
    let p1 = mul_wide(k, &G1);
    let p2 = mul_wide(k, &G2);
    let c1 = (p1[4] as u128) | ((p1[5] as u128) << 64);
    let c2 = (p2[4] as u128) | ((p2[5] as u128) << 64);
    let c1a1 = mul_wide(&u128_limbs(c1), &u128_limbs(A1));
    let c2a2 = mul_wide(&u128_limbs(c2), &u128_limbs(A2));
    let c1b1 = mul_wide(&u128_limbs(c1), &u128_limbs(B1));
    let c2b2 = mul_wide(&u128_limbs(c2), &u128_limbs(B2));
    let low = |x: [u64; 8]| [x[0], x[1], x[2], x[3]];
    let k1 = wsub(&wsub(k, &low(c1a1)), &low(c2a2));
    let k2 = wsub(&low(c1b1), &low(c2b2));
    (pack_signed(&k1), pack_signed(&k2))
}

/// Magnitude and sign of a packed half-scalar.
#[inline(always)]
pub fn unpack(s: u128) -> (u128, bool) {
    (s & !NEG_BIT, s & NEG_BIT != 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::Fr;
    use crate::testutil::Rng;

    fn to_fr(s: u128) -> Fr {
        let (m, neg) = unpack(s);
        let v = Fr::from_plain([m as u64, (m >> 64) as u64, 0, 0]).unwrap();
        if neg {
            -v
        } else {
            v
        }
    }

    fn check(k: [u64; 4]) {
        let (a, b) = decompose(&k);
        let lam = Fr::from_plain(LAMBDA).unwrap();
        let kk = Fr::from_plain(k).unwrap();
        assert_eq!(to_fr(a) + to_fr(b) * lam, kk, "k = {:x?}", k);
        assert!(unpack(a).0 < (1u128 << 127) && unpack(b).0 < (1u128 << 127));
    }

    #[test]
    fn decomposition_is_correct() {
        let r = Fr::MODULUS;
        let rm1 = [r[0] - 1, r[1], r[2], r[3]];
        for k in [
            [0, 0, 0, 0],
            [1, 0, 0, 0],
            rm1,
            [r[0] - 2, r[1], r[2], r[3]],
            LAMBDA,
            [0, 0, 0, 1 << 61],
            [u64::MAX, u64::MAX, 0, 0],
        ] {
            check(k);
        }
        let mut rng = Rng::new(99);
        for _ in 0..200_000 {
            check(rng.below_mod(&r));
        }
        // small scalars stay small: k2 = 0
        let (a, b) = decompose(&[12345, 0, 0, 0]);
        assert_eq!((a, b), (12345, 0));
    }
}
