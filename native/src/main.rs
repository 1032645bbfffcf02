//! `zksolvency-prover`: Groth16 proofs for BN254 from snarkjs `.zkey` and `.wtns` files.
//!
//! ```text
//! zksolvency-prover --version
//! zksolvency-prover prove ZKEY WTNS PROOF_JSON PUBLIC_JSON [--timings]   one proof (rapidsnark's form)
//! zksolvency-prover serve ZKEY                                          many proofs, key loaded once
//! zksolvency-prover check ZKEY                                          every check, subgroups included
//! ```
//!
//! Exit codes: 0 done; 2 a malformed or inconsistent input file, or bad usage (one line on stderr
//! naming the file and the part); 1 anything else (an output that cannot be written, no OS
//! randomness). `serve` prints one JSON line when the key is loaded and checked
//! (`{"ok": true, ...}`), then answers each request line `{"wtns": P, "proof": P, "public": P}`
//! with `{"ok": true, "timings": {...}}` or `{"ok": false, "error": "..."}`.

use std::io::{BufRead, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;
use zksolvency_prover::binfile::FormatError;
use zksolvency_prover::groth16::{proof_json, public_json, Prover};
use zksolvency_prover::json::{escape, parse_flat_object};
use zksolvency_prover::msm::default_threads;
use zksolvency_prover::zkey::{ProvingKey, Witness};
use zksolvency_prover::{arith, VERSION};

const USAGE: &str =
    "usage: zksolvency-prover prove ZKEY WTNS PROOF_JSON PUBLIC_JSON [--timings] | serve ZKEY | check ZKEY | --version";

enum Failure {
    /// Bad input: exit 2.
    Input(String),
    /// Anything else: exit 1.
    Other(String),
}

impl From<FormatError> for Failure {
    fn from(e: FormatError) -> Self {
        Failure::Input(e.to_string())
    }
}

/// Write `text` to `path` through a temporary file in the same folder, renamed into place: a
/// reader never sees a partial file.
fn write_atomic(path: &str, text: &str) -> std::io::Result<()> {
    let p = Path::new(path);
    let name = p.file_name().ok_or_else(|| std::io::Error::other("not a file path"))?;
    let tmp = p.with_file_name(format!(".{}.{}.tmp", name.to_string_lossy(), std::process::id()));
    let res = (|| {
        let mut f = std::fs::File::create(&tmp)?;
        f.write_all(text.as_bytes())?;
        f.sync_all()?;
        std::fs::rename(&tmp, p)
    })();
    if res.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    res
}

/// Prove one witness with a loaded key and write both outputs; the timings as JSON.
fn prove_one(prover: &Prover, wtns: &str, proof: &str, public: &str) -> Result<String, Failure> {
    let t = Instant::now();
    let w = Witness::load_for(wtns, &prover.key)?;
    w.check_for(wtns, &prover.key)?;
    let read_ms = t.elapsed().as_secs_f64() * 1e3;
    let (p, tm) = prover
        .prove(&w)
        .map_err(|e| Failure::Other(format!("no randomness from the operating system: {e}")))?;
    let signals = prover.public_signals(&w);
    write_atomic(proof, &proof_json(&p)).map_err(|e| Failure::Other(format!("{proof}: cannot be written: {e}")))?;
    write_atomic(public, &public_json(&signals)).map_err(|e| {
        let _ = std::fs::remove_file(proof);
        Failure::Other(format!("{public}: cannot be written: {e}"))
    })?;
    let tj = tm.to_json();
    Ok(format!("{{\"wtns_ms\":{read_ms:.2},{}", &tj[1..]))
}

fn cmd_prove(args: &[String]) -> Result<(), Failure> {
    let timings = args.iter().any(|a| a == "--timings");
    let pos: Vec<&String> = args.iter().filter(|a| *a != "--timings").collect();
    let [zkey, wtns, proof, public] = pos.as_slice() else {
        return Err(Failure::Input(USAGE.into()));
    };
    let threads = default_threads();
    let key = ProvingKey::load(zkey, threads)?;
    let load_ms = key.load_ms;
    if Path::new(proof.as_str()) == Path::new(public.as_str()) {
        return Err(Failure::Input(format!(
            "{proof}: PROOF_JSON and PUBLIC_JSON are the same file"
        )));
    }
    let prover = Prover::new(key, threads);
    let tj = prove_one(&prover, wtns, proof, public)?;
    if timings {
        eprintln!(
            "{{\"zkey_ms\":{load_ms:.2},\"threads\":{threads},\"backend\":\"{}\",{}",
            arith::backend_name(),
            &tj[1..]
        );
    }
    Ok(())
}

fn cmd_check(args: &[String]) -> Result<(), Failure> {
    let [zkey] = args else {
        return Err(Failure::Input(USAGE.into()));
    };
    let threads = default_threads();
    let key = ProvingKey::load(zkey, threads)?;
    key.check_subgroups_exact(zkey, threads)?;
    println!(
        "{zkey}: Groth16 key, {} signals ({} public), domain 2^{}: every point checked",
        key.n_vars, key.n_public, key.power
    );
    Ok(())
}

fn reply(out: &mut impl Write, line: &str) -> bool {
    writeln!(out, "{line}").and_then(|_| out.flush()).is_ok()
}

fn cmd_serve(args: &[String]) -> Result<(), Failure> {
    let [zkey] = args else {
        return Err(Failure::Input(USAGE.into()));
    };
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let threads = default_threads();
    let loaded = ProvingKey::load(zkey, threads).and_then(|k| {
        let t = Instant::now();
        k.check_subgroups(zkey, threads)?;
        Ok((k, t.elapsed().as_secs_f64() * 1e3))
    });
    let (key, check_ms) = match loaded {
        Ok(v) => v,
        Err(e) => {
            reply(&mut out, &format!("{{\"ok\":false,\"error\":{}}}", escape(&e.to_string())));
            return Err(e.into());
        }
    };
    let ready = format!(
        "{{\"ok\":true,\"version\":\"{VERSION}\",\"backend\":\"{}\",\"threads\":{threads},\"n_vars\":{},\"n_public\":{},\"domain\":{},\"load_ms\":{:.2},\"check_ms\":{check_ms:.2}}}",
        arith::backend_name(),
        key.n_vars,
        key.n_public,
        key.domain_size,
        key.load_ms
    );
    let prover = Prover::new(key, threads);
    if !reply(&mut out, &ready) {
        return Ok(());
    }
    let mut input = std::io::stdin().lock();
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match input.read_until(b'\n', &mut buf) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        let Ok(line) = std::str::from_utf8(&buf) else {
            if !reply(&mut out, "{\"ok\":false,\"error\":\"bad request: not UTF-8\"}") {
                break;
            }
            continue;
        };
        let line = line.trim_end_matches(['\n', '\r']);
        if line.trim().is_empty() {
            continue;
        }
        let answer = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| serve_request(&prover, line)))
            .unwrap_or_else(|_| Err("internal error (panic) while proving".to_string()));
        let text = match answer {
            Ok(tj) => format!("{{\"ok\":true,\"timings\":{tj}}}"),
            Err(e) => format!("{{\"ok\":false,\"error\":{}}}", escape(&e)),
        };
        if !reply(&mut out, &text) {
            break;
        }
    }
    Ok(())
}

fn serve_request(prover: &Prover, line: &str) -> Result<String, String> {
    let req = parse_flat_object(line).map_err(|e| format!("bad request: {e}"))?;
    let get = |k: &str| req.iter().find(|(x, _)| x == k).map(|(_, v)| v.as_str());
    if let Some((k, _)) = req.iter().find(|(k, _)| !matches!(k.as_str(), "wtns" | "proof" | "public")) {
        return Err(format!("bad request: unknown key {k:?}"));
    }
    let (Some(w), Some(p), Some(q)) = (get("wtns"), get("proof"), get("public")) else {
        return Err("bad request: wtns, proof and public are required".into());
    };
    prove_one(prover, w, p, q).map_err(|e| match e {
        Failure::Input(m) | Failure::Other(m) => m,
    })
}

/// `vectors SEED COUNT`: arithmetic on deterministic pseudo-random inputs, one JSON line per case
/// (inputs and results as decimals), so the test suite can recompute each with the Python BN254
/// code, on the assembly and the portable backends (`ZKSOLVENCY_PROVER_PORTABLE=1`).
fn cmd_vectors(args: &[String]) -> Result<(), Failure> {
    use zksolvency_prover::curve::{g1_generator, g2_generator, Affine};
    use zksolvency_prover::field::{FieldOps, Fq, Fq2, Fr};
    use zksolvency_prover::msm::{msm_glv, GlvScalars, MsmOptions};
    use zksolvency_prover::testutil::Rng;
    let (Some(seed), Some(count)) = (
        args.first().and_then(|a| a.parse().ok()),
        args.get(1).and_then(|a| a.parse::<usize>().ok()),
    ) else {
        return Err(Failure::Input("usage: zksolvency-prover vectors SEED COUNT".into()));
    };
    let mut rng = Rng::new(seed);
    let fq = |rng: &mut Rng| Fq::from_plain(rng.below_mod(&Fq::MODULUS)).unwrap_or(Fq::ONE);
    let fr = |rng: &mut Rng| Fr::from_plain(rng.below_mod(&Fr::MODULUS)).unwrap_or(Fr::ONE);
    let d = |x: &Fq| format!("\"{}\"", x.to_decimal());
    let d2 = |x: &Fq2| format!("[{},{}]", d(&x.c0), d(&x.c1));
    let g1 = |p: &Affine<Fq>| format!("[{},{}]", d(&p.x), d(&p.y));
    let g2 = |p: &Affine<Fq2>| format!("[{},{}]", d2(&p.x), d2(&p.y));
    for _ in 0..count {
        let (a, b) = (fq(&mut rng), fq(&mut rng));
        let (x, y) = (Fq2::new(fq(&mut rng), fq(&mut rng)), Fq2::new(fq(&mut rng), fq(&mut rng)));
        let (u, v) = (fr(&mut rng), fr(&mut rng));
        let ks: Vec<Fr> = (0..3).map(|_| fr(&mut rng)).collect();
        let pts: Vec<Affine<Fq>> = (0..3u64)
            .map(|i| g1_generator().to_jacobian().mul_limbs(&[i + 2]).to_affine())
            .collect();
        let plain: Vec<[u64; 4]> = ks.iter().map(|k| k.to_plain()).collect();
        let (m, _) = msm_glv(
            &pts,
            &GlvScalars::new(&plain, 1),
            0,
            &MsmOptions {
                window: Some(3),
                threads: 1,
            },
            false,
        );
        let pts2: Vec<Affine<Fq2>> = (0..3u64)
            .map(|i| g2_generator().to_jacobian().mul_limbs(&[i + 2]).to_affine())
            .collect();
        let (m2, _) = msm_glv(
            &pts2,
            &GlvScalars::new(&plain, 1),
            0,
            &MsmOptions {
                window: Some(3),
                threads: 1,
            },
            true,
        );
        let k = &ks[0];
        println!(
            "{{\"backend\":\"{}\",\"a\":{},\"b\":{},\"fq_mul\":{},\"fq_inv\":{},\"x\":{},\"y\":{},\"fq2_mul\":{},\"fq2_inv\":{},\"u\":\"{}\",\"v\":\"{}\",\"fr_mul\":\"{}\",\"k\":[{}],\"g1_k\":{},\"g2_k\":{},\"g1_msm\":{},\"g2_msm\":{}}}",
            arith::backend_name(),
            d(&a),
            d(&b),
            d(&(a * b)),
            d(&a.inverse()),
            d2(&x),
            d2(&y),
            d2(&(x * y)),
            d2(&x.inverse()),
            u.to_decimal(),
            v.to_decimal(),
            (u * v).to_decimal(),
            ks.iter().map(|k| format!("\"{}\"", k.to_decimal())).collect::<Vec<_>>().join(","),
            g1(&g1_generator().to_jacobian().mul_limbs(&k.to_plain()).to_affine()),
            g2(&g2_generator().to_jacobian().mul_limbs(&k.to_plain()).to_affine()),
            g1(&m.to_affine()),
            g2(&m2.to_affine()),
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    std::panic::set_hook(Box::new(|info| {
        let msg = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned());
        eprintln!("zksolvency-prover: internal error: {}", msg.unwrap_or_else(|| "panic".into()));
    }));
    let args: Vec<String> = match std::env::args_os()
        .skip(1)
        .map(|a| a.into_string())
        .collect::<Result<Vec<_>, _>>()
    {
        Ok(a) => a,
        Err(a) => {
            eprintln!("{}: an argument is not UTF-8", a.to_string_lossy());
            return ExitCode::from(2);
        }
    };
    let result = match args.first().map(String::as_str) {
        Some("--version") | Some("-V") => {
            println!(
                "zksolvency-prover {VERSION} ({}, {} threads)",
                arith::backend_name(),
                default_threads()
            );
            Ok(())
        }
        Some("prove") => cmd_prove(&args[1..]),
        Some("serve") => cmd_serve(&args[1..]),
        Some("check") => cmd_check(&args[1..]),
        Some("vectors") => cmd_vectors(&args[1..]),
        _ => Err(Failure::Input(USAGE.into())),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Input(m)) => {
            eprintln!("{m}");
            ExitCode::from(2)
        }
        Err(Failure::Other(m)) => {
            eprintln!("{m}");
            ExitCode::from(1)
        }
    }
}
