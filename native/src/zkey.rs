//! snarkjs's Groth16 proving key (`.zkey`) and witness (`.wtns`) files.
//!
//! zkey sections (any order): 1 protocol (u32, 1 = Groth16); 2 header (n8q, q, n8r, r, nVars,
//! nPublic, domainSize, α₁, β₁, β₂, γ₂, δ₁, δ₂); 3 IC; 4 coefficients (u32 count, then
//! (matrix, constraint, signal, coefficient·R² mod r) entries of 12 + 32 bytes); 5 A, 6 B₁ (G1, one
//! per signal), 7 B₂ (G2, one per signal), 8 C (G1, one per private signal), 9 H (G1, one per
//! domain point); 10 the phase-2 contributions (not read). Points are affine, little-endian,
//! coordinates in Montgomery form (R = 2^256); 64 (G1) or 128 (G2) zero bytes encode infinity;
//! an Fq2 element is c0 then c1.
//!
//! wtns sections: 1 header (n8, prime, count); 2 values (plain form, not Montgomery).
//!
//! Every coordinate must be below q and every point on its curve; every scalar below r; every
//! count must match its section's length. G2 subgroup membership is costly (58k points) and is
//! checked by [`ProvingKey::check_subgroups`], which the server runs once per key.

use crate::binfile::{u32_at, BinFile, FormatError};
use crate::curve::{g2_in_subgroup, Affine, G1Affine, G2Affine};
use crate::field::{Fq, Fq2, Fr};
use std::time::Instant;

/// The Groth16 protocol id in section 1.
const GROTH16: u32 = 1;
/// Bytes of one coefficient entry.
const COEF_BYTES: u64 = 12 + 32;
/// The largest domain this prover takes: 2^27 (snarkjs switches its coset shift at 2^28).
pub const MAX_POWER: u32 = 27;

/// One non-zero entry of matrix A or B: at constraint `row`, signal `signal`, the coefficient in
/// "double Montgomery" form (value·R² mod r), so one Montgomery product with the plain witness
/// value gives value·w in Montgomery form.
#[derive(Clone, Copy, Debug)]
pub struct Coef {
    pub row: u32,
    pub signal: u32,
    pub value: [u64; 4],
}

/// A parsed, checked Groth16 proving key.
pub struct ProvingKey {
    pub n_vars: usize,
    pub n_public: usize,
    pub domain_size: usize,
    pub power: u32,
    pub alpha1: G1Affine,
    pub beta1: G1Affine,
    pub beta2: G2Affine,
    pub gamma2: G2Affine,
    pub delta1: G1Affine,
    pub delta2: G2Affine,
    pub coef_a: Vec<Coef>,
    pub coef_b: Vec<Coef>,
    pub a: Vec<G1Affine>,
    pub b1: Vec<G1Affine>,
    pub b2: Vec<G2Affine>,
    pub c: Vec<G1Affine>,
    pub h: Vec<G1Affine>,
    /// Milliseconds spent reading and checking (file read, parse).
    pub load_ms: f64,
}

fn limbs(b: &[u8]) -> [u64; 4] {
    crate::arith::limbs_from_le_bytes(b)
}

/// An Fq coordinate in Montgomery form; below q.
fn fq_at(f: &BinFile, b: &[u8], field: &str) -> Result<Fq, FormatError> {
    Fq::from_mont(limbs(b)).ok_or_else(|| FormatError::new(&f.name, field, "a coordinate is not below the base field prime q"))
}

/// A G1 point (64 bytes); infinity as zeros; on the curve.
fn g1_at(f: &BinFile, b: &[u8], field: &str) -> Result<G1Affine, FormatError> {
    let p = Affine {
        x: fq_at(f, &b[0..32], field)?,
        y: fq_at(f, &b[32..64], field)?,
    };
    if !p.is_on_curve() {
        return Err(FormatError::new(&f.name, field, "a point is not on the curve G1"));
    }
    Ok(p)
}

/// A G2 point (128 bytes: x.c0, x.c1, y.c0, y.c1); on the twist (subgroup checked separately).
fn g2_at(f: &BinFile, b: &[u8], field: &str) -> Result<G2Affine, FormatError> {
    let x = Fq2::new(fq_at(f, &b[0..32], field)?, fq_at(f, &b[32..64], field)?);
    let y = Fq2::new(fq_at(f, &b[64..96], field)?, fq_at(f, &b[96..128], field)?);
    let p = Affine { x, y };
    if !p.is_on_curve() {
        return Err(FormatError::new(&f.name, field, "a point is not on the twist curve G2"));
    }
    Ok(p)
}

/// Parse `count` points of `size` bytes each, in parallel chunks, failing on the first bad one.
fn points<T: Send + Copy + Default>(
    f: &BinFile,
    bytes: &[u8],
    size: usize,
    field: &str,
    threads: usize,
    one: fn(&BinFile, &[u8], &str) -> Result<T, FormatError>,
) -> Result<Vec<T>, FormatError> {
    let count = bytes.len() / size;
    let mut out = vec![T::default(); count];
    let chunk = count.div_ceil(threads.max(1)).max(1024);
    let results: Vec<Result<(), FormatError>> = std::thread::scope(|s| {
        let handles: Vec<_> = out
            .chunks_mut(chunk)
            .zip(bytes.chunks(chunk * size))
            .map(|(o, b)| {
                s.spawn(move || {
                    for (slot, raw) in o.iter_mut().zip(b.chunks_exact(size)) {
                        *slot = one(f, raw, field)?;
                    }
                    Ok(())
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| {
                h.join()
                    .unwrap_or_else(|_| Err(FormatError::new(&f.name, field, "parser thread failed")))
            })
            .collect()
    });
    for r in results {
        r?;
    }
    Ok(out)
}

impl ProvingKey {
    /// Read and check a zkey file.
    pub fn load(path: &str, threads: usize) -> Result<Self, FormatError> {
        let t = Instant::now();
        let data = crate::binfile::read_file(path, "zkey")?;
        let mut key = Self::parse(path, data, threads)?;
        key.load_ms = t.elapsed().as_secs_f64() * 1e3;
        Ok(key)
    }

    /// Parse and check the bytes of a zkey file (`name` labels errors).
    pub fn parse(name: &str, data: Vec<u8>, threads: usize) -> Result<Self, FormatError> {
        let f = BinFile::parse(name, data, b"zkey", 1)?;
        let err = |field: &str, msg: String| FormatError::new(name, field, msg);

        let s1 = f.sized(1, "protocol", 1, 4)?;
        let protocol = u32_at(f.bytes(s1), 0);
        if protocol != GROTH16 {
            return Err(err("section 1 (protocol)", format!("protocol {protocol} is not Groth16 (1)")));
        }

        // header: n8q q n8r r nVars nPublic domainSize α1 β1 β2 γ2 δ1 δ2
        let s2 = f.sized(2, "header", 1, 4 + 32 + 4 + 32 + 4 + 4 + 4 + 64 * 3 + 128 * 3)?;
        let h = f.bytes(s2);
        if u32_at(h, 0) != 32 || limbs(&h[4..36]) != Fq::MODULUS {
            return Err(err("section 2 (header)", "the base field is not BN254's (n8q 32, q)".into()));
        }
        if u32_at(h, 36) != 32 || limbs(&h[40..72]) != Fr::MODULUS {
            return Err(err(
                "section 2 (header)",
                "the scalar field is not BN254's (n8r 32, r)".into(),
            ));
        }
        let n_vars = u32_at(h, 72) as usize;
        let n_public = u32_at(h, 76) as usize;
        let domain_size = u32_at(h, 80) as usize;
        if n_public.checked_add(1).is_none_or(|p| p > n_vars) {
            return Err(err(
                "section 2 (header)",
                format!("nPublic {n_public} + 1 exceeds nVars {n_vars}"),
            ));
        }
        if !domain_size.is_power_of_two() || domain_size < 2 {
            return Err(err(
                "section 2 (header)",
                format!("domain size {domain_size} is not a power of two ≥ 2"),
            ));
        }
        let power = domain_size.trailing_zeros();
        if power > MAX_POWER {
            return Err(err(
                "section 2 (header)",
                format!("domain 2^{power} is larger than 2^{MAX_POWER}"),
            ));
        }
        let g1h = |i: usize, what: &str| g1_at(&f, &h[84 + i..84 + i + 64], &format!("section 2 (header) {what}"));
        let alpha1 = g1h(0, "alpha1")?;
        let beta1 = g1h(64, "beta1")?;
        let g2h = |i: usize, what: &str| g2_at(&f, &h[84 + i..84 + i + 128], &format!("section 2 (header) {what}"));
        let beta2 = g2h(128, "beta2")?;
        let gamma2 = g2h(256, "gamma2")?;
        let delta1 = g1h(384, "delta1")?;
        let delta2 = g2h(448, "delta2")?;
        for (p, what) in [(alpha1, "alpha1"), (beta1, "beta1"), (delta1, "delta1")] {
            if p.is_infinity() {
                return Err(err("section 2 (header)", format!("{what} is the point at infinity")));
            }
        }
        for (p, what) in [(beta2, "beta2"), (gamma2, "gamma2"), (delta2, "delta2")] {
            if p.is_infinity() {
                return Err(err("section 2 (header)", format!("{what} is the point at infinity")));
            }
        }

        f.sized(3, "IC", n_public as u64 + 1, 64)?;

        // coefficients
        let s4 = f.section(4, "coefficients")?;
        let cb = f.bytes(s4);
        if cb.len() < 4 {
            return Err(err("section 4 (coefficients)", "shorter than its count".into()));
        }
        let n_coef = u32_at(cb, 0) as u64;
        if (cb.len() as u64 - 4) != n_coef * COEF_BYTES {
            return Err(err(
                "section 4 (coefficients)",
                format!(
                    "count {n_coef} needs {} bytes, the section holds {}",
                    n_coef * COEF_BYTES + 4,
                    cb.len()
                ),
            ));
        }
        let mut coef_a = Vec::new();
        let mut coef_b = Vec::new();
        for (i, e) in cb[4..].chunks_exact(COEF_BYTES as usize).enumerate() {
            let (m, row, signal) = (u32_at(e, 0), u32_at(e, 4), u32_at(e, 8));
            let value = limbs(&e[12..44]);
            let bad = |msg: String| err("section 4 (coefficients)", format!("entry {i}: {msg}"));
            if row as usize >= domain_size {
                return Err(bad(format!("constraint {row} is outside the domain of {domain_size}")));
            }
            if signal as usize >= n_vars {
                return Err(bad(format!("signal {signal} is not below nVars {n_vars}")));
            }
            if !crate::arith::lt4(&value, &Fr::MODULUS) {
                return Err(bad("the coefficient is not below r".into()));
            }
            let c = Coef { row, signal, value };
            match m {
                0 => coef_a.push(c),
                1 => coef_b.push(c),
                _ => return Err(bad(format!("matrix {m} is neither A (0) nor B (1)"))),
            }
        }

        let n_priv = (n_vars - n_public - 1) as u64;
        let s5 = f.sized(5, "A points", n_vars as u64, 64)?;
        let s6 = f.sized(6, "B1 points", n_vars as u64, 64)?;
        let s7 = f.sized(7, "B2 points", n_vars as u64, 128)?;
        let s8 = f.sized(8, "C points", n_priv, 64)?;
        let s9 = f.sized(9, "H points", domain_size as u64, 64)?;
        let a = points(&f, f.bytes(s5), 64, "section 5 (A points)", threads, g1_at)?;
        let b1 = points(&f, f.bytes(s6), 64, "section 6 (B1 points)", threads, g1_at)?;
        let b2 = points(&f, f.bytes(s7), 128, "section 7 (B2 points)", threads, g2_at)?;
        let c = points(&f, f.bytes(s8), 64, "section 8 (C points)", threads, g1_at)?;
        let h = points(&f, f.bytes(s9), 64, "section 9 (H points)", threads, g1_at)?;
        Ok(ProvingKey {
            n_vars,
            n_public,
            domain_size,
            power,
            alpha1,
            beta1,
            beta2,
            gamma2,
            delta1,
            delta2,
            coef_a,
            coef_b,
            a,
            b1,
            b2,
            c,
            h,
            load_ms: 0.0,
        })
    }

    /// Whether every G2 point of the key lies in the prime-order subgroup (the GLV split of the
    /// B₂ MSM is only correct there), by random linear combinations: Q = Σρᵢ·B₂ᵢ with fresh
    /// 127-bit ρᵢ from the operating system, then ψ(Q) = [6u²]Q. A point with a component outside
    /// G2 (whose order divides the cofactor, smallest prime factor 10,069) leaves Q outside G2
    /// unless the ρᵢ cancel it, which each round does with probability at most 1/10,069; four
    /// rounds: below 2^-53. Each round is one MSM without the endomorphism (~0.1 s where the exact
    /// per-point check takes seconds). On failure the exact check names the first bad point.
    pub fn check_subgroups(&self, name: &str, threads: usize) -> Result<(), FormatError> {
        self.check_header_subgroups(name)?;
        // the MSM takes finite points only: infinity is in every subgroup
        let finite: Vec<&G2Affine> = self.b2.iter().filter(|p| !p.is_infinity()).collect();
        let n = finite.len();
        let opts = crate::msm::MsmOptions { window: None, threads };
        for _ in 0..4 {
            let mut bytes = vec![0u8; 16 * n];
            crate::rng::os_fill(&mut bytes)
                .map_err(|e| FormatError::new(name, "section 7 (B2 points)", format!("no OS randomness: {e}")))?;
            let rho: Vec<u128> = bytes
                .chunks_exact(16)
                .map(|b| u128::from_le_bytes(b.try_into().unwrap_or([1; 16])) >> 1)
                .collect();
            let mut stats = crate::msm::MsmStats::default();
            let q = crate::msm::msm_packed(n, &rho, |i| *finite[i], &opts, &mut stats, true);
            if !g2_in_subgroup(&q.to_affine()) {
                return self.check_subgroups_exact(name, threads).and(Err(FormatError::new(
                    name,
                    "section 7 (B2 points)",
                    "a point is not in the G2 subgroup",
                )));
            }
        }
        Ok(())
    }

    fn check_header_subgroups(&self, name: &str) -> Result<(), FormatError> {
        for (p, what) in [(self.beta2, "beta2"), (self.gamma2, "gamma2"), (self.delta2, "delta2")] {
            if !g2_in_subgroup(&p) {
                return Err(FormatError::new(
                    name,
                    &format!("section 2 (header) {what}"),
                    "not in the G2 subgroup",
                ));
            }
        }
        Ok(())
    }

    /// The same check point by point (ψ(P) = [6u²]P for each; seconds for 58k points): `check`.
    pub fn check_subgroups_exact(&self, name: &str, threads: usize) -> Result<(), FormatError> {
        self.check_header_subgroups(name)?;
        let chunk = self.b2.len().div_ceil(threads.max(1)).max(256);
        let bad: Option<usize> = std::thread::scope(|s| {
            let hs: Vec<_> = self
                .b2
                .chunks(chunk)
                .enumerate()
                .map(|(ci, pts)| s.spawn(move || pts.iter().position(|p| !g2_in_subgroup(p)).map(|i| ci * chunk + i)))
                .collect();
            hs.into_iter().filter_map(|h| h.join().ok().flatten()).min()
        });
        match bad {
            Some(i) => Err(FormatError::new(
                name,
                "section 7 (B2 points)",
                format!("point {i} is not in the G2 subgroup"),
            )),
            None => Ok(()),
        }
    }
}

/// A witness: the plain values of every signal (signal 0 is the constant 1).
pub struct Witness {
    pub values: Vec<[u64; 4]>,
}

impl std::fmt::Debug for Witness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Witness({} values)", self.values.len())
    }
}

impl std::fmt::Debug for ProvingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "ProvingKey({} signals, {} public, domain 2^{})",
            self.n_vars, self.n_public, self.power
        )
    }
}

impl Witness {
    /// Read and check a wtns file.
    pub fn load(path: &str) -> Result<Self, FormatError> {
        let data = crate::binfile::read_file(path, "wtns")?;
        Self::parse(path, data)
    }

    /// Read a wtns file for `key`: at most the size of a witness of its signals.
    pub fn load_for(path: &str, key: &ProvingKey) -> Result<Self, FormatError> {
        let max = 12 + (12 + 40) + 12 + 32 * key.n_vars as u64;
        let data = crate::binfile::read_file_at_most(path, "wtns", max)?;
        Self::parse(path, data)
    }

    /// Parse and check the bytes of a wtns file.
    pub fn parse(name: &str, data: Vec<u8>) -> Result<Self, FormatError> {
        let f = BinFile::parse(name, data, b"wtns", 2)?;
        let s1 = f.sized(1, "header", 1, 4 + 32 + 4)?;
        let h = f.bytes(s1);
        if u32_at(h, 0) != 32 || limbs(&h[4..36]) != Fr::MODULUS {
            return Err(FormatError::new(
                name,
                "section 1 (header)",
                "the prime is not BN254's scalar field r",
            ));
        }
        let n = u32_at(h, 36) as u64;
        let s2 = f.sized(2, "values", n, 32)?;
        let mut values = Vec::with_capacity(n as usize);
        for (i, b) in f.bytes(s2).chunks_exact(32).enumerate() {
            let v = limbs(b);
            if !crate::arith::lt4(&v, &Fr::MODULUS) {
                return Err(FormatError::new(
                    name,
                    "section 2 (values)",
                    format!("value {i} is not below r"),
                ));
            }
            values.push(v);
        }
        if values.first() != Some(&[1, 0, 0, 0]) {
            return Err(FormatError::new(
                name,
                "section 2 (values)",
                "signal 0 must be the constant 1",
            ));
        }
        Ok(Witness { values })
    }

    /// Check the witness against a key: same number of signals.
    pub fn check_for(&self, name: &str, key: &ProvingKey) -> Result<(), FormatError> {
        if self.values.len() != key.n_vars {
            return Err(FormatError::new(
                name,
                "section 1 (header)",
                format!("{} values, but the proving key has {} signals", self.values.len(), key.n_vars),
            ));
        }
        Ok(())
    }
}
