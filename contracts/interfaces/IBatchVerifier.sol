// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IBatchVerifier
/// @notice The batch Groth16 verifier a registry calls: `Groth16BatchVerifier`, generated from the
///         verification key by `zksolvency setup` (prover/batch_verifier.py).
interface IBatchVerifier {
    /// @notice Check N proofs of the key in one pairing check, with Fiat-Shamir weights.
    /// @dev Returns false (never reverts) on any invalid or malformed proof or signal, N = 0,
    ///      N > BATCH_MAX, arrays of different lengths, two proofs with the same A.x, or when a
    ///      precompile runs out of gas; callers must treat false as a refusal.
    /// @param pA Proof points A (G1), one per proof.
    /// @param pB Proof points B (G2), coordinates in EVM order ([x1, x0], [y1, y0]).
    /// @param pC Proof points C (G1).
    /// @param pubSignals The public signals of each proof.
    /// @return True iff every proof verifies.
    function verifyBatch(
        uint256[2][] calldata pA,
        uint256[2][2][] calldata pB,
        uint256[2][] calldata pC,
        uint256[4][] calldata pubSignals
    ) external view returns (bool);

    /// @notice Most proofs one batch may hold.
    /// @return The maximum N.
    function BATCH_MAX() external view returns (uint256);
}
