pragma circom 2.1.0;

include "circomlib/circuits/poseidon.circom";

// Hashes of market records, identical to zkcore/commitment.py.
//
// instrument leaf = Poseidon(id, mark, scenarioHash, nTiers, f0, r0, d0, f1, r1, d1, f2, r2, d2, f3, r3, d3)
//                   then, while the instrument has more tiers, h = Poseidon(h, next 5 tiers)
//   (tiers zero-padded: 4 in the head, 5 per further chunk; nTiers makes the padding canonical)
//   scenarioHash  = Poseidon(v_0..v_15), then Poseidon(h, next 15) per further chunk   (0 if no array)
// collateral leaf = Poseidon(asset, price, haircut)
//
// Why this shape: one 16-wide Poseidon costs 609 constraints against 297 for a 4-wide one, so
// absorbing the whole record in 16-wide chunks (1,218 constraints per position at T=4, S=16)
// costs less than a tier chain plus a risk-array hash plus a leaf hash (2,094). The layout
// does not depend on the circuit's T: a circuit with fewer tier slots hashes zeros where the record
// has none, and refuses (hash mismatch) an instrument with more tiers than it holds.
//
// Market values are NOT range-checked here: marketRoot binds them to the market the oracle
// published, and `zksolvency market-root` refuses any market outside SPEC §1. The bounds the
// solvency circuit relies on (prices, floors, rates, deductions, risk arrays) therefore hold for
// every root published through zksolvency; an oracle that publishes the root of an unvalidated
// market is outside the threat model (it could mis-price every account anyway).

// InstrumentLeaf(S, T): the instrument's leaf from its whole record.
template InstrumentLeaf(S, T) {
    assert(T >= 1 && T <= 64);
    signal input id;              // instrument id
    signal input mark;            // mark price, scaled 1e8
    signal input hasScen;         // 1 if the instrument has a risk array
    signal input scen[S];         // risk array, scaled 1e8 (zeros when absent)
    signal input tierActive[T];   // 1 for the instrument's tiers, then 0s (a prefix)
    signal input floor[T];        // notional_floor, scaled 1e8 (0 for unused slots)
    signal input rate[T];         // rate, scaled 1e6 (0 for unused slots)
    signal input deduction[T];    // deduction, scaled 1e8 (0 for unused slots)
    signal output out;            // the leaf

    hasScen * (hasScen - 1) === 0;
    var nTiers = 0;
    for (var j = 0; j < T; j++) {
        tierActive[j] * (tierActive[j] - 1) === 0;
        if (j > 0) {
            // active flags form a prefix, so nTiers says exactly which slots are tiers
            tierActive[j] * (1 - tierActive[j - 1]) === 0;
        }
        nTiers += tierActive[j];
    }
    // NOTE: inactive slots are hashed as given, so they must be 0 to match the published leaf;
    // the margin computation never reads them (it weighs every tier by its active flag).

    component scenH = SpongeHash(S);
    for (var s = 0; s < S; s++) {
        scenH.in[s] <== scen[s];
    }
    signal scenHash;              // 0 when the instrument has no risk array
    scenHash <== hasScen * scenH.out;

    var nChunks = T <= 4 ? 0 : (T - 4 + 4) \ 5;   // further chunks of 5 tiers past the head
    component head = Poseidon(16);
    head.inputs[0] <== id;
    head.inputs[1] <== mark;
    head.inputs[2] <== scenHash;
    head.inputs[3] <== nTiers;
    for (var j = 0; j < 4; j++) {
        if (j < T) {
            head.inputs[4 + 3 * j] <== floor[j];
            head.inputs[5 + 3 * j] <== rate[j];
            head.inputs[6 + 3 * j] <== deduction[j];
        } else {
            head.inputs[4 + 3 * j] <== 0;
            head.inputs[5 + 3 * j] <== 0;
            head.inputs[6 + 3 * j] <== 0;
        }
    }
    component chunk[nChunks];
    signal acc[nChunks + 1];      // hash after c further chunks, kept only when the chunk is used
    acc[0] <== head.out;
    for (var c = 0; c < nChunks; c++) {
        chunk[c] = Poseidon(16);
        chunk[c].inputs[0] <== acc[c];
        for (var k = 0; k < 5; k++) {
            var j = 4 + 5 * c + k;
            if (j < T) {
                chunk[c].inputs[1 + 3 * k] <== floor[j];
                chunk[c].inputs[2 + 3 * k] <== rate[j];
                chunk[c].inputs[3 + 3 * k] <== deduction[j];
            } else {
                chunk[c].inputs[1 + 3 * k] <== 0;
                chunk[c].inputs[2 + 3 * k] <== 0;
                chunk[c].inputs[3 + 3 * k] <== 0;
            }
        }
        // the chunk exists in the record iff its first tier does
        acc[c + 1] <== acc[c] + tierActive[4 + 5 * c] * (chunk[c].out - acc[c]);
    }
    out <== acc[nChunks];
}

// SpongeHash(S): Poseidon over S >= 1 values in chunks (16 first, then 15 plus the running hash).
template SpongeHash(S) {
    assert(S >= 1);
    signal input in[S];           // values
    signal output out;            // hash

    var first = S < 16 ? S : 16;
    var nChunks = 1 + (S - first + 14) \ 15;
    component h[nChunks];
    h[0] = Poseidon(first);
    for (var i = 0; i < first; i++) {
        h[0].inputs[i] <== in[i];
    }
    var pos = first;
    for (var c = 1; c < nChunks; c++) {
        var len = S - pos < 15 ? S - pos : 15;
        h[c] = Poseidon(len + 1);
        h[c].inputs[0] <== h[c - 1].out;
        for (var i = 0; i < len; i++) {
            h[c].inputs[1 + i] <== in[pos + i];
        }
        pos += len;
    }
    out <== h[nChunks - 1].out;
}
