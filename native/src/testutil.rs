//! Small helpers shared by unit tests, integration tests and the fuzz harness (not for secrets).

/// SplitMix64: a fast deterministic generator for tests and fuzzing only.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9e37_79b9_7f4a_7c15)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn limbs(&mut self) -> [u64; 4] {
        [self.next_u64(), self.next_u64(), self.next_u64(), self.next_u64()]
    }
    /// Uniform-ish in 0..n (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
    /// A plain value below `m` (m < 2^255).
    pub fn below_mod(&mut self, m: &[u64; 4]) -> [u64; 4] {
        loop {
            let mut v = self.limbs();
            v[3] &= 0x3fff_ffff_ffff_ffff;
            if crate::arith::lt4(&v, m) {
                return v;
            }
        }
    }
}

/// a·b mod m by schoolbook product and bitwise reduction (slow; reference only; m < 2^254).
pub fn mulmod(a: &[u64; 4], b: &[u64; 4], m: &[u64; 4]) -> [u64; 4] {
    let mut prod = [0u64; 8];
    for i in 0..4 {
        let mut carry = 0u128;
        for j in 0..4 {
            let t = prod[i + j] as u128 + (a[i] as u128) * (b[j] as u128) + carry;
            prod[i + j] = t as u64;
            carry = t >> 64;
        }
        prod[i + 4] = carry as u64;
    }
    let mut r = [0u64; 4];
    for bit in (0..512).rev() {
        // r = 2r + bit
        let top = (prod[bit / 64] >> (bit % 64)) & 1;
        let mut c = top;
        for limb in r.iter_mut() {
            let n = (*limb << 1) | c;
            c = *limb >> 63;
            *limb = n;
        }
        if !crate::arith::lt4(&r, m) {
            r = crate::arith::sub4(&r, m).0;
        }
    }
    r
}

/// The G2 cofactor 2p - r.
pub const G2_COFACTOR: [u64; 4] = [0x345f2299c0f9fa8d, 0x06ceecda572a2489, 0xb85045b68181585e, 0x30644e72e131a029];

fn shr_small(a: &[u64; 4], s: u32) -> [u64; 4] {
    [
        (a[0] >> s) | (a[1] << (64 - s)),
        (a[1] >> s) | (a[2] << (64 - s)),
        (a[2] >> s) | (a[3] << (64 - s)),
        a[3] >> s,
    ]
}

/// Square root in Fq2 (p ≡ 3 mod 4), None if a is not a square.
pub fn fq2_sqrt(a: &crate::field::Fq2) -> Option<crate::field::Fq2> {
    use crate::field::{FieldOps, Fq, Fq2};
    let p = Fq::MODULUS;
    let pm3 = crate::arith::sub4(&p, &[3, 0, 0, 0]).0;
    let e1 = shr_small(&pm3, 2);
    let pm1 = crate::arith::sub4(&p, &[1, 0, 0, 0]).0;
    let e2 = shr_small(&pm1, 1);
    let a1 = a.pow(&e1);
    let alpha = a1.square() * *a;
    let x0 = a1 * *a;
    let minus_one = -Fq2::ONE;
    let x = if alpha == minus_one {
        Fq2::new(-x0.c1, x0.c0) // u·x0
    } else {
        (Fq2::ONE + alpha).pow(&e2) * x0
    };
    if x.square() == *a {
        Some(x)
    } else {
        None
    }
}
