// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @dev The BN254 scalar field r: every public signal of a proof, and so every root the oracle and
///      the registry accept, is an element of it. The one definition in the hand-written sources;
///      the generated verifiers (contracts/generated/, from snarkjs's template and
///      verifier/templates/) carry their own copy, written by the generator from the key's curve.
uint256 constant SNARK_SCALAR_FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
