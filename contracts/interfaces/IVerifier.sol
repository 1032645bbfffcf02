// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IVerifier
/// @notice The Groth16 verifier the registry calls: `snarkjs zkey export solidityverifier` output
///         for the solvency circuit, whose public signals are [solvent, accountIndex, ledgerRoot,
///         marketRoot] (accountIndex = index * 2^160 + address).
interface IVerifier {
    /// @notice Check a Groth16 proof.
    /// @dev Returns false (never reverts) on an invalid proof, a signal >= r, or when the pairing
    ///      precompile runs out of gas; callers must treat false as a refusal.
    /// @param pA Proof point A (G1).
    /// @param pB Proof point B (G2), coordinates in EVM order ([x1, x0], [y1, y0]).
    /// @param pC Proof point C (G1).
    /// @param pubSignals The public signals.
    /// @return True iff the proof verifies.
    function verifyProof(
        uint256[2] calldata pA,
        uint256[2][2] calldata pB,
        uint256[2] calldata pC,
        uint256[4] calldata pubSignals
    ) external view returns (bool);
}
