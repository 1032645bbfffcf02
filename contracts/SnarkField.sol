// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @dev The BN254 scalar field r: every public signal of a proof, and so every root the oracle and
///      the registry accept, is an element of it.
uint256 constant SNARK_SCALAR_FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617;
