//! Number-theoretic transforms over Fr on the domain of 2^k-th roots of unity, with the roots
//! snarkjs uses (ffjavascript's `Fr.w[k]`), so evaluations line up with the zkey's H points.
//!
//! Radix-2, in place: bit-reversal, then log n butterfly stages. Stages whose blocks are smaller
//! than a thread's share run block-parallel; the larger ones split each block's butterflies.

use crate::field::{FieldOps, Fr};

/// Twiddles and scalings of one domain size, computed once per key.
pub struct Domain {
    pub power: u32,
    pub n: usize,
    /// ω^j for j < n/2, ω = Fr.w[power].
    roots: Vec<Fr>,
    /// ω^-j for j < n/2.
    inv_roots: Vec<Fr>,
    /// g^i / n for i < n, g = Fr.w[power + 1]: the inverse transform's scaling fused with the
    /// shift to the odd points of the 2n-domain.
    coset_scale: Vec<Fr>,
}

fn powers(base: Fr, count: usize, first: Fr) -> Vec<Fr> {
    let mut v = Vec::with_capacity(count);
    let mut x = first;
    for _ in 0..count {
        v.push(x);
        x *= base;
    }
    v
}

impl Domain {
    /// The domain of size 2^power (power ≥ 1, power + 1 ≤ 28).
    pub fn new(power: u32) -> Self {
        assert!((1..Fr::TWO_ADICITY).contains(&power));
        let n = 1usize << power;
        let w = Fr::root_of_unity(power);
        let g = Fr::root_of_unity(power + 1);
        let n_inv = Fr::from_u64(n as u64).inverse();
        Domain {
            power,
            n,
            roots: powers(w, n / 2, Fr::ONE),
            inv_roots: powers(w.inverse(), n / 2, Fr::ONE),
            coset_scale: powers(g, n, n_inv),
        }
    }

    /// Evaluations on the domain → evaluations on the shifted domain g·ω^i (the odd points of
    /// the 2n-domain): inverse transform, coefficient i times g^i/n, forward transform.
    pub fn to_odd_coset(&self, v: &mut [Fr], threads: usize) {
        assert_eq!(v.len(), self.n);
        transform(v, &self.inv_roots, threads);
        scale(v, &self.coset_scale, threads);
        transform(v, &self.roots, threads);
    }

    /// Forward transform (coefficients → evaluations at ω^i), natural order in and out.
    pub fn fft(&self, v: &mut [Fr], threads: usize) {
        transform(v, &self.roots, threads);
    }

    /// Inverse transform (evaluations → coefficients), natural order in and out.
    pub fn ifft(&self, v: &mut [Fr], threads: usize) {
        transform(v, &self.inv_roots, threads);
        let n_inv = Fr::from_u64(self.n as u64).inverse();
        for x in v.iter_mut() {
            *x *= n_inv;
        }
    }
}

fn scale(v: &mut [Fr], by: &[Fr], threads: usize) {
    if threads <= 1 || v.len() < 1 << 12 {
        v.iter_mut().zip(by).for_each(|(x, y)| *x *= *y);
        return;
    }
    let chunk = v.len().div_ceil(threads.max(1)).max(1);
    std::thread::scope(|s| {
        for (a, b) in v.chunks_mut(chunk).zip(by.chunks(chunk)) {
            s.spawn(move || {
                for (x, y) in a.iter_mut().zip(b) {
                    *x *= *y;
                }
            });
        }
    });
}

fn bit_reverse(v: &mut [Fr]) {
    let n = v.len();
    let bits = n.trailing_zeros();
    if bits == 0 {
        return;
    }
    for i in 0..n {
        let j = i.reverse_bits() >> (usize::BITS - bits);
        if i < j {
            v.swap(i, j);
        }
    }
}

/// Butterflies of one block of size 2·half, twiddle index stride `step`, for j in `range`.
#[inline(always)]
fn butterflies(lo: &mut [Fr], hi: &mut [Fr], roots: &[Fr], step: usize, j0: usize) {
    for (j, (a, b)) in lo.iter_mut().zip(hi.iter_mut()).enumerate() {
        let t = *b * roots[(j0 + j) * step];
        let u = *a;
        *a = u + t;
        *b = u - t;
    }
}

/// In-place radix-2 DIT transform with the twiddles `roots` (ω^j or ω^-j, j < n/2).
fn transform(v: &mut [Fr], roots: &[Fr], threads: usize) {
    let n = v.len();
    if n < 2 {
        return;
    }
    bit_reverse(v);
    // below 2^12 points a thread costs more than it saves
    let threads = if n < 1 << 12 { 1 } else { threads.max(1).min(n / 2) };
    let mut half = 1usize;
    while half < n {
        let block = 2 * half;
        let step = n / block;
        let blocks_per_thread = (n / block).div_ceil(threads);
        if threads == 1 || n / block >= threads {
            // whole blocks per thread
            std::thread::scope(|s| {
                for part in v.chunks_mut(blocks_per_thread * block) {
                    let work = move || {
                        let part = part;
                        for b in part.chunks_mut(block) {
                            let (lo, hi) = b.split_at_mut(half);
                            butterflies(lo, hi, roots, step, 0);
                        }
                    };
                    if threads == 1 {
                        work();
                    } else {
                        s.spawn(work);
                    }
                }
            });
        } else {
            // few large blocks: split each block's butterflies among threads
            let per = half.div_ceil(threads.div_ceil(n / block)).max(1);
            std::thread::scope(|s| {
                for b in v.chunks_mut(block) {
                    let (lo, hi) = b.split_at_mut(half);
                    for (k, (l, h)) in lo.chunks_mut(per).zip(hi.chunks_mut(per)).enumerate() {
                        s.spawn(move || butterflies(l, h, roots, step, k * per));
                    }
                }
            });
        }
        half = block;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::Rng;

    fn rand_fr(rng: &mut Rng) -> Fr {
        Fr::from_plain(rng.below_mod(&Fr::MODULUS)).unwrap()
    }

    fn naive_dft(coeffs: &[Fr], w: Fr) -> Vec<Fr> {
        let n = coeffs.len();
        (0..n)
            .map(|i| {
                let x = w.pow(&[i as u64]);
                let mut acc = Fr::ZERO;
                for c in coeffs.iter().rev() {
                    acc = acc * x + *c;
                }
                acc
            })
            .collect()
    }

    #[test]
    fn fft_matches_naive_dft() {
        let mut rng = Rng::new(9);
        for power in 1..=7u32 {
            let d = Domain::new(power);
            let coeffs: Vec<Fr> = (0..d.n).map(|_| rand_fr(&mut rng)).collect();
            let expect = naive_dft(&coeffs, Fr::root_of_unity(power));
            for threads in [1, 2, 3, 8] {
                let mut v = coeffs.clone();
                d.fft(&mut v, threads);
                assert_eq!(v, expect, "power {power} threads {threads}");
                d.ifft(&mut v, threads);
                assert_eq!(v, coeffs);
            }
        }
    }

    #[test]
    fn odd_coset_matches_naive_evaluation() {
        let mut rng = Rng::new(10);
        for power in [1u32, 3, 6, 10] {
            let d = Domain::new(power);
            let evals: Vec<Fr> = (0..d.n).map(|_| rand_fr(&mut rng)).collect();
            let mut coeffs = evals.clone();
            d.ifft(&mut coeffs, 1);
            let w = Fr::root_of_unity(power);
            let g = Fr::root_of_unity(power + 1);
            let mut v = evals.clone();
            d.to_odd_coset(&mut v, 2);
            for i in [0usize, 1, d.n / 2, d.n - 1] {
                let x = g * w.pow(&[i as u64]);
                let mut acc = Fr::ZERO;
                for c in coeffs.iter().rev() {
                    acc = acc * x + *c;
                }
                assert_eq!(v[i], acc, "power {power} i {i}");
            }
        }
    }
}
