pragma circom 2.1.0;

include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";

// Small arithmetic gadgets with explicit bounds. Every comparison in zksolvency goes through a
// Num2Bits of a value that is *known* to be bounded, because circomlib's LessThan(n) is only sound
// for n-bit inputs and a bare `x >= 0` means nothing in a prime field.

// SignedRange(n): `in` is a field element that must encode an integer in [-2^n, 2^n).
// Proves the bound through Num2Bits(n+1) of in + 2^n (an offset, as StarkEx does for signed
// totals) and returns the sign and the absolute value.
template SignedRange(n) {
    assert(n <= 250);
    signal input in;          // signed value, field-encoded (negative x is r - |x|)
    signal output nonNeg;     // 1 iff in >= 0 (as an integer)
    signal output abs;        // |in|, in [0, 2^n]

    component bits = Num2Bits(n + 1);
    bits.in <== in + (1 << n);
    nonNeg <== bits.out[n];
    abs <== in * (2 * nonNeg - 1);
}

// PositivePart(n): max(0, in) for an `in` known to lie in [-2^n, 2^n).
// NOTE: the caller must guarantee that bound; the template only checks it via SignedRange.
template PositivePart(n) {
    signal input in;          // signed value with |in| < 2^n
    signal output out;        // max(0, in)

    component sr = SignedRange(n);
    sr.in <== in;
    out <== sr.nonNeg * in;
}

// Boolean(): constrains `in` to {0, 1}.
template Boolean() {
    signal input in;          // must be 0 or 1
    in * (in - 1) === 0;
}
