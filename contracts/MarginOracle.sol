// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IMarginOracle} from "./interfaces/IMarginOracle.sol";
import {SNARK_SCALAR_FIELD} from "./SnarkField.sol";

/// @title MarginOracle
/// @notice Publishes one market root per oracle epoch. A market root is the Poseidon commitment
///         (`zksolvency market-root`) to the whole market of an epoch: marks, tier tables, risk
///         arrays, collateral prices and haircuts, the epoch and its timestamp.
/// @dev Epochs strictly increase, so a published root can never be replaced. Every publication
///      keeps its time and its sequence number (1, 2, 3, … in publication order, whatever the
///      epoch numbers), so the registry can find "the first epoch published after epoch e" and
///      measure each account's grace period from it. Times are uint64 seconds: they never wrap.
///      Trust: the publisher posts only markets that passed `market build` / `market-root`
///      validation (SPEC §1); nothing on chain can check a market's values.
contract MarginOracle is IMarginOracle, AccessControl {
    /// @notice The role that publishes epochs.
    bytes32 public constant PUBLISHER_ROLE = keccak256("PUBLISHER_ROLE");

    struct Publication {
        uint256 root;
        uint64 epoch;
        uint64 publishedAt;
    }

    // The latest publication's epoch, sequence number and time share one slot, so the registry's
    // `latest()` call costs two SLOADs (this slot and the root).
    /// @notice The most recent epoch (meaningful once `hasEpoch()`).
    uint64 public latestEpoch;
    /// @inheritdoc IMarginOracle
    uint64 public override publicationCount;
    uint64 internal _latestPublishedAt;
    mapping(uint64 seq => Publication) internal _bySeq;
    mapping(uint64 epoch => uint64 seq) internal _seqOf;

    /// @param admin Who grants and revokes roles.
    /// @param publisher Who publishes epochs.
    constructor(address admin, address publisher) {
        if (admin == address(0) || publisher == address(0)) revert MarginOracle__ZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(PUBLISHER_ROLE, publisher);
    }

    /// @notice Publish the market root of a new epoch.
    /// @param epoch The epoch; must be greater than every epoch published before.
    /// @param root The market root of that epoch (a BN254 field element).
    function publish(uint64 epoch, uint256 root) external onlyRole(PUBLISHER_ROLE) {
        uint64 seq = publicationCount;
        if (seq != 0 && epoch <= latestEpoch) revert MarginOracle__EpochNotIncreasing(latestEpoch, epoch);
        if (root >= SNARK_SCALAR_FIELD) revert MarginOracle__RootNotInField();
        unchecked {
            ++seq; // one per transaction: never near 2^64
        }
        uint64 at = uint64(block.timestamp);
        _bySeq[seq] = Publication(root, epoch, at);
        _seqOf[epoch] = seq;
        latestEpoch = epoch;
        publicationCount = seq;
        _latestPublishedAt = at;
        emit EpochPublished(epoch, root, at, seq);
    }

    /// @notice The latest epoch with its root, publication time and sequence number, in one call.
    /// @return epoch The latest epoch (0 when none).
    /// @return root Its market root (0 when none).
    /// @return publishedAt Its publication time (0 when none).
    /// @return seq Its sequence number (0 when none, else 1 for the first publication, …).
    function latest() external view returns (uint64 epoch, uint256 root, uint64 publishedAt, uint64 seq) {
        seq = publicationCount;
        if (seq == 0) return (0, 0, 0, 0);
        return (latestEpoch, _bySeq[seq].root, _latestPublishedAt, seq);
    }

    /// @notice Whether any epoch was published.
    /// @return True once the first epoch is out.
    function hasEpoch() external view returns (bool) {
        return publicationCount != 0;
    }

    /// @notice The root and publication time of an epoch (0, 0 when unpublished).
    /// @param epoch The epoch.
    /// @return root The market root.
    /// @return publishedAt The block timestamp of its publication.
    function publication(uint64 epoch) external view returns (uint256 root, uint64 publishedAt) {
        uint64 seq = _seqOf[epoch];
        if (seq == 0) return (0, 0);
        Publication storage p = _bySeq[seq];
        return (p.root, p.publishedAt);
    }

    /// @notice The sequence number of an epoch (0 when unpublished).
    /// @param epoch The epoch.
    /// @return The 1-based position of its publication.
    function seqOf(uint64 epoch) external view returns (uint64) {
        return _seqOf[epoch];
    }

    /// @notice The publication with a given sequence number (all zero when there is none).
    /// @param seq 1 for the first publication, 2 for the second, …
    /// @return epoch Its epoch.
    /// @return root Its market root.
    /// @return publishedAt Its publication time.
    function publicationAt(uint64 seq) external view returns (uint64 epoch, uint256 root, uint64 publishedAt) {
        Publication storage p = _bySeq[seq];
        return (p.epoch, p.root, p.publishedAt);
    }

    /// @notice The epoch and publication time of the publication with a given sequence number
    ///         (one storage read; 0, 0 when there is none). The registry's staleness clock.
    /// @param seq 1 for the first publication, 2 for the second, …
    /// @return epoch Its epoch.
    /// @return publishedAt Its publication time.
    function timeAt(uint64 seq) external view returns (uint64 epoch, uint64 publishedAt) {
        Publication storage p = _bySeq[seq];
        return (p.epoch, p.publishedAt);
    }
}
