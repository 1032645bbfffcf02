pragma circom 2.1.0;

include "circomlib/circuits/poseidon.circom";
include "circomlib/circuits/bitify.circom";
include "circomlib/circuits/comparators.circom";
include "./lib/arith.circom";
include "./lib/merkle.circom";
include "./lib/market.circom";

// zksolvency: equity >= maintenance margin, proven without revealing the account.
//
// Fixed point (see zkcore/fixedpoint.py): money-like values are integers scaled by 1e8, rates and
// haircuts by 1e6. Every total is compared at scale 1e22 = 1e8 * 1e8 * 1e6, where all SPEC §2
// terms are exact integers:
//   collateral  amount(1e8) * price(1e8) * (1e6 - haircut)          -> 1e22
//   pnl         size(1e8) * (mark - entry)(1e8) * 1e6               -> 1e22
//   tiered      |size| * mark (1e16) * rate(1e6) - deduction(1e8) * 1e14 -> 1e22
//   scenario    -sum size(1e8) * scenario_pnl(1e8), times 1e6       -> 1e22
//
// Bounds (SPEC §1: |x| < 2^40 before scaling, so scaled values are < 2^67):
//   account values (the prover's own choice, committed by the prover) are range-checked here;
//   market values are bound by marketRoot to a validated market (see lib/market.circom).
// With K, A <= 2^12 every total stays below 2^175, far from the field's 2^253, so no wrap-around.

// PositionSlot(S, T, D): one position: its instrument leaf opened in the market tree, its PnL,
// its tiered maintenance term and its per-scenario losses; 0 everywhere when inactive.
template PositionSlot(S, T, D) {
    signal input active;          // 1 if this slot holds a position (slots fill from the front)
    signal input id;              // instrument id (bound by the leaf)
    signal input size;            // signed size, scaled 1e8 (private, range-checked)
    signal input entry;           // entry price, scaled 1e8 (private, range-checked)
    signal input mark;            // mark price, scaled 1e8 (bound by the leaf)
    signal input tierActive[T];   // which tier slots the instrument uses (bound by the leaf)
    signal input tierFloor[T];    // notional floors, scaled 1e8 (bound)
    signal input tierRate[T];     // rates, scaled 1e6 (bound)
    signal input tierDeduction[T];// deductions, scaled 1e8 (bound)
    signal input hasScen;         // 1 if the instrument has a risk array (bound)
    signal input scen[S];         // per-unit long PnL per scenario, scaled 1e8 (bound)
    signal input siblings[D];     // Merkle siblings in the instrument tree
    signal input pathBits[D];     // Merkle path bits in the instrument tree
    signal input sel[D + 1];      // instrument tree depth selector (shared)
    signal input above[D];        // instrument tree unused-level flags (shared)
    signal input treeRoot;        // instrument tree root (shared, bound by marketRoot)
    signal input nextLink;        // account commitment chain of the following slots
    signal output link;           // account commitment chain from this slot on
    signal output index;          // leaf position, for the one-instrument-once ordering check
    signal output pnl;            // size * (mark - entry), scale 1e16
    signal output tiered;         // max(0, notional * rate - deduction), scale 1e22, 0 if inactive
    signal output loss[S];        // -size * scen[s], scale 1e16

    active * (active - 1) === 0;

    // --- private account values: range checks ---
    component sizeR = SignedRange(67);      // |size| < 2^67 (SPEC: < 2^40 * 1e8 < 2^66.6)
    sizeR.in <== size;
    component entryR = Num2Bits(67);        // 0 <= entry < 2^67
    entryR.in <== entry;
    // an empty slot carries no size, so it adds nothing to PnL or scenario losses
    (1 - active) * size === 0;

    // --- the instrument leaf, opened in the market tree ---
    // The whole record (id, mark, tiers, risk array) is hashed, so every market value used
    // below is the published one.
    component leaf = InstrumentLeaf(S, T);
    leaf.id <== id;
    leaf.mark <== mark;
    leaf.hasScen <== hasScen;
    for (var s = 0; s < S; s++) {
        leaf.scen[s] <== scen[s];
    }
    for (var j = 0; j < T; j++) {
        leaf.tierActive[j] <== tierActive[j];
        leaf.floor[j] <== tierFloor[j];
        leaf.rate[j] <== tierRate[j];
        leaf.deduction[j] <== tierDeduction[j];
    }
    component tree = VarDepthMerkle(D);
    tree.leaf <== leaf.out;
    for (var k = 0; k < D; k++) {
        tree.siblings[k] <== siblings[k];
        tree.pathBits[k] <== pathBits[k];
        tree.above[k] <== above[k];
    }
    for (var k = 0; k <= D; k++) {
        tree.sel[k] <== sel[k];
    }
    // an active slot must open a real leaf of this market
    active * (tree.root - treeRoot) === 0;
    index <== tree.index;

    // --- account commitment chain: Poseidon(id, size, entry, next) over active slots ---
    component lh = Poseidon(4);
    lh.inputs[0] <== id;
    lh.inputs[1] <== size;
    lh.inputs[2] <== entry;
    lh.inputs[3] <== nextLink;
    link <== active * lh.out;

    // --- PnL ---
    pnl <== size * (mark - entry);

    // --- tiered maintenance: the tier is computed, never taken from the prover ---
    // notional = |size| * mark < 2^134 (scale 1e16); floors compare at the same scale.
    signal notional;
    notional <== sizeR.abs * mark;
    component below[T];           // below[j] = notional < floor_j
    signal reached[T + 1];        // reached[j] = tier j is active and notional >= floor_j
    reached[T] <== 0;
    for (var j = T - 1; j >= 0; j--) {
        below[j] = LessThan(134);
        below[j].in[0] <== notional;
        below[j].in[1] <== tierFloor[j] * 100000000;
        reached[j] <== tierActive[j] * (1 - below[j].out);
    }
    // Floors strictly increase, so `reached` is 1..1 0..0 and the selected tier
    // (greatest floor <= notional) is the last 1: onehot[j] = reached[j] - reached[j+1].
    signal rateTerm[T];
    signal dedTerm[T];
    var rateSel = 0;
    var dedSel = 0;
    for (var j = 0; j < T; j++) {
        rateTerm[j] <== (reached[j] - reached[j + 1]) * tierRate[j];
        dedTerm[j] <== (reached[j] - reached[j + 1]) * tierDeduction[j];
        rateSel += rateTerm[j];
        dedSel += dedTerm[j];
    }
    signal grossMm;               // notional * rate, scale 1e22, < 2^154
    grossMm <== notional * rateSel;
    component pos = PositivePart(155);
    pos.in <== grossMm - dedSel * 100000000000000;
    tiered <== active * pos.out;

    // --- scenario losses of a long-per-unit risk array, signed by the position ---
    signal sizeEff;               // size if the instrument has a risk array, else 0
    sizeEff <== size * hasScen;
    for (var s = 0; s < S; s++) {
        loss[s] <== -sizeEff * scen[s];
    }
}

// CollateralSlot(DC): one collateral holding: its asset leaf opened in the collateral tree and
// its haircut value; 0 when inactive.
template CollateralSlot(DC) {
    signal input active;          // 1 if this slot holds an asset (slots fill from the front)
    signal input asset;           // asset symbol as a big-endian integer (bound by the leaf)
    signal input amount;          // amount, scaled 1e8 (private, range-checked)
    signal input price;           // oracle price, scaled 1e8 (bound)
    signal input haircut;         // haircut, scaled 1e6 (bound)
    signal input siblings[DC];    // Merkle siblings in the collateral tree
    signal input pathBits[DC];    // Merkle path bits in the collateral tree
    signal input sel[DC + 1];     // collateral tree depth selector (shared)
    signal input above[DC];       // collateral tree unused-level flags (shared)
    signal input treeRoot;        // collateral tree root (shared, bound by marketRoot)
    signal input nextLink;        // account commitment chain of the following slots
    signal output link;           // account commitment chain from this slot on
    signal output index;          // leaf position, for the one-asset-once ordering check
    signal output value;          // amount * price * (1e6 - haircut), scale 1e22

    active * (active - 1) === 0;
    component amountR = Num2Bits(67);       // 0 <= amount < 2^67
    amountR.in <== amount;
    (1 - active) * amount === 0;

    component leaf = Poseidon(3);
    leaf.inputs[0] <== asset;
    leaf.inputs[1] <== price;
    leaf.inputs[2] <== haircut;
    component tree = VarDepthMerkle(DC);
    tree.leaf <== leaf.out;
    for (var k = 0; k < DC; k++) {
        tree.siblings[k] <== siblings[k];
        tree.pathBits[k] <== pathBits[k];
        tree.above[k] <== above[k];
    }
    for (var k = 0; k <= DC; k++) {
        tree.sel[k] <== sel[k];
    }
    active * (tree.root - treeRoot) === 0;
    index <== tree.index;

    component lh = Poseidon(3);
    lh.inputs[0] <== asset;
    lh.inputs[1] <== amount;
    lh.inputs[2] <== nextLink;
    link <== active * lh.out;

    signal gross;                 // amount * price, scale 1e16
    gross <== amount * price;
    value <== gross * (1000000 - haircut);
}

// Solvency(K, A, S, T, D, DC, LD): the whole check.
//   K position slots, A collateral slots, S scenarios, T tiers per instrument,
//   D = instrument tree depth (up to 2^D instruments), DC = collateral tree depth,
//   LD = ledger depth (the venue's ledger holds up to 2^LD accounts).
// Public, in snarkjs order: solvent (output), accountIndex, ledgerRoot, marketRoot.
//   accountIndex = index * 2^160 + address: the account and the ledger position its leaf is
//   opened at, packed into one field element (160 + LD bits, far below the field's 253, so the
//   packing is one-to-one). A registry that binds (address, index) to its enrollment therefore
//   never accepts this proof for another account, or for the same address placed at a second
//   index by the venue: the proof states the index it was opened at.
// The ledger leaf is the account commitment, recomputed here from the private account, so the
// proof is about the book the venue committed to, never one the prover picks.
// NOTE: the market epoch is not a public signal of its own; it is inside marketRoot, so a proof
// counts only for the epoch whose published root it carries. The ledger epoch is not in
// ledgerRoot: binding a ledger root to its epoch is the registry's job (it stores one per epoch).
template Solvency(K, A, S, T, D, DC, LD) {
    assert(K >= 1 && K <= 4096);
    assert(A >= 1 && A <= 4096);
    assert(S >= 1 && T >= 1 && D >= 1 && DC >= 1);
    assert(D <= 32 && DC <= 32);
    assert(LD >= 1 && LD <= 64);  // 160 + LD bits stay far below the 253-bit field

    signal input accountIndex;    // public: index * 2^160 + address
    signal input ledgerRoot;      // public: the venue's ledger root of this epoch
    signal input marketRoot;      // public: Poseidon commitment to the market of one epoch
    signal output solvent;        // public: 1 iff equity >= maintenance

    signal input ledgerSiblings[LD]; // Merkle siblings of the account's leaf, leaf to root
    signal input nonce;           // account nonce (committed)
    signal input salt;            // account salt (committed; hides the account)
    signal input epoch;           // market epoch (in marketRoot)
    signal input timestamp;       // market timestamp (in marketRoot)
    signal input instrDepth;      // instrument tree depth (in marketRoot)
    signal input instrRoot;       // instrument tree root (in marketRoot)
    signal input collDepth;       // collateral tree depth (in marketRoot)
    signal input collRoot;        // collateral tree root (in marketRoot)

    signal input posActive[K];
    signal input posId[K];
    signal input posSize[K];
    signal input posEntry[K];
    signal input posMark[K];
    signal input tierActive[K][T];
    signal input tierFloor[K][T];
    signal input tierRate[K][T];
    signal input tierDeduction[K][T];
    signal input hasScen[K];
    signal input scen[K][S];
    signal input posSiblings[K][D];
    signal input posPathBits[K][D];

    signal input collActive[A];
    signal input collAsset[A];
    signal input collAmount[A];
    signal input collPrice[A];
    signal input collHaircut[A];
    signal input collSiblings[A][DC];
    signal input collPathBits[A][DC];

    // --- account and index: the low 160 bits are the address, the next LD bits the index ---
    // One decomposition range-checks both (address < 2^160, index < 2^LD) and yields the path
    // bits of the ledger opening, so the opened position IS the public index.
    component aiBits = Num2Bits(160 + LD);
    aiBits.in <== accountIndex;
    var account = 0;             // the 20-byte address (a linear combination of bits)
    for (var k = 0; k < 160; k++) {
        account += aiBits.out[k] * (1 << k);
    }

    // --- market root ---
    component mroot = Poseidon(6);
    mroot.inputs[0] <== epoch;
    mroot.inputs[1] <== timestamp;
    mroot.inputs[2] <== instrDepth;
    mroot.inputs[3] <== instrRoot;
    mroot.inputs[4] <== collDepth;
    mroot.inputs[5] <== collRoot;
    mroot.out === marketRoot;
    component iDepth = DepthSelector(D);
    iDepth.depth <== instrDepth;
    component cDepth = DepthSelector(DC);
    cDepth.depth <== collDepth;

    // --- positions ---
    component pos[K];
    for (var i = K - 1; i >= 0; i--) {
        pos[i] = PositionSlot(S, T, D);
        pos[i].active <== posActive[i];
        pos[i].id <== posId[i];
        pos[i].size <== posSize[i];
        pos[i].entry <== posEntry[i];
        pos[i].mark <== posMark[i];
        for (var j = 0; j < T; j++) {
            pos[i].tierActive[j] <== tierActive[i][j];
            pos[i].tierFloor[j] <== tierFloor[i][j];
            pos[i].tierRate[j] <== tierRate[i][j];
            pos[i].tierDeduction[j] <== tierDeduction[i][j];
        }
        pos[i].hasScen <== hasScen[i];
        for (var s = 0; s < S; s++) {
            pos[i].scen[s] <== scen[i][s];
        }
        for (var k = 0; k < D; k++) {
            pos[i].siblings[k] <== posSiblings[i][k];
            pos[i].pathBits[k] <== posPathBits[i][k];
            pos[i].above[k] <== iDepth.above[k];
        }
        for (var k = 0; k <= D; k++) {
            pos[i].sel[k] <== iDepth.sel[k];
        }
        pos[i].treeRoot <== instrRoot;
        if (i + 1 < K) {
            pos[i].nextLink <== pos[i + 1].link;
        } else {
            pos[i].nextLink <== 0;
        }
    }

    // --- collateral ---
    component coll[A];
    for (var i = A - 1; i >= 0; i--) {
        coll[i] = CollateralSlot(DC);
        coll[i].active <== collActive[i];
        coll[i].asset <== collAsset[i];
        coll[i].amount <== collAmount[i];
        coll[i].price <== collPrice[i];
        coll[i].haircut <== collHaircut[i];
        for (var k = 0; k < DC; k++) {
            coll[i].siblings[k] <== collSiblings[i][k];
            coll[i].pathBits[k] <== collPathBits[i][k];
            coll[i].above[k] <== cDepth.above[k];
        }
        for (var k = 0; k <= DC; k++) {
            coll[i].sel[k] <== cDepth.sel[k];
        }
        coll[i].treeRoot <== collRoot;
        if (i + 1 < A) {
            coll[i].nextLink <== coll[i + 1].link;
        } else {
            coll[i].nextLink <== 0;
        }
    }

    // --- each instrument and each asset at most once ---
    // Slots fill from the front and active slots open strictly increasing leaf positions; leaves
    // are distinct records (ids and assets are unique in a validated market), so no record is
    // counted twice. Commitment order and tree order agree: both sort by id / asset.
    component posOrder[K];
    for (var i = 1; i < K; i++) {
        posActive[i] * (1 - posActive[i - 1]) === 0;
        posOrder[i] = LessThan(D);
        posOrder[i].in[0] <== pos[i - 1].index;
        posOrder[i].in[1] <== pos[i].index;
        posActive[i] * (1 - posOrder[i].out) === 0;
    }
    component collOrder[A];
    for (var i = 1; i < A; i++) {
        collActive[i] * (1 - collActive[i - 1]) === 0;
        collOrder[i] = LessThan(DC);
        collOrder[i].in[0] <== coll[i - 1].index;
        collOrder[i].in[1] <== coll[i].index;
        collActive[i] * (1 - collOrder[i].out) === 0;
    }

    // --- the account's ledger leaf, opened at its index in the venue's ledger ---
    component commit = Poseidon(5);
    commit.inputs[0] <== account;
    commit.inputs[1] <== nonce;
    commit.inputs[2] <== salt;
    commit.inputs[3] <== coll[0].link;
    commit.inputs[4] <== pos[0].link;
    // An empty ledger slot holds 0; a Poseidon output is 0 only with negligible probability, but
    // say it outright (one constraint): a zero leaf is never opened as an account.
    signal leafInv;              // 1 / leaf
    leafInv <-- commit.out != 0 ? 1 / commit.out : 0;
    leafInv * commit.out === 1;
    component ledger = FixedMerkle(LD);
    ledger.leaf <== commit.out;
    for (var k = 0; k < LD; k++) {
        ledger.siblings[k] <== ledgerSiblings[k];
        ledger.pathBits[k] <== aiBits.out[160 + k];
    }
    ledger.root === ledgerRoot;

    // --- totals ---
    var collateral = 0;          // scale 1e22
    for (var i = 0; i < A; i++) {
        collateral += coll[i].value;
    }
    var pnl = 0;                 // scale 1e16
    var tiered = 0;              // scale 1e22
    for (var i = 0; i < K; i++) {
        pnl += pos[i].pnl;
        tiered += pos[i].tiered;
    }

    // --- scenario margin: worstLoss = max(0, max_s sum_i loss_i[s]) ---
    // worstLoss is a prover hint, pinned down exactly: it is >= 0 and >= every scenario's loss
    // (range checks of the differences), and equals one of them (a product that must vanish).
    var LB = 135 + nbits(K);     // |scenario loss| < K * 2^134 <= 2^LB (nbits: circomlib binsum)
    signal scenLoss[S];          // total loss of scenario s, scale 1e16
    for (var s = 0; s < S; s++) {
        var acc = 0;
        for (var i = 0; i < K; i++) {
            acc += pos[i].loss[s];
        }
        scenLoss[s] <== acc;
    }
    var best = 0;
    for (var s = 0; s < S; s++) {
        if (scenLoss[s] > best) {  // circom compares field elements as signed integers
            best = scenLoss[s];
        }
    }
    signal worstLoss;            // scenario margin, scale 1e16
    worstLoss <-- best;
    component wlNonNeg = Num2Bits(LB + 1);
    wlNonNeg.in <== worstLoss;
    component wlAbove[S];
    signal prodGap[S + 1];       // worstLoss * prod_s (worstLoss - scenLoss[s])
    prodGap[0] <== worstLoss;
    for (var s = 0; s < S; s++) {
        wlAbove[s] = Num2Bits(LB + 2);
        wlAbove[s].in <== worstLoss - scenLoss[s];
        prodGap[s + 1] <== prodGap[s] * (worstLoss - scenLoss[s]);
    }
    prodGap[S] === 0;

    // --- verdict: equity - maintenance >= 0, at scale 1e22, with a 2^200 offset ---
    component verdict = Num2Bits(201);
    verdict.in <== collateral + pnl * 1000000 - tiered - worstLoss * 1000000 + (1 << 200);
    solvent <== verdict.out[200];
}
