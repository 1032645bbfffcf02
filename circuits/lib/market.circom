pragma circom 2.1.0;

include "circomlib/circuits/poseidon.circom";

// Hashes of market records, identical to zkcore/commitment.py.
//
// instrument leaf = Poseidon(id, mark, tierChain, scenarioHash)
//   tierChain     = Poseidon(floor_0, rate_0, deduction_0, Poseidon(floor_1, ..., 0))   (0 if no tiers)
//   scenarioHash  = Poseidon(v_0..v_15), then Poseidon(h, next 15) per further chunk   (0 if no array)
// collateral leaf = Poseidon(asset, price, haircut)
//
// Market values are NOT range-checked here: marketRoot binds them to the market the oracle
// published, and `zksolvency market-root` refuses any market outside SPEC §1. The bounds the
// solvency circuit relies on (prices, floors, rates, deductions, risk arrays) therefore hold for
// every root published through zksolvency; an oracle that publishes the root of an unvalidated
// market is outside the threat model (it could mis-price every account anyway).

// TierChain(T): hash chain over the active prefix of T tier slots, canonical for any T.
template TierChain(T) {
    signal input active[T];       // 1 for the instrument's tiers, then 0s (monotone)
    signal input floor[T];        // notional_floor, scaled 1e8
    signal input rate[T];         // rate, scaled 1e6
    signal input deduction[T];    // deduction, scaled 1e8
    signal output out;            // chain head (0 for an empty table)

    signal link[T + 1];           // link[j] = hash of tiers j.. (0 past the last active tier)
    component h[T];
    link[T] <== 0;
    for (var j = T - 1; j >= 0; j--) {
        active[j] * (active[j] - 1) === 0;
        if (j + 1 < T) {
            // active flags form a prefix: an inactive tier is never followed by an active one
            active[j + 1] * (1 - active[j]) === 0;
        }
        h[j] = Poseidon(4);
        h[j].inputs[0] <== floor[j];
        h[j].inputs[1] <== rate[j];
        h[j].inputs[2] <== deduction[j];
        h[j].inputs[3] <== link[j + 1];
        link[j] <== active[j] * h[j].out;
    }
    out <== link[0];
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
