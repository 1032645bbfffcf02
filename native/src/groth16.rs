//! Groth16 proving, with snarkjs's conventions so that its verifier (and ours, and the Solidity
//! one) accept the proofs and the zkey's H points apply:
//!
//! - A and B on the domain from the coefficient entries; C = A∘B pointwise (the zkey has no C
//!   matrix: its C points already fold it in);
//! - each of A, B, C to the odd points of the 2n-domain (inverse transform, coefficient i times
//!   gⁱ with g = `Fr.w[power + 1]`, forward transform), then A·B − C, out of Montgomery form. The
//!   zkey's H points already carry the division by Z (constant on that coset) and by δ, so no
//!   quotient is computed here;
//! - π_A = α + Σwᵢ·Aᵢ + r·δ, π_B = β + Σwᵢ·B₂ᵢ + s·δ, π_C = Σ_{private} wᵢ·Cᵢ + Σhⱼ·Hⱼ + s·π_A
//!   + r·(β₁ + Σwᵢ·B₁ᵢ + s·δ₁) − r·s·δ₁, with r and s fresh from the operating system.

use crate::curve::{G1Affine, G2Affine};
use crate::field::{FieldOps, Fq, Fq2, Fr};
use crate::msm::{msm_glv, GlvScalars, MsmOptions, MsmStats};
use crate::ntt::Domain;
use crate::zkey::{ProvingKey, Witness};
use std::io::Write;
use std::time::Instant;

/// Environment variable naming a file to which each proof appends one line of fingerprints of its
/// r and s, so a test can show that no two proofs share them. Off unless set. The fingerprint of
/// k is the x coordinate of [k]P for a fixed point P whose discrete logarithm nobody knows
/// ([`fingerprint_base`]): equal exactly when the scalars are, and useless to a reader of the log.
/// (With the generator instead, [r]G1 would let anyone holding the log test guesses of a witness
/// against the proof by one pairing: e(π_A − α − Σwᵢ·Aᵢ, G2) = e([r]G1, δ₂).)
pub const RS_LOG_ENV: &str = "ZKSOLVENCY_PROVER_RS_LOG";

/// A G1 point of unknown discrete logarithm: the first x = 0x7a6b736f6c76656e + i with x³ + 3 a
/// square, y its square root (q ≡ 3 mod 4: y = (x³ + 3)^((q+1)/4)). G1 has cofactor 1, so it is in
/// the group.
pub fn fingerprint_base() -> crate::curve::G1Affine {
    use crate::curve::CurveField;
    // (q + 1) / 4
    let e = crate::arith::hex_to_limbs("c19139cb84c680a6e14116da060561765e05aa45a1c72a34f082305b61f3f52");
    let mut x = Fq::from_u64(0x7a6b_736f_6c76_656e);
    loop {
        let rhs = x.square() * x + Fq::coeff_b();
        let y = rhs.pow(&e);
        if y.square() == rhs {
            return crate::curve::Affine { x, y };
        }
        x += Fq::ONE;
    }
}

/// A proof (affine points).
#[derive(Clone, Copy, Debug)]
pub struct Proof {
    pub a: G1Affine,
    pub b: G2Affine,
    pub c: G1Affine,
}

/// Milliseconds per step of one proof.
#[derive(Clone, Debug, Default)]
pub struct Timings {
    pub abc_ms: f64,
    pub ntt_ms: f64,
    pub scalars_ms: f64,
    pub msm: Vec<(&'static str, MsmStats)>,
    pub finish_ms: f64,
    pub total_ms: f64,
}

impl Timings {
    /// One JSON object (no spaces) with every step.
    pub fn to_json(&self) -> String {
        let mut s = format!(
            "{{\"abc_ms\":{:.2},\"ntt_ms\":{:.2},\"scalars_ms\":{:.2},\"finish_ms\":{:.2},\"total_ms\":{:.2},\"msm\":{{",
            self.abc_ms, self.ntt_ms, self.scalars_ms, self.finish_ms, self.total_ms
        );
        for (i, (name, st)) in self.msm.iter().enumerate() {
            if i > 0 {
                s.push(',');
            }
            s.push_str(&format!(
                "\"{name}\":{{\"ms\":{:.2},\"points\":{},\"window\":{}}}",
                st.total_ms, st.points, st.window
            ));
        }
        s.push_str("}}");
        s
    }
}

/// A proving key with everything derived from it once (the transform tables).
pub struct Prover {
    pub key: ProvingKey,
    pub domain: Domain,
    pub threads: usize,
}

impl Prover {
    pub fn new(key: ProvingKey, threads: usize) -> Self {
        let domain = Domain::new(key.power);
        Prover {
            key,
            domain,
            threads: threads.max(1),
        }
    }

    /// A proof of `w` with fresh r and s from the operating system.
    pub fn prove(&self, w: &Witness) -> std::io::Result<(Proof, Timings)> {
        let r = crate::rng::random_fr()?;
        let s = crate::rng::random_fr()?;
        if let Some(path) = std::env::var_os(RS_LOG_ENV) {
            let g = fingerprint_base().to_jacobian();
            let fp = |k: Fr| g.mul_limbs(&k.to_plain()).to_affine().x.to_hex();
            let mut f = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
            writeln!(f, "{} {} {}", std::process::id(), fp(r), fp(s))?;
        }
        Ok(self.prove_with(w, r, s))
    }

    /// The A, B and C evaluations on the domain (Montgomery form).
    fn abc(&self, w: &[[u64; 4]]) -> (Vec<Fr>, Vec<Fr>, Vec<Fr>) {
        let n = self.domain.n;
        let fill = |coefs: &[crate::zkey::Coef]| {
            let mut v = vec![Fr::ZERO; n];
            for c in coefs {
                v[c.row as usize] += Fr(Fr::mont_mul_raw(&c.value, &w[c.signal as usize]));
            }
            v
        };
        let (a, b) = std::thread::scope(|s| {
            let hb = s.spawn(|| fill(&self.key.coef_b));
            let a = fill(&self.key.coef_a);
            (a, hb.join().expect("coefficient thread"))
        });
        let c = a.iter().zip(b.iter()).map(|(x, y)| *x * *y).collect();
        (a, b, c)
    }

    /// The proof for given blinding scalars (tests fix them; [`Prover::prove`] draws them).
    pub fn prove_with(&self, w: &Witness, r: Fr, s: Fr) -> (Proof, Timings) {
        let k = &self.key;
        let t_all = Instant::now();
        let mut tm = Timings::default();
        let opts = MsmOptions {
            window: None,
            threads: self.threads,
        };

        let t = Instant::now();
        let (mut a, mut b, mut c) = self.abc(&w.values);
        tm.abc_ms = ms(t);

        let t = Instant::now();
        // three independent transforms: one thread each, the cores shared among them
        let inner = (self.threads / 3).max(1);
        std::thread::scope(|sc| {
            for v in [&mut a, &mut b, &mut c] {
                sc.spawn(|| self.domain.to_odd_coset(v, inner));
            }
        });
        let h: Vec<[u64; 4]> = a
            .iter()
            .zip(b.iter())
            .zip(c.iter())
            .map(|((x, y), z)| (*x * *y - *z).to_plain())
            .collect();
        drop((a, b, c));
        tm.ntt_ms = ms(t);

        let t = Instant::now();
        let ws = GlvScalars::new(&w.values, self.threads);
        let hs = GlvScalars::new(&h, self.threads);
        tm.scalars_ms = ms(t);

        let (pa, st) = msm_glv(&k.a, &ws, 0, &opts, false);
        tm.msm.push(("A", st));
        let (pb1, st) = msm_glv(&k.b1, &ws, 0, &opts, false);
        tm.msm.push(("B1", st));
        let (pb2, st) = msm_glv(&k.b2, &ws, 0, &opts, true);
        tm.msm.push(("B2", st));
        let (pc, st) = msm_glv(&k.c, &ws, k.n_public + 1, &opts, false);
        tm.msm.push(("C", st));
        let (ph, st) = msm_glv(&k.h, &hs, 0, &opts, false);
        tm.msm.push(("H", st));

        let t = Instant::now();
        let (rp, sp, rs) = (r.to_plain(), s.to_plain(), (-(r * s)).to_plain());
        let delta1 = k.delta1.to_jacobian();
        let pi_a = pa.add_affine(&k.alpha1).add(&delta1.mul_limbs(&rp));
        let pi_b = pb2.add_affine(&k.beta2).add(&k.delta2.to_jacobian().mul_limbs(&sp));
        let b1 = pb1.add_affine(&k.beta1).add(&delta1.mul_limbs(&sp));
        let pi_c = pc
            .add(&ph)
            .add(&pi_a.mul_limbs(&sp))
            .add(&b1.mul_limbs(&rp))
            .add(&delta1.mul_limbs(&rs));
        let proof = Proof {
            a: pi_a.to_affine(),
            b: pi_b.to_affine(),
            c: pi_c.to_affine(),
        };
        tm.finish_ms = ms(t);
        tm.total_ms = ms(t_all);
        (proof, tm)
    }

    /// The public signals of a witness (signals 1..=nPublic), as snarkjs lists them.
    pub fn public_signals(&self, w: &Witness) -> Vec<String> {
        w.values[1..=self.key.n_public]
            .iter()
            .map(crate::arith::limbs_to_decimal)
            .collect()
    }
}

fn ms(t: Instant) -> f64 {
    t.elapsed().as_secs_f64() * 1e3
}

fn dec(x: &Fq) -> String {
    x.to_decimal()
}

/// `G1.toObject(G1.toAffine(p))` of snarkjs: [x, y, "1"], or ["0", "1", "0"] for infinity.
fn g1_json(p: &G1Affine) -> [String; 3] {
    if p.is_infinity() {
        return ["0".into(), "1".into(), "0".into()];
    }
    [dec(&p.x), dec(&p.y), "1".into()]
}

/// The same for G2, each coordinate [c0, c1].
fn g2_json(p: &G2Affine) -> [[String; 2]; 3] {
    let f = |x: &Fq2| [dec(&x.c0), dec(&x.c1)];
    if p.is_infinity() {
        return [["0".into(), "0".into()], ["1".into(), "0".into()], ["0".into(), "0".into()]];
    }
    [f(&p.x), f(&p.y), ["1".into(), "0".into()]]
}

/// `proof.json` exactly as `snarkjs groth16 prove` writes it (JSON.stringify(…, null, 1)).
pub fn proof_json(p: &Proof) -> String {
    let a = g1_json(&p.a);
    let c = g1_json(&p.c);
    let b = g2_json(&p.b);
    let list = |v: &[String], ind: &str| {
        let inner: Vec<String> = v.iter().map(|x| format!("{ind} \"{x}\"")).collect();
        format!("[\n{}\n{ind}]", inner.join(",\n"))
    };
    let bs: Vec<String> = b.iter().map(|pair| format!("  {}", list(pair, "  "))).collect();
    format!(
        "{{\n \"pi_a\": {},\n \"pi_b\": [\n{}\n ],\n \"pi_c\": {},\n \"protocol\": \"groth16\",\n \"curve\": \"bn128\"\n}}",
        list(&a, " "),
        bs.join(",\n"),
        list(&c, " ")
    )
}

/// `public.json` exactly as snarkjs writes it.
pub fn public_json(signals: &[String]) -> String {
    if signals.is_empty() {
        return "[]".to_string();
    }
    let inner: Vec<String> = signals.iter().map(|x| format!(" \"{x}\"")).collect();
    format!("[\n{}\n]", inner.join(",\n"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::curve::Affine;

    #[test]
    fn the_fingerprint_base_is_a_curve_point_other_than_the_generator() {
        let p = fingerprint_base();
        assert!(p.is_on_curve() && !p.is_infinity());
        assert_ne!(p, crate::curve::g1_generator());
        assert!(p.to_jacobian().mul_limbs(&Fr::MODULUS).is_infinity());
    }

    #[test]
    fn json_matches_snarkjs_layout() {
        let fixture = include_str!("../tests/fixtures/tiny.snarkjs_proof.json");
        // rebuild the fixture's points from its own decimals and print them again
        let nums: Vec<String> = fixture
            .split('"')
            .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .map(|s| s.to_string())
            .collect();
        let fq = |s: &str| Fq::from_plain(crate::arith::decimal_to_limbs(s).unwrap()).unwrap();
        let p = Proof {
            a: Affine {
                x: fq(&nums[0]),
                y: fq(&nums[1]),
            },
            b: Affine {
                x: Fq2::new(fq(&nums[3]), fq(&nums[4])),
                y: Fq2::new(fq(&nums[5]), fq(&nums[6])),
            },
            c: Affine {
                x: fq(&nums[9]),
                y: fq(&nums[10]),
            },
        };
        assert_eq!(proof_json(&p), fixture);
        let public = include_str!("../tests/fixtures/tiny.snarkjs_public.json");
        assert_eq!(public_json(&["6231".into(), "3".into(), "7".into()]), public);
    }
}
