// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title ISolvencyRegistry
/// @notice What a protocol reads from the zksolvency registry to act on margin attestations: whether
///         an account is attested solvent at the oracle's latest epoch, whether (and why) it is
///         flagged for liquidation, since when, under which flag identity, and whether the venue
///         keeps its ledger on time. `SolvencyRegistry` implements it; integrators depend on this
///         interface only (see docs/integration.md).
/// @dev Flag rules. A flag is raised by a `solvent = 0` proof (`Insolvent`) or by `flagStale` once
///      an account's grace deadline passed without an attestation (`Stale`). Every flag raised from
///      no flag gets a new identity (`flagId`, 1, 2, … per account). A stale flag is overridden by
///      an insolvency proof (same `flagId`: one liquidation continues) and cleared by a valid
///      solvent attestation for the latest epoch; an insolvency flag stays until the venue's
///      liquidator resolves it. After a resolve, no flag of any kind can be raised for any oracle
///      publication up to the one current at the resolve.
///      Grace clock: an account owes an attestation for every epoch published after its last
///      attestation (or its enrollment, or a resolve). For the first epoch it owes, published at
///      M, with L the first ledger publication at or after that epoch, its deadline is
///      `gracePeriod + min(L, M + ledgerGrace)`: a late ledger moves the clock (traders cannot
///      attest before it), a withheld one moves it by at most `ledgerGrace`. An account may attest
///      the latest epoch or any earlier one it owes whose ledger is published (a ledger that lands
///      with the next market still counts); only the latest epoch makes it solvent now
///      (`isSolvent`) and clears a stale flag, and after attesting an earlier epoch it owes the
///      ones after it, on their own deadlines.
interface ISolvencyRegistry {
    /// @notice Why an account is flagged: not at all, by a `solvent = 0` proof, or for missing the
    ///         grace period without an attestation.
    enum Flag {
        None,
        Insolvent,
        Stale
    }

    /// @notice Everything the registry knows of one account, as `status` returns it.
    /// @param enrolled Whether it is enrolled.
    /// @param index Its ledger index (meaningful when enrolled).
    /// @param attested Whether `attestedEpoch` holds an attestation.
    /// @param attestedEpoch The epoch of its last attestation.
    /// @param flag Its flag, if any.
    /// @param flaggedEpoch The epoch the current flag refers to (of the last flag when `flag` is None;
    ///        0 when never flagged).
    /// @param flaggedAt When the current flag took its kind: raised, or overridden stale -> insolvent
    ///        (of the last flag when `flag` is None; 0 when never flagged).
    /// @param flagId The current flag's identity, or the last flag's when `flag` is None (0 when never
    ///        flagged). A new flag gets a new id; an override stale -> insolvent keeps it.
    /// @param flagResolved The last flag was ended by the liquidator's `resolveFlag` (false when it
    ///        is still raised or was cleared by an attestation).
    /// @param resolvedEpoch After a resolve, until the account attests: the epoch up to which no flag
    ///        can be raised (0 otherwise).
    /// @param staleAt When it can be flagged stale, given the ledger publications so far (0 while it
    ///        owes nothing or is flagged).
    struct AccountStatus {
        bool enrolled;
        uint64 index;
        bool attested;
        uint64 attestedEpoch;
        Flag flag;
        uint64 flaggedEpoch;
        uint64 flaggedAt;
        uint64 flagId;
        bool flagResolved;
        uint64 resolvedEpoch;
        uint64 staleAt;
    }

    // ------------------------------------------------------------------ events

    /// @notice `account` was enrolled at ledger `index`.
    event Enrolled(address indexed account, uint64 indexed index);
    /// @notice The venue published the ledger `root` of `epoch`.
    event LedgerPublished(uint64 indexed epoch, uint256 root);
    /// @notice `account` was attested solvent at `epoch` (its ledger entry at `index`).
    event Attested(address indexed account, uint64 indexed epoch, uint64 index);
    /// @notice `account` was flagged insolvent at `epoch` by a `solvent = 0` proof `by` sent; an
    ///         override of a stale flag keeps its `flagId`.
    event FlaggedInsolvent(address indexed account, uint64 indexed epoch, address indexed by, uint64 flagId);
    /// @notice `account` was flagged stale at `epoch` for missing its grace deadline.
    event FlaggedStale(address indexed account, uint64 indexed epoch, address indexed by, uint64 flagId);
    /// @notice The liquidator `by` resolved the `flag` of `account` (identity `flagId`).
    event FlagResolved(address indexed account, Flag flag, address indexed by, uint64 flagId);
    /// @notice A solvent attestation for the latest `epoch` cleared the stale flag `flagId` of `account`.
    event StaleFlagCleared(address indexed account, uint64 indexed epoch, uint64 flagId);
    /// @notice `attestBatch` left `account` out, for `flag`: `Insolvent`, flagged insolvent (raised
    ///         in front of the batch); and for an epoch before the latest, `Stale` (flagged stale, or
    ///         past its grace deadline: only the latest epoch serves it now) or `None` (it already
    ///         attested this epoch or a later one).
    event AttestationSkipped(address indexed account, uint64 indexed epoch, Flag flag);
    /// @notice The venue had not published the ledger of `epoch` by `dueAt` (its publication time
    ///         plus `ledgerGrace`); emitted once per epoch, when first observed.
    event LedgerOverdue(uint64 indexed epoch, uint64 dueAt);

    // ------------------------------------------------------------------ errors

    /// @notice A role holder given as the zero address, or the zero address listed for enrollment.
    error SolvencyRegistry__ZeroAddress();
    /// @notice `enroll` or `flagStale` of an empty list, or an empty `attestBatch`.
    error SolvencyRegistry__EmptyList();
    /// @notice `account` is enrolled already: an index is given once, for good.
    error SolvencyRegistry__AlreadyEnrolled(address account);
    /// @notice Enrolling the list would pass the ledger's `capacity` (no proof opens an index
    ///         beyond it).
    error SolvencyRegistry__LedgerFull(uint64 capacity);
    /// @notice A capacity of 0 or above 2^40 accounts.
    error SolvencyRegistry__InvalidCapacity();
    /// @notice A grace period outside [`MIN_GRACE`, `MAX_GRACE`] seconds.
    error SolvencyRegistry__GracePeriodOutOfRange(uint64 given, uint64 min, uint64 max);
    /// @notice A ledger grace outside [`MIN_GRACE`, `MAX_LEDGER_GRACE`] seconds.
    error SolvencyRegistry__LedgerGraceOutOfRange(uint64 given, uint64 min, uint64 max);
    /// @notice `account` is not enrolled.
    error SolvencyRegistry__NotEnrolled(address account);
    /// @notice The oracle has published no epoch yet.
    error SolvencyRegistry__NoEpoch();
    /// @notice A ledger root of 0 or outside the SNARK scalar field.
    error SolvencyRegistry__InvalidLedgerRoot();
    /// @notice A ledger is published for the oracle's `latest` epoch only, not for `epoch`.
    error SolvencyRegistry__LedgerEpochNotLatest(uint64 epoch, uint64 latest);
    /// @notice The ledger of `epoch` is published already: a root is never replaced.
    error SolvencyRegistry__LedgerAlreadyPublished(uint64 epoch);
    /// @notice The venue has not published the ledger of `epoch`: there is nothing to prove against.
    error SolvencyRegistry__LedgerNotPublished(uint64 epoch);
    /// @notice The oracle never published `epoch` (its latest is `latest`).
    error SolvencyRegistry__UnknownEpoch(uint64 epoch, uint64 latest);
    /// @notice `epoch` is not one the call can use: `flagInsolvent` takes the oracle's `latest` epoch
    ///         only, an attestation of an earlier epoch one the account still owes.
    error SolvencyRegistry__StaleEpoch(uint64 epoch, uint64 latest);
    /// @notice Public signal `index` is not below the SNARK scalar field.
    error SolvencyRegistry__SignalNotInField(uint256 index);
    /// @notice An attestation needs a proof with `solvent = 1`.
    error SolvencyRegistry__NotSolventProof();
    /// @notice A flag needs a proof with `solvent = 0`.
    error SolvencyRegistry__NotInsolventProof();
    /// @notice The proof's account (the low 160 bits of `accountIndex`) is not the account named.
    error SolvencyRegistry__AccountMismatch();
    /// @notice The proof opens ledger index `proven`, the account is enrolled at `enrolled`.
    error SolvencyRegistry__IndexMismatch(uint64 enrolled, uint256 proven);
    /// @notice The proof's ledger root is not the venue's root of the epoch.
    error SolvencyRegistry__LedgerRootMismatch();
    /// @notice The proof's market root is not the oracle's root of the epoch.
    error SolvencyRegistry__MarketRootMismatch();
    /// @notice The verifier (or the batch verifier) refused the proof.
    error SolvencyRegistry__InvalidProof();
    /// @notice `attestBatch` with arrays of different lengths.
    error SolvencyRegistry__BatchLengthMismatch();
    /// @notice A batch of `size` proofs, more than the batch verifier's `max`.
    error SolvencyRegistry__BatchTooLarge(uint256 size, uint256 max);
    /// @notice The batch's accounts are not in strictly increasing index order (first break at
    ///         `position`), so one account could be listed twice.
    error SolvencyRegistry__BatchNotInIndexOrder(uint256 position);
    /// @notice `account` carries `flag`, which refuses the call: an insolvency flag stays until the
    ///         liquidator resolves it, a stale flag is cleared only by an attestation of the latest
    ///         epoch, and a flagged account is not flagged again (nor, in a batch that recorded no
    ///         one, attested: the first account's flag is the reason given).
    error SolvencyRegistry__AccountFlagged(address account, Flag flag);
    /// @notice `resolveFlag` of an account that is not flagged.
    error SolvencyRegistry__NotFlagged(address account);
    /// @notice The liquidator resolved the account's flag at `epoch` (or later): no flag is raised
    ///         again for a publication up to it.
    error SolvencyRegistry__FlagResolvedThisEpoch(address account, uint64 epoch);
    /// @notice `flagStale` of an account attested for the latest `epoch`.
    error SolvencyRegistry__AttestationCurrent(address account, uint64 epoch);
    /// @notice `flagStale` of an account that owes no attestation yet (enrolled or resolved at
    ///         the latest publication).
    error SolvencyRegistry__NotDue(address account);
    /// @notice `flagStale` of an account whose grace deadline, `deadline`, has not passed.
    error SolvencyRegistry__GracePeriodNotOver(address account, uint64 deadline);
    /// @notice An epoch before the latest for an account whose grace deadline passed at `deadline`:
    ///         late, it attests the latest epoch only (as a stale-flagged account does).
    error SolvencyRegistry__DeadlinePassed(address account, uint64 deadline);

    // ------------------------------------------------------------------ views

    /// @notice True iff the account is attested solvent for the oracle's latest epoch and unflagged.
    /// @param account The account.
    /// @return Whether the account is currently attested solvent.
    function isSolvent(address account) external view returns (bool);

    /// @notice The account's flag (one storage read): `None` unless it is flagged for liquidation.
    /// @dev An insolvency flag stays until the venue's liquidator resolves it, across later epochs;
    ///      a stale flag also ends with a solvent attestation for the latest epoch.
    /// @param account The account.
    /// @return The flag.
    function flagOf(address account) external view returns (Flag);

    /// @notice An account's full status (see `AccountStatus`).
    /// @param account The account.
    /// @return The status.
    function status(address account) external view returns (AccountStatus memory);

    /// @notice True once `ledgerGrace` has passed since the oracle's latest publication without the
    ///         venue publishing that epoch's ledger. Stale deadlines keep running meanwhile (capped
    ///         at `ledgerGrace`), so a venue cannot shelter its accounts by withholding a ledger.
    /// @return Whether the venue's ledger is overdue.
    function ledgerOverdue() external view returns (bool);

    /// @notice The most recent ledger publication (all zero before the first).
    /// @return epoch Its epoch.
    /// @return root Its ledger root.
    /// @return publishedAt When it was published.
    function latestLedger() external view returns (uint64 epoch, uint256 root, uint64 publishedAt);

    /// @notice The ledger of an epoch (0, 0 when unpublished).
    /// @param epoch The epoch.
    /// @return root Its ledger root.
    /// @return publishedAt When it was published.
    function ledgerOf(uint64 epoch) external view returns (uint256 root, uint64 publishedAt);
}
