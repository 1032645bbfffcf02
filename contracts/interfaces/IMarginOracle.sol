// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title IMarginOracle
/// @notice What the registry reads from the market oracle: the latest publication, and the epoch
///         and time of any publication by its sequence number (1, 2, 3, … in publication order).
///         `MarginOracle` implements it; the registry is given one in its constructor.
interface IMarginOracle {
    /// @notice The market `root` of `epoch` was published at `publishedAt`, as publication `seq`.
    event EpochPublished(uint64 indexed epoch, uint256 root, uint64 publishedAt, uint64 seq);

    /// @notice `given` is not above the `latest` epoch published: a published root is never replaced.
    error MarginOracle__EpochNotIncreasing(uint64 latest, uint64 given);
    /// @notice A market root outside the SNARK scalar field (no proof could open it).
    error MarginOracle__RootNotInField();
    /// @notice The admin or the publisher given as the zero address.
    error MarginOracle__ZeroAddress();

    /// @notice The latest epoch with its root, publication time and sequence number, in one call.
    /// @return epoch The latest epoch (0 when none).
    /// @return root Its market root.
    /// @return publishedAt Its publication time.
    /// @return seq How many epochs were published (0 when none).
    function latest() external view returns (uint64 epoch, uint256 root, uint64 publishedAt, uint64 seq);

    /// @notice How many epochs were published; the latest one's sequence number.
    /// @return The count.
    function publicationCount() external view returns (uint64);

    /// @notice The sequence number of an epoch (0 when unpublished).
    /// @param epoch The epoch.
    /// @return The 1-based position of its publication.
    function seqOf(uint64 epoch) external view returns (uint64);

    /// @notice The publication with a given sequence number (all zero when there is none).
    /// @param seq 1 for the first publication, 2 for the second, …
    /// @return epoch Its epoch.
    /// @return root Its market root.
    /// @return publishedAt Its publication time.
    function publicationAt(uint64 seq) external view returns (uint64 epoch, uint256 root, uint64 publishedAt);

    /// @notice The epoch and publication time of the publication with a given sequence number
    ///         (0, 0 when there is none).
    /// @param seq 1 for the first publication, 2 for the second, …
    /// @return epoch Its epoch.
    /// @return publishedAt Its publication time.
    function timeAt(uint64 seq) external view returns (uint64 epoch, uint64 publishedAt);
}
