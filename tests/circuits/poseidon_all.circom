pragma circom 2.1.0;
// Test harness: Poseidon of every arity 1..16 over prefixes of one input vector.
include "circomlib/circuits/poseidon.circom";

template PoseidonAll() {
    signal input in[16];     // test vector
    signal output out[16];   // out[i] = Poseidon(i + 1)(in[0..i])
    component h[16];
    for (var i = 0; i < 16; i++) {
        h[i] = Poseidon(i + 1);
        for (var j = 0; j <= i; j++) {
            h[i].inputs[j] <== in[j];
        }
        out[i] <== h[i].out;
    }
}

component main = PoseidonAll();
