pragma circom 2.1.0;
// A tiny circuit with the solvency circuit's public-signal layout (one output, three public
// inputs), so the beacon-forgery tests can set up keys in seconds on a 2^8 powers of tau. It
// proves nothing about solvency: `out` is the square of a private input and the public inputs are
// unconstrained (snarkjs still binds them to the proof through IC).
template FourSignals() {
    signal input a;  // public, like `account`
    signal input b;  // public, like `commitment`
    signal input c;  // public, like `marketRoot`
    signal input x;  // private
    signal output out;  // like `solvent`
    out <== x * x;
}

component main {public [a, b, c]} = FourSignals();
