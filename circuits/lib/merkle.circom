pragma circom 2.1.0;

include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/comparators.circom";

// Merkle gadgets for the market trees (instruments and collateral assets).
//
// A market tree of n leaves has depth d = ceil(log2 n) (0 for n <= 1), zero-padded leaves and
// Poseidon(2) internal nodes; d itself is committed in the market root. A circuit built for depth
// D can open any tree of depth d <= D: it hashes all D levels and picks level d. The depth selector
// is computed once per tree and shared by every slot that opens a leaf of that tree.

// DepthSelector(D): one-hot sel[k] = (depth == k) for k in 0..D; refuses depth > D.
template DepthSelector(D) {
    signal input depth;       // tree depth from the market root preimage
    signal output sel[D + 1]; // sel[k] = 1 iff depth == k
    signal output above[D];   // above[k] = 1 iff depth <= k: path bit k is unused and must be 0

    component eq[D + 1];
    var total = 0;
    for (var k = 0; k <= D; k++) {
        eq[k] = IsEqual();
        eq[k].in[0] <== depth;
        eq[k].in[1] <== k;
        sel[k] <== eq[k].out;
        total += eq[k].out;
    }
    // exactly one level matches: the depth is at most D
    total === 1;
    var acc = 0;
    for (var k = 0; k < D; k++) {
        acc += sel[k];
        above[k] <== acc;
    }
}

// VarDepthMerkle(D): the root of the tree of depth `sel` (see DepthSelector) that holds `leaf`
// at the position given by `pathBits`, and that position as a number.
// Path bits at or above the depth must be zero, so `index` is the leaf's canonical position: two
// slots that open different indices open different leaves.
template VarDepthMerkle(D) {
    signal input leaf;            // leaf hash at level 0
    signal input siblings[D];     // sibling hash at each level (unused levels: anything)
    signal input pathBits[D];     // 1 where the running node is the right child
    signal input sel[D + 1];      // depth selector of this tree
    signal input above[D];        // above[k] = 1 iff depth <= k
    signal output root;           // root of the tree of the selected depth
    signal output index;          // leaf position: sum pathBits[k] * 2^k

    signal node[D + 1];           // running node, level by level
    signal left[D];               // left input of the level-k hash
    signal picked[D + 1];         // sel[k] * node[k]
    component h[D];

    node[0] <== leaf;
    var idx = 0;
    for (var k = 0; k < D; k++) {
        pathBits[k] * (pathBits[k] - 1) === 0;
        // unused levels carry no index bits
        pathBits[k] * above[k] === 0;
        left[k] <== node[k] + pathBits[k] * (siblings[k] - node[k]);
        h[k] = Poseidon(2);
        h[k].inputs[0] <== left[k];
        h[k].inputs[1] <== node[k] + siblings[k] - left[k];
        node[k + 1] <== h[k].out;
        idx += pathBits[k] * (1 << k);
    }
    var r = 0;
    for (var k = 0; k <= D; k++) {
        picked[k] <== sel[k] * node[k];
        r += picked[k];
    }
    root <== r;
    index <== idx;
}

// FixedMerkle(LD): the root of the depth-LD Poseidon(2) tree (the venue's ledger) that holds
// `leaf` at the position whose bits are `pathBits` (bit k = 1 where the running node is a right
// child). ~242 constraints per level: one Poseidon(2) and one selector.
// NOTE: the bits are NOT constrained to {0, 1} here: the caller takes them from a Num2Bits
// decomposition (Solvency does: they are the high bits of the public accountIndex), so the
// position opened is exactly the index the proof states.
template FixedMerkle(LD) {
    assert(LD >= 1 && LD <= 64);
    signal input leaf;            // leaf hash at level 0
    signal input siblings[LD];    // sibling hash at each level, leaf to root
    signal input pathBits[LD];    // index bits, least significant first (boolean, see NOTE)
    signal output root;           // root of the tree

    signal node[LD + 1];          // running node, level by level
    signal left[LD];              // left input of the level-k hash
    component h[LD];
    node[0] <== leaf;
    for (var k = 0; k < LD; k++) {
        left[k] <== node[k] + pathBits[k] * (siblings[k] - node[k]);
        h[k] = Poseidon(2);
        h[k].inputs[0] <== left[k];
        h[k].inputs[1] <== node[k] + siblings[k] - left[k];
        node[k + 1] <== h[k].out;
    }
    root <== node[LD];
}
