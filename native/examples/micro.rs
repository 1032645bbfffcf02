//! Micro-benchmarks of the building blocks (field multiplication, MSM on random points):
//! `cargo run --release --offline --example micro [N]`.
use std::time::Instant;
use zksolvency_prover::curve::*;
use zksolvency_prover::field::*;
use zksolvency_prover::msm::*;
use zksolvency_prover::testutil::Rng;

fn main() {
    let n: usize = std::env::args().nth(1).and_then(|s| s.parse().ok()).unwrap_or(1 << 16);
    let mut a = Fq::from_u64(3);
    let b = Fq::from_u64(5);
    let t = Instant::now();
    for _ in 0..10_000_000 {
        a *= b;
    }
    println!("fq mul latency {:.2} ns ({})", t.elapsed().as_secs_f64() * 1e8, a.0[0] & 1);
    let mut xs: Vec<Fq> = (0..1024).map(|i| Fq::from_u64(i + 7)).collect();
    let t = Instant::now();
    for _ in 0..10_000 {
        for x in xs.iter_mut() {
            *x *= b;
        }
    }
    println!(
        "fq mul throughput {:.2} ns ({})",
        t.elapsed().as_secs_f64() * 1e9 / 1024e4,
        xs[3].0[0] & 1
    );
    let mut rng = Rng::new(1);
    let g = g1_generator().to_jacobian();
    let mut p = g.mul_limbs(&[rng.next_u64(), 7]);
    let step = g.mul_limbs(&[rng.next_u64()]);
    let mut pts = Vec::with_capacity(n);
    for _ in 0..n {
        p = p.add(&step);
        pts.push(p);
    }
    let pts: Vec<G1Affine> = pts.iter().map(|p| p.to_affine()).collect();
    let sc: Vec<[u64; 4]> = (0..n).map(|_| rng.below_mod(&Fr::MODULUS)).collect();
    let gs = GlvScalars::new(&sc, 1);
    for threads in [1usize, 2] {
        for w in [None, Some(11), Some(12), Some(14), Some(15), Some(16)] {
            let (_r, st) = msm_glv(&pts, &gs, 0, &MsmOptions { window: w, threads }, false);
            println!(
                "G1 n={n} threads={threads} window={} {:.1} ms (reduce {:.1} running {:.1})",
                st.window, st.total_ms, st.reduce_ms, st.running_ms
            );
        }
    }
}
