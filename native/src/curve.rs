//! BN254 G1 (y² = x³ + 3 over Fq) and G2 (y² = x³ + 3/(9+u) over Fq2): affine and Jacobian
//! points, the GLV endomorphism, ψ (untwist-Frobenius-twist) and subgroup checks.

use crate::field::{FieldOps, Fq, Fq2};

/// Curve data attached to a coordinate field (one curve per field here).
pub trait CurveField: FieldOps {
    /// The curve's b (a = 0).
    fn coeff_b() -> Self;
    /// β ∈ Fq, a cube root of unity with (β·x, y) = [LAMBDA](x, y) on the prime-order group.
    fn endo_beta() -> Fq;
    fn mul_by_fq(&self, k: Fq) -> Self;
}

const fn fq(v: [u64; 4]) -> Fq {
    Fq::from_plain_const(v)
}

/// β for G1: (β x, y) = [λ](x, y), λ = 0xb3c4d79d41a917585bfc41088d8daaa78b17ea66b99c90dd.
pub const BETA_G1: Fq = Fq::from_hex("59e26bcea0d48bacd4f263f1acdb5c4f5763473177fffffe");
/// β for G2 (the other cube root): (β x, y) = [λ](x, y) with the same λ as G1.
pub const BETA_G2: Fq = Fq::from_hex("30644e72e131a0295e6dd9e7e0acccb0c28f069fbb966e3de4bd44e5607cfd48");

/// The twist's b: 3/(9+u).
pub const TWIST_B: Fq2 = Fq2::new(
    fq([0x3267e6dc24a138e5, 0xb5b4c5e559dbefa3, 0x81be18991be06ac3, 0x2b149d40ceb8aaae]),
    fq([0xe4a2bd0685c315d2, 0xa74fa084e52d1852, 0xcd2cafadeed8fdf4, 0x009713b03af0fed4]),
);
/// ξ^((p-1)/3) and ξ^((p-1)/2), ξ = 9 + u: ψ(x, y) = (x̄·PSI_X, ȳ·PSI_Y).
pub const PSI_X: Fq2 = Fq2::new(
    fq([0x99e39557176f553d, 0xb78cc310c2c3330c, 0x4c0bec3cf559b143, 0x2fb347984f7911f7]),
    fq([0x1665d51c640fcba2, 0x32ae2a1d0b7c9dce, 0x4ba4cc8bd75a0794, 0x16c9e55061ebae20]),
);
pub const PSI_Y: Fq2 = Fq2::new(
    fq([0xdc54014671a0135a, 0xdbaae0eda9c95998, 0xdc5ec698b6e2f9b9, 0x063cf305489af5dc]),
    fq([0x82d37f632623b0e3, 0x21807dc98fa25bd2, 0x0704b5a7ec796f2b, 0x07c03cbcac41049a]),
);
/// ξ^((p²-1)/3) (in Fq): ψ²(x, y) = (x·PSI2_X, -y).
pub const PSI2_X: Fq = fq([0xe4bd44e5607cfd48, 0xc28f069fbb966e3d, 0x5e6dd9e7e0acccb0, 0x30644e72e131a029]);

/// The BN parameter u.
pub const BN_U: u64 = 4965661367192848881;

impl CurveField for Fq {
    #[inline(always)]
    fn coeff_b() -> Self {
        Fq::from_hex("3")
    }
    #[inline(always)]
    fn endo_beta() -> Fq {
        BETA_G1
    }
    #[inline(always)]
    fn mul_by_fq(&self, k: Fq) -> Self {
        *self * k
    }
}

impl CurveField for Fq2 {
    #[inline(always)]
    fn coeff_b() -> Self {
        TWIST_B
    }
    #[inline(always)]
    fn endo_beta() -> Fq {
        BETA_G2
    }
    #[inline(always)]
    fn mul_by_fq(&self, k: Fq) -> Self {
        Fq2::mul_by_fq(self, k)
    }
}

/// Affine point; (0, 0) (never on these curves) encodes infinity, as in snarkjs files.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
#[repr(C)]
pub struct Affine<F> {
    pub x: F,
    pub y: F,
}

/// Jacobian point (X/Z², Y/Z³); Z = 0 is infinity.
#[derive(Clone, Copy, Debug)]
pub struct Jacobian<F> {
    pub x: F,
    pub y: F,
    pub z: F,
}

pub type G1Affine = Affine<Fq>;
pub type G2Affine = Affine<Fq2>;
pub type G1 = Jacobian<Fq>;
pub type G2 = Jacobian<Fq2>;

impl<F: CurveField> Affine<F> {
    pub const INFINITY: Self = Affine { x: F::ZERO, y: F::ZERO };

    #[inline(always)]
    pub fn is_infinity(&self) -> bool {
        self.x.is_zero() && self.y.is_zero()
    }
    /// On the curve (infinity counts as on it).
    pub fn is_on_curve(&self) -> bool {
        if self.is_infinity() {
            return true;
        }
        self.y.square() == self.x.square() * self.x + F::coeff_b()
    }
    #[inline(always)]
    pub fn neg(&self) -> Self {
        if self.is_infinity() {
            *self
        } else {
            Affine { x: self.x, y: -self.y }
        }
    }
    /// The GLV endomorphism (β x, y) = [λ]P.
    #[inline(always)]
    pub fn endo(&self) -> Self {
        Affine {
            x: self.x.mul_by_fq(F::endo_beta()),
            y: self.y,
        }
    }
    #[inline(always)]
    pub fn to_jacobian(&self) -> Jacobian<F> {
        if self.is_infinity() {
            Jacobian::INFINITY
        } else {
            Jacobian {
                x: self.x,
                y: self.y,
                z: F::ONE,
            }
        }
    }
}

impl<F: CurveField> Jacobian<F> {
    pub const INFINITY: Self = Jacobian {
        x: F::ONE,
        y: F::ONE,
        z: F::ZERO,
    };

    #[inline(always)]
    pub fn is_infinity(&self) -> bool {
        self.z.is_zero()
    }

    pub fn to_affine(&self) -> Affine<F> {
        if self.is_infinity() {
            return Affine::INFINITY;
        }
        let zi = self.z.inverse();
        let zi2 = zi.square();
        Affine {
            x: self.x * zi2,
            y: self.y * zi2 * zi,
        }
    }

    #[inline(always)]
    pub fn neg(&self) -> Self {
        Jacobian {
            x: self.x,
            y: -self.y,
            z: self.z,
        }
    }

    /// dbl-2009-l (a = 0).
    #[inline]
    pub fn double(&self) -> Self {
        if self.is_infinity() {
            return *self;
        }
        let a = self.x.square();
        let b = self.y.square();
        let c = b.square();
        let d = ((self.x + b).square() - a - c).double();
        let e = a.double() + a;
        let f = e.square();
        let x3 = f - d.double();
        let c8 = c.double().double().double();
        let y3 = e * (d - x3) - c8;
        let z3 = (self.y * self.z).double();
        Jacobian { x: x3, y: y3, z: z3 }
    }

    /// add-2007-bl, with the doubling and inverse cases.
    #[inline]
    pub fn add(&self, o: &Self) -> Self {
        if self.is_infinity() {
            return *o;
        }
        if o.is_infinity() {
            return *self;
        }
        let z1z1 = self.z.square();
        let z2z2 = o.z.square();
        let u1 = self.x * z2z2;
        let u2 = o.x * z1z1;
        let s1 = self.y * o.z * z2z2;
        let s2 = o.y * self.z * z1z1;
        let h = u2 - u1;
        let r = (s2 - s1).double();
        if h.is_zero() {
            if r.is_zero() {
                return self.double();
            }
            return Self::INFINITY;
        }
        let i = h.double().square();
        let j = h * i;
        let v = u1 * i;
        let x3 = r.square() - j - v.double();
        let y3 = r * (v - x3) - (s1 * j).double();
        let z3 = ((self.z + o.z).square() - z1z1 - z2z2) * h;
        Jacobian { x: x3, y: y3, z: z3 }
    }

    /// madd-2007-bl: self + affine.
    #[inline]
    pub fn add_affine(&self, o: &Affine<F>) -> Self {
        if o.is_infinity() {
            return *self;
        }
        if self.is_infinity() {
            return o.to_jacobian();
        }
        let z1z1 = self.z.square();
        let u2 = o.x * z1z1;
        let s2 = o.y * self.z * z1z1;
        let h = u2 - self.x;
        let r = (s2 - self.y).double();
        if h.is_zero() {
            if r.is_zero() {
                return self.double();
            }
            return Self::INFINITY;
        }
        let hh = h.square();
        let i = hh.double().double();
        let j = h * i;
        let v = self.x * i;
        let x3 = r.square() - j - v.double();
        let y3 = r * (v - x3) - (self.y * j).double();
        let z3 = (self.z + h).square() - z1z1 - hh;
        Jacobian { x: x3, y: y3, z: z3 }
    }

    /// [k]P for a plain little-endian scalar (any width); double-and-add, not constant time.
    pub fn mul_limbs(&self, k: &[u64]) -> Self {
        let mut acc = Self::INFINITY;
        for limb in k.iter().rev() {
            for bit in (0..64).rev() {
                acc = acc.double();
                if (limb >> bit) & 1 == 1 {
                    acc = acc.add(self);
                }
            }
        }
        acc
    }

    /// Projective equality.
    pub fn eq_point(&self, o: &Self) -> bool {
        match (self.is_infinity(), o.is_infinity()) {
            (true, true) => return true,
            (true, false) | (false, true) => return false,
            _ => {}
        }
        let z1z1 = self.z.square();
        let z2z2 = o.z.square();
        self.x * z2z2 == o.x * z1z1 && self.y * z2z2 * o.z == o.y * z1z1 * self.z
    }

    pub fn is_on_curve(&self) -> bool {
        if self.is_infinity() {
            return true;
        }
        // Y² = X³ + b Z⁶
        let z2 = self.z.square();
        let z6 = z2.square() * z2;
        self.y.square() == self.x.square() * self.x + F::coeff_b() * z6
    }
}

/// Extended Jacobian ("XYZZ") point: x = X/ZZ, y = Y/ZZZ with ZZ³ = ZZZ²; ZZ = 0 is infinity.
/// Mixed addition costs 8M + 2S and addition 12M + 2S (Jacobian: 7M + 4S and 11M + 5S), which is
/// what bucket running sums spend their time on.
#[derive(Clone, Copy, Debug)]
pub struct Xyzz<F> {
    pub x: F,
    pub y: F,
    pub zz: F,
    pub zzz: F,
}

impl<F: CurveField> Xyzz<F> {
    pub const INFINITY: Self = Xyzz {
        x: F::ONE,
        y: F::ONE,
        zz: F::ZERO,
        zzz: F::ZERO,
    };

    #[inline(always)]
    pub fn is_infinity(&self) -> bool {
        self.zz.is_zero()
    }

    #[inline(always)]
    pub fn from_affine(p: &Affine<F>) -> Self {
        if p.is_infinity() {
            Self::INFINITY
        } else {
            Xyzz {
                x: p.x,
                y: p.y,
                zz: F::ONE,
                zzz: F::ONE,
            }
        }
    }

    /// The same point in Jacobian coordinates (Z = ZZ·ZZZ; no inversion).
    pub fn to_jacobian(&self) -> Jacobian<F> {
        if self.is_infinity() {
            return Jacobian::INFINITY;
        }
        let zzz2 = self.zzz.square();
        let x = self.x * self.zz * zzz2;
        let y = self.y * self.zz.square() * self.zz * zzz2;
        Jacobian {
            x,
            y,
            z: self.zz * self.zzz,
        }
    }

    /// dbl-2008-s-1 (a = 0).
    #[inline]
    pub fn double(&self) -> Self {
        if self.is_infinity() {
            return *self;
        }
        let u = self.y.double();
        let v = u.square();
        let w = u * v;
        let s = self.x * v;
        let xx = self.x.square();
        let m = xx.double() + xx;
        let x3 = m.square() - s.double();
        let y3 = m * (s - x3) - w * self.y;
        Xyzz {
            x: x3,
            y: y3,
            zz: v * self.zz,
            zzz: w * self.zzz,
        }
    }

    /// madd-2008-s: self + an affine point.
    #[inline]
    pub fn add_affine(&self, o: &Affine<F>) -> Self {
        if o.is_infinity() {
            return *self;
        }
        if self.is_infinity() {
            return Self::from_affine(o);
        }
        let u2 = o.x * self.zz;
        let s2 = o.y * self.zzz;
        let p = u2 - self.x;
        let r = s2 - self.y;
        if p.is_zero() {
            return if r.is_zero() {
                Self::from_affine(o).double()
            } else {
                Self::INFINITY
            };
        }
        let pp = p.square();
        let ppp = p * pp;
        let q = self.x * pp;
        let x3 = r.square() - ppp - q.double();
        let y3 = r * (q - x3) - self.y * ppp;
        Xyzz {
            x: x3,
            y: y3,
            zz: self.zz * pp,
            zzz: self.zzz * ppp,
        }
    }

    /// add-2008-s.
    #[inline]
    pub fn add(&self, o: &Self) -> Self {
        if o.is_infinity() {
            return *self;
        }
        if self.is_infinity() {
            return *o;
        }
        let u1 = self.x * o.zz;
        let u2 = o.x * self.zz;
        let s1 = self.y * o.zzz;
        let s2 = o.y * self.zzz;
        let p = u2 - u1;
        let r = s2 - s1;
        if p.is_zero() {
            return if r.is_zero() { self.double() } else { Self::INFINITY };
        }
        let pp = p.square();
        let ppp = p * pp;
        let q = u1 * pp;
        let x3 = r.square() - ppp - q.double();
        let y3 = r * (q - x3) - s1 * ppp;
        Xyzz {
            x: x3,
            y: y3,
            zz: self.zz * o.zz * pp,
            zzz: self.zzz * o.zzz * ppp,
        }
    }
}

/// The G1 generator (1, 2).
pub fn g1_generator() -> G1Affine {
    Affine {
        x: Fq::from_u64(1),
        y: Fq::from_u64(2),
    }
}

/// The G2 generator (snarkjs/EIP-197 coordinates, c0 first).
pub fn g2_generator() -> G2Affine {
    Affine {
        x: Fq2::new(
            Fq::from_hex("1800deef121f1e76426a00665e5c4479674322d4f75edadd46debd5cd992f6ed"),
            Fq::from_hex("198e9393920d483a7260bfb731fb5d25f1aa493335a9e71297e485b7aef312c2"),
        ),
        y: Fq2::new(
            Fq::from_hex("12c85ea5db8c6deb4aab71808dcb408fe3d1e7690c43d37b4ce6cc0166fa7daa"),
            Fq::from_hex("090689d0585ff075ec9e99ad690c3395bc4b313370b38ef355acdadcd122975b"),
        ),
    }
}

/// ψ on the twist: (x̄·ξ^((p-1)/3), ȳ·ξ^((p-1)/2)); acts as [p] on G2.
pub fn psi(p: &G2Affine) -> G2Affine {
    if p.is_infinity() {
        return *p;
    }
    Affine {
        x: p.x.conj() * PSI_X,
        y: p.y.conj() * PSI_Y,
    }
}

/// ψ² on the twist: (x·ξ^((p²-1)/3), -y).
pub fn psi2(p: &G2Affine) -> G2Affine {
    if p.is_infinity() {
        return *p;
    }
    Affine {
        x: p.x.mul_by_fq(PSI2_X),
        y: -p.y,
    }
}

/// G2 membership for a point on the twist: ψ(P) = [6u²]P (p ≡ 6u² mod r). Infinity is a member.
pub fn g2_in_subgroup(p: &G2Affine) -> bool {
    if p.is_infinity() {
        return true;
    }
    let k = 6u128 * (BN_U as u128) * (BN_U as u128);
    let lhs = psi(p).to_jacobian();
    let rhs = p.to_jacobian().mul_limbs(&[k as u64, (k >> 64) as u64]);
    lhs.eq_point(&rhs)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::field::Fr;
    use crate::testutil::Rng;

    fn fq_dec(s: &str) -> Fq {
        Fq::from_plain(crate::arith::decimal_to_limbs(s).unwrap()).unwrap()
    }

    #[test]
    fn generators_on_curve() {
        assert!(g1_generator().is_on_curve());
        assert!(g2_generator().is_on_curve());
        assert!(g2_in_subgroup(&g2_generator()));
        let r = Fr::MODULUS;
        assert!(g1_generator().to_jacobian().mul_limbs(&r).is_infinity());
        assert!(g2_generator().to_jacobian().mul_limbs(&r).is_infinity());
    }

    #[test]
    fn known_multiples() {
        // 2G and 3G from py_ecc.optimized_bn128
        let g = g1_generator().to_jacobian();
        let g2 = g.double().to_affine();
        assert_eq!(
            g2.x,
            fq_dec("1368015179489954701390400359078579693043519447331113978918064868415326638035")
        );
        assert_eq!(
            g2.y,
            fq_dec("9918110051302171585080402603319702774565515993150576347155970296011118125764")
        );
        let g3 = g.mul_limbs(&[3]).to_affine();
        assert_eq!(
            g3.x,
            fq_dec("3353031288059533942658390886683067124040920775575537747144343083137631628272")
        );
        assert_eq!(
            g3.y,
            fq_dec("19321533766552368860946552437480515441416830039777911637913418824951667761761")
        );
        assert!(g.add(&g).eq_point(&g.double()));
        assert!(g.add_affine(&g1_generator()).eq_point(&g.double()));
        assert!(g.add(&g.neg()).is_infinity());
        // G2: 2·G2
        let h = g2_generator().to_jacobian().double().to_affine();
        assert_eq!(
            h.x.c0,
            fq_dec("18029695676650738226693292988307914797657423701064905010927197838374790804409")
        );
        assert_eq!(
            h.x.c1,
            fq_dec("14583779054894525174450323658765874724019480979794335525732096752006891875705")
        );
        assert_eq!(
            h.y.c0,
            fq_dec("2140229616977736810657479771656733941598412651537078903776637920509952744750")
        );
        assert_eq!(
            h.y.c1,
            fq_dec("11474861747383700316476719153975578001603231366361248090558603872215261634898")
        );
    }

    #[test]
    fn xyzz_matches_jacobian() {
        let g = g1_generator();
        let j = g.to_jacobian();
        let p3 = j.mul_limbs(&[3]).to_affine();
        let x = Xyzz::from_affine(&g);
        assert!(x.double().to_jacobian().eq_point(&j.double()));
        assert!(x.add_affine(&p3).to_jacobian().eq_point(&j.mul_limbs(&[4])));
        assert!(x.add_affine(&g).to_jacobian().eq_point(&j.double()));
        assert!(x.add_affine(&g.neg()).is_infinity());
        let y = x.double().add_affine(&p3); // 5G, not normalised
        assert!(y.add(&x.double()).to_jacobian().eq_point(&j.mul_limbs(&[7])));
        assert!(y.add(&y).to_jacobian().eq_point(&j.mul_limbs(&[10])));
        assert!(y.add(&Xyzz::INFINITY).to_jacobian().eq_point(&j.mul_limbs(&[5])));
        let h = g2_generator();
        let hx = Xyzz::from_affine(&h).double().add_affine(&h);
        assert!(hx.to_jacobian().eq_point(&h.to_jacobian().mul_limbs(&[3])));
    }

    #[test]
    fn endomorphisms() {
        let lambda = crate::arith::hex_to_limbs("b3c4d79d41a917585bfc41088d8daaa78b17ea66b99c90dd");
        let g = g1_generator();
        assert!(g.endo().to_jacobian().eq_point(&g.to_jacobian().mul_limbs(&lambda)));
        let h = g2_generator();
        assert!(h.endo().to_jacobian().eq_point(&h.to_jacobian().mul_limbs(&lambda)));
        // ψ acts as [p mod r] = [6u²] on G2
        let k = 6u128 * (BN_U as u128) * (BN_U as u128);
        assert!(psi(&h)
            .to_jacobian()
            .eq_point(&h.to_jacobian().mul_limbs(&[k as u64, (k >> 64) as u64])));
        assert_eq!(psi(&psi(&h)), psi2(&h));
    }

    /// Random points on the twist (not cleared to G2) must fail the ψ test unless [r]P = O.
    #[test]
    fn subgroup_check_rejects_twist_points() {
        let mut rng = Rng::new(5);
        let mut found = 0;
        let mut tries = 0;
        while found < 6 && tries < 200 {
            tries += 1;
            let x = Fq2::new(Fq::from_u64(rng.next_u64()), Fq::from_u64(rng.next_u64()));
            let rhs = x.square() * x + TWIST_B;
            if let Some(y) = crate::testutil::fq2_sqrt(&rhs) {
                let p = Affine { x, y };
                assert!(p.is_on_curve());
                let in_r = p.to_jacobian().mul_limbs(&Fr::MODULUS).is_infinity();
                assert_eq!(g2_in_subgroup(&p), in_r);
                assert!(!in_r, "a random twist point is almost never in G2");
                // its cofactor multiple is in G2
                let h = crate::testutil::G2_COFACTOR;
                let q = p.to_jacobian().mul_limbs(&h).to_affine();
                assert!(g2_in_subgroup(&q));
                assert!(q.to_jacobian().mul_limbs(&Fr::MODULUS).is_infinity());
                found += 1;
            }
        }
        assert!(found >= 6);
    }
}
