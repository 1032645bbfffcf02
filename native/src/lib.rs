//! Native Groth16 prover for BN254, compatible with snarkjs `.zkey` / `.wtns` files.
//!
//! Standard library only. Layers, bottom up: [`arith`] (4×64-bit Montgomery multiplication,
//! portable and BMI2/ADX assembly), [`field`] (Fq, Fr, Fq2), [`curve`] (G1, G2), [`glv`] and
//! [`msm`] (Pippenger with the endomorphism and batch-affine buckets), [`ntt`], the file formats
//! ([`binfile`], [`zkey`]), [`rng`] (OS randomness) and [`groth16`] (the prover).

pub mod arith;
pub mod binfile;
pub mod curve;
pub mod field;
pub mod glv;
pub mod groth16;
pub mod json;
pub mod msm;
pub mod ntt;
pub mod rng;
#[doc(hidden)]
pub mod testutil;
pub mod zkey;

/// The crate version, as `--version` prints it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
