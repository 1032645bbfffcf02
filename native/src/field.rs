//! BN254 fields: Fq (base), Fr (scalar) in Montgomery form (R = 2^256), Fq2 = Fq[u]/(u²+1).

use crate::arith::{self, add_mod, lt4, mont_mul, mont_mul_portable, sub_mod, MontParams};
use std::fmt;
use std::ops::{Add, AddAssign, Mul, MulAssign, Neg, Sub, SubAssign};

/// What the curve and MSM code need from a field.
pub trait FieldOps:
    Copy
    + Clone
    + PartialEq
    + Eq
    + Send
    + Sync
    + fmt::Debug
    + 'static
    + Add<Output = Self>
    + Sub<Output = Self>
    + Mul<Output = Self>
    + Neg<Output = Self>
    + AddAssign
    + SubAssign
    + MulAssign
{
    const ZERO: Self;
    const ONE: Self;
    fn is_zero(&self) -> bool;
    fn square(&self) -> Self;
    fn double(&self) -> Self;
    /// Multiplicative inverse; 0 maps to 0.
    fn inverse(&self) -> Self;
}

macro_rules! mont_field {
    ($name:ident, $modulus:expr, $inv:expr, $r1:expr, $r2:expr) => {
        /// Field element in Montgomery form: the limbs hold a·2^256 mod m.
        #[derive(Clone, Copy, PartialEq, Eq, Default, Hash)]
        #[repr(transparent)]
        pub struct $name(pub [u64; 4]);

        impl $name {
            pub const MODULUS: [u64; 4] = $modulus;
            pub const PARAMS: MontParams = MontParams { m: $modulus, inv: $inv };
            /// 2^512 mod m (converts plain values to Montgomery form).
            pub const R2: [u64; 4] = $r2;

            /// From a plain value (< m) at compile time.
            pub const fn from_plain_const(v: [u64; 4]) -> Self {
                Self(mont_mul_portable(&v, &Self::R2, &Self::PARAMS))
            }
            /// From a big-endian hex string at compile time.
            pub const fn from_hex(s: &str) -> Self {
                Self::from_plain_const(arith::hex_to_limbs(s))
            }
            /// From a plain value; None if not below the modulus.
            #[inline]
            pub fn from_plain(v: [u64; 4]) -> Option<Self> {
                if lt4(&v, &Self::MODULUS) {
                    Some(Self(mont_mul(&v, &Self::R2, &Self::PARAMS)))
                } else {
                    None
                }
            }
            /// From limbs already in Montgomery form; None if not below the modulus.
            #[inline]
            pub fn from_mont(v: [u64; 4]) -> Option<Self> {
                if lt4(&v, &Self::MODULUS) {
                    Some(Self(v))
                } else {
                    None
                }
            }
            #[inline]
            pub fn from_u64(v: u64) -> Self {
                Self(mont_mul(&[v, 0, 0, 0], &Self::R2, &Self::PARAMS))
            }
            /// The plain value (out of Montgomery form).
            #[inline]
            pub fn to_plain(&self) -> [u64; 4] {
                mont_mul(&self.0, &[1, 0, 0, 0], &Self::PARAMS)
            }
            /// Montgomery product of raw limbs (both below m): a·b·2^-256.
            #[inline(always)]
            pub fn mont_mul_raw(a: &[u64; 4], b: &[u64; 4]) -> [u64; 4] {
                mont_mul(a, b, &Self::PARAMS)
            }
            /// self^e for a little-endian exponent.
            pub fn pow(&self, e: &[u64]) -> Self {
                let mut table = [Self::ONE; 16];
                for i in 1..16 {
                    table[i] = table[i - 1] * *self;
                }
                let mut acc = Self::ONE;
                let mut started = false;
                for limb in e.iter().rev() {
                    for nib in (0..16).rev() {
                        if started {
                            for _ in 0..4 {
                                acc = acc.square();
                            }
                        }
                        let d = ((limb >> (nib * 4)) & 15) as usize;
                        if d != 0 {
                            acc *= table[d];
                            started = true;
                        }
                    }
                }
                acc
            }
            pub fn to_decimal(&self) -> String {
                arith::limbs_to_decimal(&self.to_plain())
            }
            pub fn to_hex(&self) -> String {
                arith::limbs_to_hex(&self.to_plain())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}(0x{})", stringify!($name), self.to_hex())
            }
        }

        impl Add for $name {
            type Output = Self;
            #[inline(always)]
            fn add(self, o: Self) -> Self {
                Self(add_mod(&self.0, &o.0, &Self::MODULUS))
            }
        }
        impl Sub for $name {
            type Output = Self;
            #[inline(always)]
            fn sub(self, o: Self) -> Self {
                Self(sub_mod(&self.0, &o.0, &Self::MODULUS))
            }
        }
        impl Mul for $name {
            type Output = Self;
            #[inline(always)]
            fn mul(self, o: Self) -> Self {
                Self(mont_mul(&self.0, &o.0, &Self::PARAMS))
            }
        }
        impl Neg for $name {
            type Output = Self;
            #[inline(always)]
            fn neg(self) -> Self {
                Self(sub_mod(&[0; 4], &self.0, &Self::MODULUS))
            }
        }
        impl AddAssign for $name {
            #[inline(always)]
            fn add_assign(&mut self, o: Self) {
                *self = *self + o;
            }
        }
        impl SubAssign for $name {
            #[inline(always)]
            fn sub_assign(&mut self, o: Self) {
                *self = *self - o;
            }
        }
        impl MulAssign for $name {
            #[inline(always)]
            fn mul_assign(&mut self, o: Self) {
                *self = *self * o;
            }
        }

        impl FieldOps for $name {
            const ZERO: Self = Self([0; 4]);
            const ONE: Self = Self($r1);
            #[inline(always)]
            fn is_zero(&self) -> bool {
                self.0 == [0; 4]
            }
            #[inline(always)]
            fn square(&self) -> Self {
                *self * *self
            }
            #[inline(always)]
            fn double(&self) -> Self {
                *self + *self
            }
            fn inverse(&self) -> Self {
                let m = Self::MODULUS;
                // m - 2 (m is odd and > 2, so only the low limb changes)
                let e = [m[0] - 2, m[1], m[2], m[3]];
                self.pow(&e)
            }
        }
    };
}

mont_field!(
    Fq,
    [0x3c208c16d87cfd47, 0x97816a916871ca8d, 0xb85045b68181585d, 0x30644e72e131a029],
    0x87d20782e4866389,
    [0xd35d438dc58f0d9d, 0x0a78eb28f5c70b3d, 0x666ea36f7879462c, 0x0e0a77c19a07df2f],
    [0xf32cfc5b538afa89, 0xb5e71911d44501fb, 0x47ab1eff0a417ff6, 0x06d89f71cab8351f]
);

mont_field!(
    Fr,
    [0x43e1f593f0000001, 0x2833e84879b97091, 0xb85045b68181585d, 0x30644e72e131a029],
    0xc2e1f593efffffff,
    [0xac96341c4ffffffb, 0x36fc76959f60cd29, 0x666ea36f7879462e, 0x0e0a77c19a07df2f],
    [0x1bb8e645ae216da7, 0x53fe3ab1e35c59e3, 0x8c49833d53bb8085, 0x0216d0b17f4e44a5]
);

impl Fq {
    pub const ONE_C: Fq = <Fq as FieldOps>::ONE;
}
impl Fr {
    pub const ONE_C: Fr = <Fr as FieldOps>::ONE;
    /// 2-adicity of r - 1.
    pub const TWO_ADICITY: u32 = 28;
    /// The smallest quadratic non-residue (5), as snarkjs/ffjavascript find it.
    pub const NQR: u64 = 5;
    /// nqr^t, t = (r-1)/2^28: a primitive 2^28-th root of unity (ffjavascript's Fr.w[28]).
    pub const ROOT_2_28: Fr = Fr::from_hex("2a3c09f0a58a7e8500e0a7eb8ef62abc402d111e41112ed49bd61b6e725b19f0");

    /// A primitive 2^k-th root of unity, the one ffjavascript calls Fr.w[k] (k ≤ 28).
    pub fn root_of_unity(k: u32) -> Fr {
        assert!(k <= Self::TWO_ADICITY);
        let mut w = Self::ROOT_2_28;
        for _ in k..Self::TWO_ADICITY {
            w = w.square();
        }
        w
    }
}

/// Fq2 = Fq[u]/(u² + 1), c0 + c1·u.
#[derive(Clone, Copy, PartialEq, Eq, Default, Hash)]
#[repr(C)]
pub struct Fq2 {
    pub c0: Fq,
    pub c1: Fq,
}

impl fmt::Debug for Fq2 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fq2({:?}, {:?})", self.c0, self.c1)
    }
}

impl Fq2 {
    pub const fn new(c0: Fq, c1: Fq) -> Self {
        Fq2 { c0, c1 }
    }
    /// Complex conjugate (the Frobenius map of Fq2).
    #[inline(always)]
    pub fn conj(&self) -> Self {
        Fq2 {
            c0: self.c0,
            c1: -self.c1,
        }
    }
    /// Multiply by ξ = 9 + u.
    #[inline(always)]
    pub fn mul_by_xi(&self) -> Self {
        let a = self.c0;
        let b = self.c1;
        let a9 = a.double().double().double() + a;
        let b9 = b.double().double().double() + b;
        Fq2 { c0: a9 - b, c1: a + b9 }
    }
    #[inline(always)]
    pub fn mul_by_fq(&self, k: Fq) -> Self {
        Fq2 {
            c0: self.c0 * k,
            c1: self.c1 * k,
        }
    }
    pub fn pow(&self, e: &[u64]) -> Self {
        let mut acc = <Fq2 as FieldOps>::ONE;
        for limb in e.iter().rev() {
            for bit in (0..64).rev() {
                acc = acc.square();
                if (limb >> bit) & 1 == 1 {
                    acc *= *self;
                }
            }
        }
        acc
    }
}

impl Add for Fq2 {
    type Output = Self;
    #[inline(always)]
    fn add(self, o: Self) -> Self {
        Fq2 {
            c0: self.c0 + o.c0,
            c1: self.c1 + o.c1,
        }
    }
}
impl Sub for Fq2 {
    type Output = Self;
    #[inline(always)]
    fn sub(self, o: Self) -> Self {
        Fq2 {
            c0: self.c0 - o.c0,
            c1: self.c1 - o.c1,
        }
    }
}
impl Mul for Fq2 {
    type Output = Self;
    #[inline(always)]
    fn mul(self, o: Self) -> Self {
        // Karatsuba: (a0 + a1 u)(b0 + b1 u) = a0b0 - a1b1 + ((a0+a1)(b0+b1) - a0b0 - a1b1) u
        let t0 = self.c0 * o.c0;
        let t1 = self.c1 * o.c1;
        let t2 = (self.c0 + self.c1) * (o.c0 + o.c1);
        Fq2 {
            c0: t0 - t1,
            c1: t2 - t0 - t1,
        }
    }
}
impl Neg for Fq2 {
    type Output = Self;
    #[inline(always)]
    fn neg(self) -> Self {
        Fq2 {
            c0: -self.c0,
            c1: -self.c1,
        }
    }
}
impl AddAssign for Fq2 {
    #[inline(always)]
    fn add_assign(&mut self, o: Self) {
        *self = *self + o;
    }
}
impl SubAssign for Fq2 {
    #[inline(always)]
    fn sub_assign(&mut self, o: Self) {
        *self = *self - o;
    }
}
impl MulAssign for Fq2 {
    #[inline(always)]
    fn mul_assign(&mut self, o: Self) {
        *self = *self * o;
    }
}

impl FieldOps for Fq2 {
    const ZERO: Self = Fq2 {
        c0: Fq([0; 4]),
        c1: Fq([0; 4]),
    };
    const ONE: Self = Fq2 {
        c0: Fq::ONE_C,
        c1: Fq([0; 4]),
    };
    #[inline(always)]
    fn is_zero(&self) -> bool {
        self.c0.is_zero() && self.c1.is_zero()
    }
    #[inline(always)]
    fn square(&self) -> Self {
        // (a + bu)² = (a+b)(a-b) + 2ab u
        let ab = self.c0 * self.c1;
        Fq2 {
            c0: (self.c0 + self.c1) * (self.c0 - self.c1),
            c1: ab.double(),
        }
    }
    #[inline(always)]
    fn double(&self) -> Self {
        Fq2 {
            c0: self.c0.double(),
            c1: self.c1.double(),
        }
    }
    fn inverse(&self) -> Self {
        let n = self.c0.square() + self.c1.square();
        let ni = n.inverse();
        Fq2 {
            c0: self.c0 * ni,
            c1: -(self.c1 * ni),
        }
    }
}

/// Batch inversion (Montgomery's trick) in place; zeros stay zero.
pub fn batch_inverse<F: FieldOps>(v: &mut [F]) {
    let mut prefix: Vec<F> = Vec::with_capacity(v.len());
    let mut acc = F::ONE;
    for x in v.iter() {
        prefix.push(acc);
        if !x.is_zero() {
            acc *= *x;
        }
    }
    let mut inv = acc.inverse();
    for (x, p) in v.iter_mut().zip(prefix.iter()).rev() {
        if !x.is_zero() {
            let nx = inv * *p;
            inv *= *x;
            *x = nx;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::Rng;

    fn rand_fq(rng: &mut Rng) -> Fq {
        loop {
            let v = rng.limbs();
            let v = [v[0], v[1], v[2], v[3] & 0x3fff_ffff_ffff_ffff];
            if let Some(x) = Fq::from_mont(v) {
                return x;
            }
        }
    }

    #[test]
    fn asm_matches_portable() {
        if !arith::cpu_has_adx() {
            eprintln!("no BMI2/ADX: skipping the assembly comparison");
            return;
        }
        let mut rng = Rng::new(1);
        let edge_q = [
            [0u64; 4],
            [1, 0, 0, 0],
            [Fq::MODULUS[0] - 1, Fq::MODULUS[1], Fq::MODULUS[2], Fq::MODULUS[3]],
            [Fq::MODULUS[0] - 2, Fq::MODULUS[1], Fq::MODULUS[2], Fq::MODULUS[3]],
            [u64::MAX, u64::MAX, u64::MAX, Fq::MODULUS[3] - 1],
        ];
        let edge_r = [
            [0u64; 4],
            [1, 0, 0, 0],
            [Fr::MODULUS[0] - 1, Fr::MODULUS[1], Fr::MODULUS[2], Fr::MODULUS[3]],
            [u64::MAX, u64::MAX, u64::MAX, Fr::MODULUS[3] - 1],
        ];
        for a in edge_q.iter() {
            for b in edge_q.iter() {
                let p = mont_mul_portable(a, b, &Fq::PARAMS);
                let s = unsafe { arith::mont_mul_asm(a, b, &Fq::PARAMS) };
                assert_eq!(p, s);
            }
        }
        for a in edge_r.iter() {
            for b in edge_r.iter() {
                let p = mont_mul_portable(a, b, &Fr::PARAMS);
                let s = unsafe { arith::mont_mul_asm(a, b, &Fr::PARAMS) };
                assert_eq!(p, s);
            }
        }
        for _ in 0..200_000 {
            let a = rand_fq(&mut rng).0;
            let b = rand_fq(&mut rng).0;
            let p = mont_mul_portable(&a, &b, &Fq::PARAMS);
            let s = unsafe { arith::mont_mul_asm(&a, &b, &Fq::PARAMS) };
            assert_eq!(p, s, "Fq {:x?} {:x?}", a, b);
            let ar = [a[0], a[1], a[2], a[3] % Fr::MODULUS[3]];
            let br = [b[0], b[1], b[2], b[3] % Fr::MODULUS[3]];
            let p = mont_mul_portable(&ar, &br, &Fr::PARAMS);
            let s = unsafe { arith::mont_mul_asm(&ar, &br, &Fr::PARAMS) };
            assert_eq!(p, s, "Fr");
        }
    }

    #[test]
    fn portable_mul_is_correct() {
        // check against schoolbook modular multiplication done with a 512-bit reduction
        let mut rng = Rng::new(7);
        for _ in 0..2000 {
            let a = rand_fq(&mut rng);
            let b = rand_fq(&mut rng);
            let c = a * b;
            // (a*b) plain == plain(a)*plain(b) mod q, checked via: to_plain(c) == mulmod(to_plain(a), to_plain(b))
            let pa = a.to_plain();
            let pb = b.to_plain();
            let expect = crate::testutil::mulmod(&pa, &pb, &Fq::MODULUS);
            assert_eq!(c.to_plain(), expect);
        }
    }

    #[test]
    fn field_identities() {
        let mut rng = Rng::new(3);
        for _ in 0..200 {
            let a = rand_fq(&mut rng);
            let b = rand_fq(&mut rng);
            assert_eq!(a + b - b, a);
            assert_eq!(a - a, Fq::ZERO);
            assert_eq!(-a + a, Fq::ZERO);
            if !a.is_zero() {
                assert_eq!(a * a.inverse(), Fq::ONE);
            }
            let x = Fq2::new(a, b);
            let y = Fq2::new(b, a + b);
            assert_eq!(x.square(), x * x);
            assert_eq!(x * x.inverse(), Fq2::ONE);
            assert_eq!((x * y).conj(), x.conj() * y.conj());
            assert_eq!(x.mul_by_xi(), x * Fq2::new(Fq::from_u64(9), Fq::ONE));
        }
        assert_eq!(Fq::from_u64(7).to_plain(), [7, 0, 0, 0]);
        assert_eq!(Fq::from_plain([5, 0, 0, 0]).unwrap() * Fq::from_u64(3), Fq::from_u64(15));
        assert!(Fq::from_plain(Fq::MODULUS).is_none());
    }

    #[test]
    fn batch_inverse_works() {
        let mut rng = Rng::new(11);
        let mut v: Vec<Fq> = (0..100).map(|_| rand_fq(&mut rng)).collect();
        v[5] = Fq::ZERO;
        let orig = v.clone();
        batch_inverse(&mut v);
        for (a, b) in orig.iter().zip(v.iter()) {
            if a.is_zero() {
                assert!(b.is_zero());
            } else {
                assert_eq!(*a * *b, Fq::ONE);
            }
        }
    }

    #[test]
    fn roots_of_unity() {
        let w = Fr::root_of_unity(28);
        let mut x = w;
        for _ in 0..27 {
            x = x.square();
        }
        assert_eq!(x, -Fr::ONE, "w^(2^27) = -1");
        assert_eq!(x.square(), Fr::ONE);
        // nqr^((r-1)/2) = -1
        let m = Fr::MODULUS;
        let rm1 = [m[0] - 1, m[1], m[2], m[3]];
        let half = [
            (rm1[0] >> 1) | (rm1[1] << 63),
            (rm1[1] >> 1) | (rm1[2] << 63),
            (rm1[2] >> 1) | (rm1[3] << 63),
            rm1[3] >> 1,
        ];
        assert_eq!(Fr::from_u64(5).pow(&half), -Fr::ONE);
        for k in 2..5u64 {
            assert_eq!(Fr::from_u64(k).pow(&half), Fr::ONE, "{k} is a residue");
        }
    }
}
