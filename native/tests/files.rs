//! The real snarkjs files under tests/fixtures (a small circuit's zkey and witness, made by
//! snarkjs and circom): they parse; lying or damaged copies are refused with an error, never a
//! panic, an overrun or a huge allocation; proofs are built the way snarkjs builds them.

use std::time::{Duration, Instant};
use zksolvency_prover::curve::g1_generator;
use zksolvency_prover::field::{FieldOps, Fr};
use zksolvency_prover::groth16::Prover;
use zksolvency_prover::msm::msm_naive;
use zksolvency_prover::testutil::Rng;
use zksolvency_prover::zkey::{ProvingKey, Witness};

const ZKEY: &[u8] = include_bytes!("fixtures/small.zkey");
const WTNS: &[u8] = include_bytes!("fixtures/small.wtns");
const TINY_ZKEY: &[u8] = include_bytes!("fixtures/tiny.zkey");

fn key() -> ProvingKey {
    ProvingKey::parse("small.zkey", ZKEY.to_vec(), 2).expect("the fixture parses")
}

#[test]
fn fixtures_parse_and_agree() {
    let k = key();
    let w = Witness::parse("small.wtns", WTNS.to_vec()).unwrap();
    w.check_for("small.wtns", &k).unwrap();
    assert_eq!(k.a.len(), k.n_vars);
    assert_eq!(k.c.len(), k.n_vars - k.n_public - 1);
    assert_eq!(k.h.len(), k.domain_size);
    assert!(k.check_subgroups("small.zkey", 2).is_ok());
    // nPublic + 1 extra rows of A: one per public signal and the constant, at the end of the rows
    assert!(k.coef_a.iter().any(|c| c.signal as usize == k.n_public));
    let tiny = ProvingKey::parse("tiny.zkey", TINY_ZKEY.to_vec(), 1).unwrap();
    let tw = Witness::parse("tiny.wtns", include_bytes!("fixtures/tiny.wtns").to_vec()).unwrap();
    assert!(
        tw.check_for("tiny.wtns", &k).is_err(),
        "a witness of another circuit is refused"
    );
    tw.check_for("tiny.wtns", &tiny).unwrap();
}

/// The deterministic parts of a proof: with r = s = 0 the MSMs are exposed, and each equals the
/// naive sum over the key's points; r and s then shift π_A and π_B by r·δ₁ and s·δ₂.
#[test]
fn proof_parts_match_naive_sums() {
    let k = key();
    let w = Witness::parse("small.wtns", WTNS.to_vec()).unwrap();
    let prover = Prover::new(key(), 2);
    let (p0, _) = prover.prove_with(&w, Fr::ZERO, Fr::ZERO);
    let expect_a = msm_naive(&k.a, &w.values).add_affine(&k.alpha1);
    assert!(p0.a.to_jacobian().eq_point(&expect_a));
    let expect_b = msm_naive(&k.b2, &w.values).add_affine(&k.beta2);
    assert!(p0.b.to_jacobian().eq_point(&expect_b));
    let r = Fr::from_u64(12345);
    let s = Fr::from_u64(678);
    let (p1, _) = prover.prove_with(&w, r, s);
    let ra = p0.a.to_jacobian().add(&k.delta1.to_jacobian().mul_limbs(&r.to_plain()));
    assert!(p1.a.to_jacobian().eq_point(&ra));
    let sb = p0.b.to_jacobian().add(&k.delta2.to_jacobian().mul_limbs(&s.to_plain()));
    assert!(p1.b.to_jacobian().eq_point(&sb));
    // two fresh proofs of one witness differ
    let (q1, _) = prover.prove(&w).unwrap();
    let (q2, _) = prover.prove(&w).unwrap();
    assert_ne!(q1.a, q2.a);
    assert_ne!(q1.c, q2.c);
    assert!(!g1_generator().is_infinity());
}

/// Mutations of a real file: flipped bytes, overwritten counts and sizes, truncations, appended
/// bytes. Each must parse or fail with an error, within the time budget.
fn fuzz(label: &str, original: &[u8], cases: usize, seed: u64, parse: &dyn Fn(Vec<u8>) -> bool) {
    let mut rng = Rng::new(seed);
    let start = Instant::now();
    let mut refused = 0;
    for i in 0..cases {
        let mut d = original.to_vec();
        match i % 6 {
            0 => {
                for _ in 0..1 + rng.below(4) {
                    let at = rng.below(d.len() as u64) as usize;
                    d[at] ^= 1 << rng.below(8);
                }
            }
            1 => {
                // a u32 or u64 field near the start of a section header or count: large or zero
                let at = rng.below(d.len().min(4096) as u64 - 8) as usize;
                let v: u64 = match rng.below(4) {
                    0 => u64::MAX,
                    1 => 0,
                    2 => u32::MAX as u64,
                    _ => rng.next_u64(),
                };
                d[at..at + 8].copy_from_slice(&v.to_le_bytes());
            }
            2 => {
                let cut = rng.below(d.len() as u64) as usize;
                d.truncate(cut);
            }
            3 => {
                d.extend((0..1 + rng.below(64)).map(|_| rng.next_u64() as u8));
            }
            4 => {
                // overwrite a 32-byte coordinate or value with all ones (not below the prime)
                let at = rng.below(d.len() as u64 - 32) as usize;
                d[at..at + 32].fill(0xff);
            }
            _ => {
                // a duplicated slice: sections shifted against their headers
                let at = rng.below(d.len() as u64) as usize;
                let len = (rng.below(256) as usize).min(d.len() - at);
                let piece = d[at..at + len].to_vec();
                d.splice(at..at, piece);
            }
        }
        if !parse(d) {
            refused += 1;
        }
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "{label}: fuzzing took too long at case {i}"
        );
    }
    assert!(refused > cases / 2, "{label}: only {refused} of {cases} mutations refused");
}

#[test]
fn fuzz_zkey() {
    fuzz("zkey", ZKEY, 3000, 1, &|d| ProvingKey::parse("m.zkey", d, 1).is_ok());
}

#[test]
fn fuzz_wtns() {
    fuzz("wtns", WTNS, 3000, 2, &|d| Witness::parse("m.wtns", d).is_ok());
}

#[test]
fn lying_counts_are_named() {
    // nVars in the header (offset of section 2's data + 72) set to 2^32-1: refused by size, no allocation
    let k = ZKEY.to_vec();
    let hdr = find_section(&k, 2);
    let mut d = k.clone();
    d[hdr + 72..hdr + 76].copy_from_slice(&u32::MAX.to_le_bytes());
    let e = ProvingKey::parse("m.zkey", d, 1).expect_err("refused");
    assert!(e.to_string().starts_with("m.zkey: section "), "{e}");
    // the coefficient count says more entries than the section holds
    let coefs = find_section(&k, 4);
    let mut d = k.clone();
    d[coefs..coefs + 4].copy_from_slice(&(u32::MAX).to_le_bytes());
    let e = ProvingKey::parse("m.zkey", d, 1).expect_err("refused");
    assert!(e.to_string().contains("section 4 (coefficients)"), "{e}");
    // a prime that is not r in the witness
    let mut w = WTNS.to_vec();
    let h = find_section(&w, 1);
    w[h + 4] ^= 1;
    let e = Witness::parse("m.wtns", w).expect_err("refused");
    assert!(e.to_string().contains("prime"), "{e}");
}

fn find_section(d: &[u8], kind: u32) -> usize {
    let n = u32::from_le_bytes(d[8..12].try_into().unwrap());
    let mut pos = 12;
    for _ in 0..n {
        let k = u32::from_le_bytes(d[pos..pos + 4].try_into().unwrap());
        let size = u64::from_le_bytes(d[pos + 4..pos + 12].try_into().unwrap()) as usize;
        if k == kind {
            return pos + 12;
        }
        pos += 12 + size;
    }
    panic!("no section {kind}");
}

/// A B₂ point on the twist but outside G2: the batched check (the server's) and the exact one
/// (`check`) both refuse the key, the exact one naming the point.
#[test]
fn a_b2_point_outside_g2_is_found() {
    use zksolvency_prover::curve::{Affine, TWIST_B};
    use zksolvency_prover::field::{Fq, Fq2};
    let mut rng = Rng::new(77);
    let p = loop {
        let x = Fq2::new(Fq::from_u64(rng.next_u64()), Fq::from_u64(rng.next_u64()));
        if let Some(y) = zksolvency_prover::testutil::fq2_sqrt(&(x.square() * x + TWIST_B)) {
            break Affine { x, y };
        }
    };
    assert!(!zksolvency_prover::curve::g2_in_subgroup(&p));
    let mut d = ZKEY.to_vec();
    let at = find_section(&d, 7) + 5 * 128;
    for (i, c) in [p.x.c0, p.x.c1, p.y.c0, p.y.c1].iter().enumerate() {
        for (j, limb) in c.0.iter().enumerate() {
            d[at + 32 * i + 8 * j..at + 32 * i + 8 * j + 8].copy_from_slice(&limb.to_le_bytes());
        }
    }
    let k = ProvingKey::parse("m.zkey", d, 2).expect("on the curve: parses");
    let e = k.check_subgroups("m.zkey", 2).expect_err("batched check refuses");
    assert!(e.to_string().contains("point 5 is not in the G2 subgroup"), "{e}");
    assert!(k.check_subgroups_exact("m.zkey", 1).is_err());
    assert!(key().check_subgroups_exact("small.zkey", 2).is_ok());
}
