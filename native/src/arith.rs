//! 4×64-bit limb arithmetic: Montgomery multiplication (portable u128 and x86_64 BMI2+ADX
//! assembly), and the backend switch.
//!
//! Both moduli (BN254's q and r) are below 2^254, so the "no final carry" CIOS variant applies:
//! with inputs below the modulus every intermediate fits in 4 limbs plus one, and the result
//! needs at most one conditional subtraction.

use std::sync::atomic::{AtomicU8, Ordering};

/// A modulus with its Montgomery constant `inv = -m^{-1} mod 2^64`, laid out for the assembly
/// (limbs at offsets 0..32, `inv` at 32).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct MontParams {
    pub m: [u64; 4],
    pub inv: u64,
}

const BACKEND_UNSET: u8 = 0;
const BACKEND_ASM: u8 = 1;
const BACKEND_PORTABLE: u8 = 2;

static BACKEND: AtomicU8 = AtomicU8::new(BACKEND_UNSET);

/// Environment variable that forces the portable (u128) arithmetic when set to anything but
/// "" or "0".
pub const ENV_FORCE_PORTABLE: &str = "ZKSOLVENCY_PROVER_PORTABLE";

/// Whether this CPU can run the BMI2+ADX assembly.
pub fn cpu_has_adx() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("bmi2") && std::arch::is_x86_feature_detected!("adx")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

#[cold]
#[inline(never)]
fn init_backend() -> u8 {
    let forced = std::env::var_os(ENV_FORCE_PORTABLE)
        .map(|v| !v.is_empty() && v != "0")
        .unwrap_or(false);
    let b = if !forced && cpu_has_adx() {
        BACKEND_ASM
    } else {
        BACKEND_PORTABLE
    };
    match BACKEND.compare_exchange(BACKEND_UNSET, b, Ordering::Relaxed, Ordering::Relaxed) {
        Ok(_) => b,
        Err(existing) => existing,
    }
}

#[inline(always)]
fn use_asm() -> bool {
    match BACKEND.load(Ordering::Relaxed) {
        BACKEND_ASM => true,
        BACKEND_PORTABLE => false,
        _ => init_backend() == BACKEND_ASM,
    }
}

/// Use the portable arithmetic from now on, for the whole process.
pub fn force_portable() {
    BACKEND.store(BACKEND_PORTABLE, Ordering::Relaxed);
}

/// Use the assembly if the CPU has BMI2+ADX (returns false and keeps the portable path if not).
pub fn select_asm_if_available() -> bool {
    if cpu_has_adx() {
        BACKEND.store(BACKEND_ASM, Ordering::Relaxed);
        true
    } else {
        BACKEND.store(BACKEND_PORTABLE, Ordering::Relaxed);
        false
    }
}

/// "asm-bmi2-adx" or "portable-u128": what multiplications use now.
pub fn backend_name() -> &'static str {
    if use_asm() {
        "asm-bmi2-adx"
    } else {
        "portable-u128"
    }
}

#[inline(always)]
pub const fn adc(a: u64, b: u64, carry: u64) -> (u64, u64) {
    let t = (a as u128) + (b as u128) + (carry as u128);
    (t as u64, (t >> 64) as u64)
}

#[inline(always)]
pub const fn sbb(a: u64, b: u64, borrow: u64) -> (u64, u64) {
    let t = (a as u128).wrapping_sub((b as u128) + ((borrow >> 63) as u128));
    (t as u64, (t >> 64) as u64)
}

#[inline(always)]
pub const fn mac(a: u64, b: u64, c: u64, carry: u64) -> (u64, u64) {
    let t = (a as u128) + (b as u128) * (c as u128) + (carry as u128);
    (t as u64, (t >> 64) as u64)
}

/// a + b over 4 limbs, with the carry out.
#[inline(always)]
pub const fn add4(a: &[u64; 4], b: &[u64; 4]) -> ([u64; 4], u64) {
    let (r0, c) = adc(a[0], b[0], 0);
    let (r1, c) = adc(a[1], b[1], c);
    let (r2, c) = adc(a[2], b[2], c);
    let (r3, c) = adc(a[3], b[3], c);
    ([r0, r1, r2, r3], c)
}

/// a - b over 4 limbs; the borrow out is all ones if a < b, else 0.
#[inline(always)]
pub const fn sub4(a: &[u64; 4], b: &[u64; 4]) -> ([u64; 4], u64) {
    let (r0, br) = sbb(a[0], b[0], 0);
    let (r1, br) = sbb(a[1], b[1], br);
    let (r2, br) = sbb(a[2], b[2], br);
    let (r3, br) = sbb(a[3], b[3], br);
    ([r0, r1, r2, r3], br)
}

/// a < b as 256-bit integers.
#[inline(always)]
pub const fn lt4(a: &[u64; 4], b: &[u64; 4]) -> bool {
    sub4(a, b).1 != 0
}

/// (a + b) mod m for a, b < m < 2^255.
#[inline(always)]
pub fn add_mod(a: &[u64; 4], b: &[u64; 4], m: &[u64; 4]) -> [u64; 4] {
    let (s, _) = add4(a, b);
    let (d, br) = sub4(&s, m);
    // br == 0 means s >= m: take d
    let mask = br; // all ones when s < m
    [
        (s[0] & mask) | (d[0] & !mask),
        (s[1] & mask) | (d[1] & !mask),
        (s[2] & mask) | (d[2] & !mask),
        (s[3] & mask) | (d[3] & !mask),
    ]
}

/// (a - b) mod m for a, b < m.
#[inline(always)]
pub fn sub_mod(a: &[u64; 4], b: &[u64; 4], m: &[u64; 4]) -> [u64; 4] {
    let (d, br) = sub4(a, b);
    let mm = [m[0] & br, m[1] & br, m[2] & br, m[3] & br];
    add4(&d, &mm).0
}

/// Portable Montgomery product a·b·2^-256 mod m (a, b < m, m < 2^254), fully reduced.
#[inline(always)]
pub const fn mont_mul_portable(a: &[u64; 4], b: &[u64; 4], p: &MontParams) -> [u64; 4] {
    let m = &p.m;
    let mut t = [0u64; 4];
    let mut i = 0;
    while i < 4 {
        let bi = b[i];
        let (t0, mut ca) = mac(t[0], a[0], bi, 0);
        let k = t0.wrapping_mul(p.inv);
        let (_, mut cc) = mac(t0, k, m[0], 0);
        let mut j = 1;
        while j < 4 {
            let (tj, ca2) = mac(t[j], a[j], bi, ca);
            ca = ca2;
            let (tj1, cc2) = mac(tj, k, m[j], cc);
            cc = cc2;
            t[j - 1] = tj1;
            j += 1;
        }
        t[3] = cc.wrapping_add(ca);
        i += 1;
    }
    let (d, br) = sub4(&t, m);
    if br == 0 {
        d
    } else {
        t
    }
}

/// Montgomery product with mulx/adcx/adox. Caller guarantees BMI2+ADX.
///
/// # Safety
/// The CPU must support BMI2 and ADX.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub unsafe fn mont_mul_asm(a: &[u64; 4], b: &[u64; 4], p: &MontParams) -> [u64; 4] {
    let r0: u64;
    let r1: u64;
    let r2: u64;
    let r3: u64;
    let r4: u64;
    // One reduction step on accumulator (t0..t4) -> (t1..t4) with m = t0*inv.
    macro_rules! reduce {
        ($t0:literal, $t1:literal, $t2:literal, $t3:literal, $t4:literal) => {
            concat!(
                "mov rdx, {",
                $t0,
                "}\n",
                "imul rdx, qword ptr [{m} + 32]\n",
                "xor {z:e}, {z:e}\n",
                "mulx {hi}, {lo}, qword ptr [{m}]\n",
                "adox {lo}, {",
                $t0,
                "}\n",
                "adcx {",
                $t1,
                "}, {hi}\n",
                "mulx {hi}, {lo}, qword ptr [{m} + 8]\n",
                "adox {",
                $t1,
                "}, {lo}\n",
                "adcx {",
                $t2,
                "}, {hi}\n",
                "mulx {hi}, {lo}, qword ptr [{m} + 16]\n",
                "adox {",
                $t2,
                "}, {lo}\n",
                "adcx {",
                $t3,
                "}, {hi}\n",
                "mulx {hi}, {lo}, qword ptr [{m} + 24]\n",
                "adox {",
                $t3,
                "}, {lo}\n",
                "adcx {",
                $t4,
                "}, {hi}\n",
                "adox {",
                $t4,
                "}, {z}\n",
            )
        };
    }
    // t (t0..t3) += a * b[off]; the new top limb goes to t4.
    macro_rules! muladd {
        ($off:literal, $t0:literal, $t1:literal, $t2:literal, $t3:literal, $t4:literal) => {
            concat!(
                "mov rdx, qword ptr [{b} + ",
                $off,
                "]\n",
                "xor {z:e}, {z:e}\n",
                "mulx {hi}, {lo}, qword ptr [{a}]\n",
                "adox {",
                $t0,
                "}, {lo}\n",
                "adcx {",
                $t1,
                "}, {hi}\n",
                "mulx {hi}, {lo}, qword ptr [{a} + 8]\n",
                "adox {",
                $t1,
                "}, {lo}\n",
                "adcx {",
                $t2,
                "}, {hi}\n",
                "mulx {hi}, {lo}, qword ptr [{a} + 16]\n",
                "adox {",
                $t2,
                "}, {lo}\n",
                "adcx {",
                $t3,
                "}, {hi}\n",
                "mulx {",
                $t4,
                "}, {lo}, qword ptr [{a} + 24]\n",
                "adox {",
                $t3,
                "}, {lo}\n",
                "adcx {",
                $t4,
                "}, {z}\n",
                "adox {",
                $t4,
                "}, {z}\n",
            )
        };
    }
    core::arch::asm!(
        // round 0: (r0..r4) = a * b[0]
        "mov rdx, qword ptr [{b}]",
        "mulx {r1}, {r0}, qword ptr [{a}]",
        "mulx {r2}, {lo}, qword ptr [{a} + 8]",
        "add {r1}, {lo}",
        "mulx {r3}, {hi}, qword ptr [{a} + 16]",
        "adc {r2}, {hi}",
        "mulx {r4}, {lo}, qword ptr [{a} + 24]",
        "adc {r3}, {lo}",
        "adc {r4}, 0",
        reduce!("r0", "r1", "r2", "r3", "r4"),
        // round 1: t = (r1, r2, r3, r4), new top in r0
        muladd!("8", "r1", "r2", "r3", "r4", "r0"),
        reduce!("r1", "r2", "r3", "r4", "r0"),
        // round 2: t = (r2, r3, r4, r0), new top in r1
        muladd!("16", "r2", "r3", "r4", "r0", "r1"),
        reduce!("r2", "r3", "r4", "r0", "r1"),
        // round 3: t = (r3, r4, r0, r1), new top in r2
        muladd!("24", "r3", "r4", "r0", "r1", "r2"),
        reduce!("r3", "r4", "r0", "r1", "r2"),
        // result (r4, r0, r1, r2); conditional subtraction of m
        "mov {lo}, {r4}",
        "sub {lo}, qword ptr [{m}]",
        "mov {hi}, {r0}",
        "sbb {hi}, qword ptr [{m} + 8]",
        "mov {z}, {r1}",
        "sbb {z}, qword ptr [{m} + 16]",
        "mov rdx, {r2}",
        "sbb rdx, qword ptr [{m} + 24]",
        "cmovnc {r4}, {lo}",
        "cmovnc {r0}, {hi}",
        "cmovnc {r1}, {z}",
        "cmovnc {r2}, rdx",
        a = in(reg) a.as_ptr(),
        b = in(reg) b.as_ptr(),
        m = in(reg) p as *const MontParams,
        r0 = out(reg) r0,
        r1 = out(reg) r1,
        r2 = out(reg) r2,
        r3 = out(reg) r3,
        r4 = out(reg) r4,
        lo = out(reg) _,
        hi = out(reg) _,
        z = out(reg) _,
        out("rdx") _,
        options(pure, readonly, nostack),
    );
    let _ = r3;
    [r4, r0, r1, r2]
}

/// Montgomery product a·b·2^-256 mod m, on the selected backend.
#[inline(always)]
pub fn mont_mul(a: &[u64; 4], b: &[u64; 4], p: &MontParams) -> [u64; 4] {
    #[cfg(target_arch = "x86_64")]
    {
        if use_asm() {
            // SAFETY: use_asm() is true only when the CPU has BMI2 and ADX.
            return unsafe { mont_mul_asm(a, b, p) };
        }
    }
    mont_mul_portable(a, b, p)
}

/// Parse a big-endian hex string (optionally with 0x) into 4 little-endian limbs; const.
pub const fn hex_to_limbs(s: &str) -> [u64; 4] {
    let b = s.as_bytes();
    let mut start = 0;
    if b.len() >= 2 && b[0] == b'0' && (b[1] == b'x' || b[1] == b'X') {
        start = 2;
    }
    let mut out = [0u64; 4];
    let mut i = b.len();
    let mut nib = 0usize;
    while i > start {
        i -= 1;
        let c = b[i];
        let v = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => panic!("bad hex digit"),
        } as u64;
        if nib >= 64 {
            panic!("hex constant too long");
        }
        out[nib / 16] |= v << ((nib % 16) * 4);
        nib += 1;
    }
    out
}

/// Limbs as 64 hex digits (big-endian, no prefix).
pub fn limbs_to_hex(a: &[u64; 4]) -> String {
    format!("{:016x}{:016x}{:016x}{:016x}", a[3], a[2], a[1], a[0])
}

/// Limbs as a decimal string.
pub fn limbs_to_decimal(a: &[u64; 4]) -> String {
    let mut v = *a;
    if v == [0; 4] {
        return "0".to_string();
    }
    let mut chunks: Vec<u64> = Vec::new();
    const D: u64 = 10_000_000_000_000_000_000; // 10^19
    while v != [0; 4] {
        let mut rem: u128 = 0;
        for i in (0..4).rev() {
            let cur = (rem << 64) | v[i] as u128;
            v[i] = (cur / D as u128) as u64;
            rem = cur % D as u128;
        }
        chunks.push(rem as u64);
    }
    let mut s = format!("{}", chunks[chunks.len() - 1]);
    for c in chunks.iter().rev().skip(1) {
        s.push_str(&format!("{:019}", c));
    }
    s
}

/// Parse a decimal string (digits only) to limbs; None on overflow or bad digit.
pub fn decimal_to_limbs(s: &str) -> Option<[u64; 4]> {
    if s.is_empty() || s.len() > 80 {
        return None;
    }
    let mut v = [0u64; 4];
    for c in s.bytes() {
        if !c.is_ascii_digit() {
            return None;
        }
        // v = v*10 + d
        let mut carry = (c - b'0') as u64;
        for limb in v.iter_mut() {
            let t = (*limb as u128) * 10 + carry as u128;
            *limb = t as u64;
            carry = (t >> 64) as u64;
        }
        if carry != 0 {
            return None;
        }
    }
    Some(v)
}

/// Little-endian bytes to limbs.
#[inline]
pub fn limbs_from_le_bytes(b: &[u8]) -> [u64; 4] {
    let mut out = [0u64; 4];
    for (i, o) in out.iter_mut().enumerate() {
        let mut w = [0u8; 8];
        w.copy_from_slice(&b[i * 8..i * 8 + 8]);
        *o = u64::from_le_bytes(w);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimal_roundtrip() {
        let v = [0x0123456789abcdef, 0xfedcba9876543210, 0x1111, 0x3064];
        let s = limbs_to_decimal(&v);
        assert_eq!(decimal_to_limbs(&s), Some(v));
        assert_eq!(limbs_to_decimal(&[0; 4]), "0");
        assert_eq!(
            limbs_to_decimal(&[10_000_000_000_000_000_000, 0, 0, 0]),
            "10000000000000000000"
        );
        assert_eq!(decimal_to_limbs("18446744073709551616"), Some([0, 1, 0, 0]));
    }

    #[test]
    fn hex_parse() {
        assert_eq!(hex_to_limbs("0x10000000000000000"), [0, 1, 0, 0]);
        assert_eq!(limbs_to_hex(&hex_to_limbs("0xab")), format!("{:064x}", 0xab));
    }
}
