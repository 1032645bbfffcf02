// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ISolvencyRegistry
/// @notice What a protocol reads from the zksolvency registry to act on margin attestations: whether
///         an account is attested solvent at the oracle's latest epoch, and whether (and why) it is
///         flagged for liquidation. `SolvencyRegistry` implements it; integrators depend on this
///         interface only (see docs/integration.md).
interface ISolvencyRegistry {
    /// @notice Why an account is flagged: not at all, by a `solvent = 0` proof, or for missing the
    ///         grace period without an attestation.
    enum Flag {
        None,
        Insolvent,
        Stale
    }

    /// @notice True iff the account is attested solvent for the oracle's latest epoch and unflagged.
    /// @param account The account.
    /// @return Whether the account is currently attested solvent.
    function isSolvent(address account) external view returns (bool);

    /// @notice The account's flag (one storage read): `None` unless it is flagged for liquidation.
    /// @dev A flag stays until the venue's liquidator resolves it, across later epochs.
    /// @param account The account.
    /// @return The flag.
    function flagOf(address account) external view returns (Flag);

    /// @notice An account's full status.
    /// @param account The account.
    /// @return enrolled Whether it is enrolled.
    /// @return index Its ledger index (meaningful when enrolled).
    /// @return attested Whether `attestedEpoch` holds an attestation.
    /// @return attestedEpoch The epoch of its last attestation.
    /// @return flag Its flag, if any.
    /// @return flaggedEpoch The latest epoch when it was flagged.
    /// @return staleAt When it can be flagged stale (0 when it owes no attestation now).
    function status(address account)
        external
        view
        returns (
            bool enrolled,
            uint64 index,
            bool attested,
            uint64 attestedEpoch,
            Flag flag,
            uint64 flaggedEpoch,
            uint64 staleAt
        );
}
