// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title MarginOracle
/// @notice Publishes one market root per oracle epoch. A market root is the Poseidon commitment
///         (`zksolvency market-root`) to the whole market of an epoch: marks, tier tables, risk
///         arrays, collateral prices and haircuts, the epoch and its timestamp.
/// @dev Epochs strictly increase, so a published root can never be replaced.
contract MarginOracle {
    /// @dev BN254 scalar field: a root must be a field element to match a public signal.
    uint256 internal constant SNARK_FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617;

    struct Publication {
        uint256 root;
        uint64 publishedAt;
    }

    // publisher, latestEpoch and _latestPublishedAt share one storage slot, so the registry's
    // `latest()` call costs two SLOADs (this slot and the root).
    /// @notice Who may publish epochs.
    address public publisher;
    /// @notice The most recent epoch (meaningful once `hasEpoch()`).
    uint64 public latestEpoch;
    uint32 internal _latestPublishedAt;
    mapping(uint64 => Publication) internal _publications;

    event EpochPublished(uint64 indexed epoch, uint256 root, uint64 publishedAt);
    event PublisherChanged(address indexed previous, address indexed next);

    error MarginOracle__NotPublisher();
    error MarginOracle__EpochNotIncreasing(uint64 latest, uint64 given);
    error MarginOracle__RootNotInField();
    error MarginOracle__ZeroAddress();

    constructor(address publisher_) {
        if (publisher_ == address(0)) revert MarginOracle__ZeroAddress();
        publisher = publisher_;
        emit PublisherChanged(address(0), publisher_);
    }

    /// @notice Publish the market root of a new epoch.
    /// @param epoch The epoch; must be greater than every epoch published before.
    /// @param root The market root of that epoch (a BN254 field element).
    function publish(uint64 epoch, uint256 root) external {
        if (msg.sender != publisher) revert MarginOracle__NotPublisher();
        if (_latestPublishedAt != 0 && epoch <= latestEpoch) revert MarginOracle__EpochNotIncreasing(latestEpoch, epoch);
        if (root >= SNARK_FIELD) revert MarginOracle__RootNotInField();
        // uint32 seconds last until 2106
        _publications[epoch] = Publication(root, uint64(block.timestamp));
        latestEpoch = epoch;
        _latestPublishedAt = uint32(block.timestamp);
        emit EpochPublished(epoch, root, uint64(block.timestamp));
    }

    /// @notice Hand the publisher role to another address.
    /// @param next The new publisher.
    function setPublisher(address next) external {
        if (msg.sender != publisher) revert MarginOracle__NotPublisher();
        if (next == address(0)) revert MarginOracle__ZeroAddress();
        emit PublisherChanged(publisher, next);
        publisher = next;
    }

    /// @notice The latest epoch with its root and publication time, in one call.
    /// @return epoch The latest epoch (0 when none).
    /// @return root Its market root (0 when none).
    /// @return publishedAt Its publication time (0 when none).
    function latest() external view returns (uint64 epoch, uint256 root, uint64 publishedAt) {
        uint32 at = _latestPublishedAt;
        if (at == 0) return (0, 0, 0);
        epoch = latestEpoch;
        return (epoch, _publications[epoch].root, at);
    }

    /// @notice Whether any epoch was published.
    /// @return True once the first epoch is out.
    function hasEpoch() external view returns (bool) {
        return _latestPublishedAt != 0;
    }

    /// @notice The root and publication time of an epoch (0, 0 when unpublished).
    /// @param epoch The epoch.
    /// @return root The market root.
    /// @return publishedAt The block timestamp of its publication.
    function publication(uint64 epoch) external view returns (uint256 root, uint64 publishedAt) {
        Publication storage p = _publications[epoch];
        return (p.root, p.publishedAt);
    }
}
