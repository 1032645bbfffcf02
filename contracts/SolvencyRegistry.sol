// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Multicall} from "@openzeppelin/contracts/utils/Multicall.sol";
import {IBatchVerifier} from "./interfaces/IBatchVerifier.sol";
import {ISolvencyRegistry} from "./interfaces/ISolvencyRegistry.sol";
import {IVerifier} from "./interfaces/IVerifier.sol";
import {MarginOracle} from "./MarginOracle.sol";

/// @title SolvencyRegistry
/// @notice The venue enrolls accounts (each gets a permanent index) and publishes one ledger root
///         per oracle epoch, a Poseidon Merkle root over every account's book. A Groth16 proof that
///         the ledger entry at an account's index is solvent at the oracle's latest market attests
///         the account; a proof that it is insolvent flags it for liquidation, and so does missing
///         the grace period without an attestation. A liquidator resolves flags.
/// @dev Public signals are [solvent, accountIndex, ledgerRoot, marketRoot] with
///      accountIndex = index * 2^160 + address. Roles (OpenZeppelin AccessControl): the admin
///      grants and revokes roles, the venue enrolls and publishes ledgers, the liquidator resolves
///      flags; attesting and flagging are open to anyone, since the proof binds the account.
///      Every refusal is a custom error; a false from the verifier reverts, so nothing is ever
///      recorded on a failed proof and gas estimation finds the gas a successful verification needs.
///      Trust: the venue is the source of truth for books (traders check their statements against
///      the published root); everything else is enforced here and by the proof.
///      OpenZeppelin `Multicall` lets a keeper read many accounts' `status` in one `eth_call`
///      (it delegatecalls this contract, so `msg.sender` and every role check stay as they are).
contract SolvencyRegistry is ISolvencyRegistry, AccessControl, Multicall {
    uint256 internal constant SNARK_FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617;

    /// @notice Enrolls accounts and publishes ledger roots.
    bytes32 public constant VENUE_ROLE = keccak256("VENUE_ROLE");
    /// @notice Resolves flags after liquidating or clearing an account.
    bytes32 public constant LIQUIDATOR_ROLE = keccak256("LIQUIDATOR_ROLE");

    /// @dev Everything about one account in one storage slot (216 bits), so an attestation reads
    ///      one slot and rewrites it. `seq` is an oracle publication sequence number: of the last
    ///      attestation when `attested`, else of the latest publication when the account was
    ///      enrolled or its flag resolved. The account owes an attestation for every epoch
    ///      published after `seq`, and may be flagged stale once the grace period after the first
    ///      of them is over.
    struct AccountState {
        uint64 index; // permanent ledger index
        uint64 seq; // see above
        uint64 flaggedSeq; // publication the flag refers to
        bool enrolled;
        bool attested;
        Flag flag;
    }

    /// @dev The latest epoch's binding context, read once per call (once per batch).
    struct Current {
        uint64 epoch;
        uint64 seq;
        uint256 marketRoot;
        uint256 ledgerRoot;
    }

    /// @notice The Groth16 verifier of the solvency circuit.
    IVerifier public immutable verifier;
    /// @notice The batch verifier generated from the same verification key (Fiat-Shamir weights).
    IBatchVerifier public immutable batchVerifier;
    /// @notice Where market roots and publication times come from.
    MarginOracle public immutable oracle;
    /// @notice Seconds after the publication of the first epoch an account owes before it may be
    ///         flagged stale.
    uint64 public immutable gracePeriod;
    /// @notice How many accounts the ledger holds (2^LD of the circuit): a proof opens only indices
    ///         below it, so an account enrolled beyond it could never attest and would only be
    ///         flagged stale.
    uint64 public immutable capacity;

    /// @notice How many accounts are enrolled; the next index.
    uint64 public enrolledCount;
    /// @notice The venue's ledger root of an epoch (0 when unpublished).
    mapping(uint64 epoch => uint256 root) public ledgerRootOf;
    mapping(uint64 index => address account) internal _accountAt;
    mapping(address account => AccountState) internal _state;

    event Enrolled(address indexed account, uint64 indexed index);
    event LedgerPublished(uint64 indexed epoch, uint256 root);
    event Attested(address indexed account, uint64 indexed epoch, uint64 index);
    event FlaggedInsolvent(address indexed account, uint64 indexed epoch, address indexed by);
    event FlaggedStale(address indexed account, uint64 indexed epoch, address indexed by);
    event FlagResolved(address indexed account, Flag flag, address indexed by);
    event AttestationSkipped(address indexed account, uint64 indexed epoch, Flag flag);

    error SolvencyRegistry__ZeroAddress();
    error SolvencyRegistry__EmptyList();
    error SolvencyRegistry__AlreadyEnrolled(address account);
    error SolvencyRegistry__LedgerFull(uint64 capacity);
    error SolvencyRegistry__InvalidCapacity();
    error SolvencyRegistry__NotEnrolled(address account);
    error SolvencyRegistry__NoEpoch();
    error SolvencyRegistry__InvalidLedgerRoot();
    error SolvencyRegistry__LedgerEpochNotLatest(uint64 epoch, uint64 latest);
    error SolvencyRegistry__LedgerAlreadyPublished(uint64 epoch);
    error SolvencyRegistry__LedgerNotPublished(uint64 epoch);
    error SolvencyRegistry__UnknownEpoch(uint64 epoch, uint64 latest);
    error SolvencyRegistry__StaleEpoch(uint64 epoch, uint64 latest);
    error SolvencyRegistry__SignalNotInField(uint256 index);
    error SolvencyRegistry__NotSolventProof();
    error SolvencyRegistry__NotInsolventProof();
    error SolvencyRegistry__AccountMismatch();
    error SolvencyRegistry__IndexMismatch(uint64 enrolled, uint256 proven);
    error SolvencyRegistry__LedgerRootMismatch();
    error SolvencyRegistry__MarketRootMismatch();
    error SolvencyRegistry__InvalidProof();
    error SolvencyRegistry__BatchLengthMismatch();
    error SolvencyRegistry__BatchTooLarge(uint256 size, uint256 max);
    error SolvencyRegistry__BatchNotInIndexOrder(uint256 position);
    error SolvencyRegistry__AccountFlagged(address account, Flag flag);
    error SolvencyRegistry__NotFlagged(address account);
    error SolvencyRegistry__AttestationCurrent(address account, uint64 epoch);
    error SolvencyRegistry__NotDue(address account);
    error SolvencyRegistry__GracePeriodNotOver(address account, uint64 deadline);

    /// @param verifier_ The generated Groth16 verifier.
    /// @param batchVerifier_ The generated batch verifier of the same key.
    /// @param oracle_ The market oracle.
    /// @param gracePeriod_ Seconds an account has to attest after the first epoch it owes.
    /// @param capacity_ Accounts the ledger holds: 2^LD of the circuit the verifier is for (> 0).
    /// @param admin Grants and revokes roles.
    /// @param venue Enrolls accounts and publishes ledger roots.
    /// @param liquidator Resolves flags.
    constructor(
        IVerifier verifier_,
        IBatchVerifier batchVerifier_,
        MarginOracle oracle_,
        uint64 gracePeriod_,
        uint64 capacity_,
        address admin,
        address venue,
        address liquidator
    ) {
        if (admin == address(0) || venue == address(0) || liquidator == address(0)) revert SolvencyRegistry__ZeroAddress();
        if (capacity_ == 0) revert SolvencyRegistry__InvalidCapacity();
        verifier = verifier_;
        batchVerifier = batchVerifier_;
        oracle = oracle_;
        gracePeriod = gracePeriod_;
        capacity = capacity_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(VENUE_ROLE, venue);
        _grantRole(LIQUIDATOR_ROLE, liquidator);
    }

    // ------------------------------------------------------------------ venue

    /// @notice Enroll accounts: each gets the next index (0, 1, 2, … never reused) and owes an
    ///         attestation for every epoch published after this one. All or nothing.
    /// @dev An address enrolls once, ever: there is no re-enrollment, so no enrollment reset a
    ///      `flagStale` could back-run and no second index a venue could give an account. Indices
    ///      stop at `capacity`: beyond it no proof could open the account's leaf.
    /// @param accounts The addresses, in index order.
    function enroll(address[] calldata accounts) external onlyRole(VENUE_ROLE) {
        if (accounts.length == 0) revert SolvencyRegistry__EmptyList();
        uint64 seq = oracle.publicationCount();
        uint64 next = enrolledCount;
        if (accounts.length > capacity - next) revert SolvencyRegistry__LedgerFull(capacity);
        for (uint256 i = 0; i < accounts.length; ++i) {
            address account = accounts[i];
            if (account == address(0)) revert SolvencyRegistry__ZeroAddress();
            if (_state[account].enrolled) revert SolvencyRegistry__AlreadyEnrolled(account);
            _state[account] = AccountState(next, seq, 0, true, false, Flag.None);
            _accountAt[next] = account;
            emit Enrolled(account, next);
            unchecked {
                ++next; // one per calldata word: never near 2^64
            }
        }
        enrolledCount = next;
    }

    /// @notice Publish the ledger root of the oracle's latest epoch, once.
    /// @param epoch The oracle's latest epoch.
    /// @param root The Poseidon Merkle root over the accounts' books (nonzero, < r).
    function publishLedger(uint64 epoch, uint256 root) external onlyRole(VENUE_ROLE) {
        if (root == 0 || root >= SNARK_FIELD) revert SolvencyRegistry__InvalidLedgerRoot();
        (uint64 latest,,, uint64 seq) = oracle.latest();
        if (seq == 0) revert SolvencyRegistry__NoEpoch();
        if (epoch != latest) revert SolvencyRegistry__LedgerEpochNotLatest(epoch, latest);
        if (ledgerRootOf[epoch] != 0) revert SolvencyRegistry__LedgerAlreadyPublished(epoch);
        ledgerRootOf[epoch] = root;
        emit LedgerPublished(epoch, root);
    }

    // ------------------------------------------------------------------ proofs

    /// @notice Attest an account solvent at the latest epoch with a `solvent = 1` proof.
    /// @dev Anyone may submit (the trader, a relayer, the venue): the proof binds the account,
    ///      its enrolled index and the latest epoch's ledger and market roots.
    /// @param account The enrolled account the proof is for.
    /// @param epoch The oracle's latest epoch.
    /// @param pA Proof point A.
    /// @param pB Proof point B (EVM coordinate order).
    /// @param pC Proof point C.
    /// @param signals [solvent, accountIndex, ledgerRoot, marketRoot].
    function attest(
        address account,
        uint64 epoch,
        uint256[2] calldata pA,
        uint256[2][2] calldata pB,
        uint256[2] calldata pC,
        uint256[4] calldata signals
    ) external {
        Current memory cur = _current(epoch);
        AccountState storage st = _bind(account, signals, 1, cur);
        if (st.flag != Flag.None) revert SolvencyRegistry__AccountFlagged(account, st.flag);
        if (!verifier.verifyProof(pA, pB, pC, signals)) revert SolvencyRegistry__InvalidProof();
        _recordAttestation(account, st, cur);
    }

    /// @notice Attest many accounts at the latest epoch with one batched pairing check: all or
    ///         nothing. One `Attested` event per account.
    /// @dev Every binding `attest` checks, per account (`_bind`), then one `verifyBatch` whose
    ///      false reverts, so an invalid, stale or misbound proof anywhere records nothing. An
    ///      account flagged meanwhile (a keeper's `flagStale` landing first) is bound and its proof
    ///      verified like the others, but skipped (`AttestationSkipped`) instead of reverting the
    ///      batch: one late member cannot sink the venue's attestation of everyone else. A batch
    ///      that would record nobody reverts.
    ///      Accounts come in strictly increasing index order, which refuses an account twice in
    ///      one batch at one comparison per account (the batch verifier refuses a repeated proof).
    ///      The records are written before the pairing check and undone by its revert.
    /// @param accounts The enrolled accounts, in increasing index order.
    /// @param epoch The oracle's latest epoch.
    /// @param pA Proof points A, one per account.
    /// @param pB Proof points B (EVM coordinate order).
    /// @param pC Proof points C.
    /// @param signals [solvent, accountIndex, ledgerRoot, marketRoot] of each proof.
    function attestBatch(
        address[] calldata accounts,
        uint64 epoch,
        uint256[2][] calldata pA,
        uint256[2][2][] calldata pB,
        uint256[2][] calldata pC,
        uint256[4][] calldata signals
    ) external {
        if (pA.length != signals.length || pB.length != signals.length || pC.length != signals.length) {
            revert SolvencyRegistry__BatchLengthMismatch();
        }
        _bindAndRecordAll(epoch, accounts, signals);
        if (!batchVerifier.verifyBatch(pA, pB, pC, signals)) revert SolvencyRegistry__InvalidProof();
    }

    /// @notice Flag an account for liquidation with a `solvent = 0` proof at the latest epoch.
    /// @dev An account already flagged stale is flagged insolvent over it: an insolvent account
    ///      cannot choose the milder flag by getting itself flagged stale in front of its proof.
    /// @param account The enrolled account the proof is for.
    /// @param epoch The oracle's latest epoch.
    /// @param pA Proof point A.
    /// @param pB Proof point B (EVM coordinate order).
    /// @param pC Proof point C.
    /// @param signals [solvent, accountIndex, ledgerRoot, marketRoot].
    function flagInsolvent(
        address account,
        uint64 epoch,
        uint256[2] calldata pA,
        uint256[2][2] calldata pB,
        uint256[2] calldata pC,
        uint256[4] calldata signals
    ) external {
        Current memory cur = _current(epoch);
        AccountState storage st = _bind(account, signals, 0, cur);
        if (st.flag == Flag.Insolvent) revert SolvencyRegistry__AccountFlagged(account, st.flag);
        if (!verifier.verifyProof(pA, pB, pC, signals)) revert SolvencyRegistry__InvalidProof();
        st.flag = Flag.Insolvent;
        st.flaggedSeq = cur.seq;
        emit FlaggedInsolvent(account, cur.epoch, msg.sender);
    }

    // ------------------------------------------------------------------ staleness

    /// @notice Flag every listed account that is stale: it has no attestation for the latest
    ///         epoch and the grace period after the publication of the first epoch it owes (the
    ///         first one after its last attestation, or after its enrollment) is over. Anyone may
    ///         call it.
    /// @dev Accounts that are not stale (attested meanwhile, already flagged, not yet due) are
    ///      skipped, so a keeper's batch survives a trader attesting in front of it; a call that
    ///      flags none reverts with the reason of the first one. An address that is not enrolled
    ///      always reverts: it is a caller's mistake, never a race.
    /// @param accounts The enrolled accounts to flag.
    /// @return flagged How many accounts were flagged.
    function flagStale(address[] calldata accounts) external returns (uint256 flagged) {
        if (accounts.length == 0) revert SolvencyRegistry__EmptyList();
        (uint64 latest,,, uint64 latestSeq) = oracle.latest();
        if (latestSeq == 0) revert SolvencyRegistry__NoEpoch();
        uint64 cachedSeq; // accounts enrolled or attested together share their deadline
        uint64 cachedDeadline;
        address firstSkipped;
        uint64 skippedDeadline;
        for (uint256 i = 0; i < accounts.length; ++i) {
            address account = accounts[i];
            AccountState storage st = _state[account];
            if (!st.enrolled) revert SolvencyRegistry__NotEnrolled(account);
            uint64 seq = st.seq;
            uint64 deadline;
            if (st.flag == Flag.None && seq < latestSeq) {
                if (seq != cachedSeq || cachedDeadline == 0) {
                    (, uint64 owedAt) = oracle.timeAt(seq + 1);
                    cachedSeq = seq;
                    cachedDeadline = owedAt + gracePeriod;
                }
                deadline = cachedDeadline;
                if (block.timestamp >= deadline) {
                    st.flag = Flag.Stale;
                    st.flaggedSeq = latestSeq;
                    emit FlaggedStale(account, latest, msg.sender);
                    ++flagged;
                    continue;
                }
            }
            if (firstSkipped == address(0)) {
                firstSkipped = account;
                skippedDeadline = deadline;
            }
        }
        if (flagged == 0) _revertNotStale(firstSkipped, latest, latestSeq, skippedDeadline);
    }

    // ------------------------------------------------------------------ liquidator

    /// @notice Resolve a flag once the account was liquidated or cleared. The account owes an
    ///         attestation again from the next epoch on (or may attest the current one).
    /// @param account The flagged account.
    function resolveFlag(address account) external onlyRole(LIQUIDATOR_ROLE) {
        AccountState storage st = _state[account];
        Flag flag = st.flag;
        if (flag == Flag.None) revert SolvencyRegistry__NotFlagged(account);
        st.flag = Flag.None;
        st.attested = false;
        st.seq = oracle.publicationCount();
        emit FlagResolved(account, flag, msg.sender);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc ISolvencyRegistry
    function status(address account)
        external
        view
        override
        returns (
            bool enrolled,
            uint64 index,
            bool attested,
            uint64 attestedEpoch,
            Flag flag,
            uint64 flaggedEpoch,
            uint64 staleAt
        )
    {
        AccountState memory st = _state[account];
        if (st.attested) (attestedEpoch,) = oracle.timeAt(st.seq);
        if (st.flag != Flag.None) (flaggedEpoch,) = oracle.timeAt(st.flaggedSeq);
        if (st.enrolled && st.flag == Flag.None && st.seq < oracle.publicationCount()) {
            (, uint64 owedAt) = oracle.timeAt(st.seq + 1);
            staleAt = owedAt + gracePeriod;
        }
        return (st.enrolled, st.index, st.attested, attestedEpoch, st.flag, flaggedEpoch, staleAt);
    }

    /// @inheritdoc ISolvencyRegistry
    function isSolvent(address account) external view override returns (bool) {
        AccountState storage st = _state[account];
        uint64 latestSeq = oracle.publicationCount();
        return latestSeq != 0 && st.flag == Flag.None && st.attested && st.seq == latestSeq;
    }

    /// @inheritdoc ISolvencyRegistry
    function flagOf(address account) external view override returns (Flag) {
        return _state[account].flag;
    }

    /// @notice The account enrolled at an index (address(0) beyond `enrolledCount`).
    /// @param index The ledger index.
    /// @return The account.
    function accountAt(uint64 index) external view returns (address) {
        return _accountAt[index];
    }

    // ------------------------------------------------------------------ internal

    /// @dev The latest epoch with both roots; `epoch` must be it and its ledger published.
    function _current(uint64 epoch) internal view returns (Current memory cur) {
        (uint64 latest, uint256 marketRoot,, uint64 seq) = oracle.latest();
        if (seq == 0) revert SolvencyRegistry__NoEpoch();
        if (epoch > latest) revert SolvencyRegistry__UnknownEpoch(epoch, latest);
        if (epoch < latest) revert SolvencyRegistry__StaleEpoch(epoch, latest);
        uint256 ledgerRoot = ledgerRootOf[latest];
        if (ledgerRoot == 0) revert SolvencyRegistry__LedgerNotPublished(latest);
        return Current(latest, seq, marketRoot, ledgerRoot);
    }

    /// @dev Every binding of SPEC §3 except the pairing, for one account: enrolled, signals in the
    ///      field, the verdict, the address and the enrolled index (packed in signal 1), the latest
    ///      epoch's ledger and market roots. Callers decide what a flag means (attest refuses it,
    ///      flagInsolvent overrides a stale one, attestBatch skips the account). A batch path calls
    ///      it once per proof with the same `cur`, then checks all pairings at once.
    function _bind(address account, uint256[4] calldata signals, uint256 verdict, Current memory cur)
        internal
        view
        returns (AccountState storage st)
    {
        st = _state[account];
        if (!st.enrolled) revert SolvencyRegistry__NotEnrolled(account);
        for (uint256 i = 0; i < 4; ++i) {
            if (signals[i] >= SNARK_FIELD) revert SolvencyRegistry__SignalNotInField(i);
        }
        if (signals[0] != verdict) {
            if (verdict == 1) revert SolvencyRegistry__NotSolventProof();
            revert SolvencyRegistry__NotInsolventProof();
        }
        uint256 accountIndex = signals[1];
        if (address(uint160(accountIndex)) != account) revert SolvencyRegistry__AccountMismatch();
        if (accountIndex >> 160 != st.index) revert SolvencyRegistry__IndexMismatch(st.index, accountIndex >> 160);
        if (signals[2] != cur.ledgerRoot) revert SolvencyRegistry__LedgerRootMismatch();
        if (signals[3] != cur.marketRoot) revert SolvencyRegistry__MarketRootMismatch();
    }

    /// @dev attestBatch before its pairing check: the batch's size, then every account bound (as
    ///      attest does) in strictly increasing index order and recorded. The caller reverts all of
    ///      it on a false from the batch verifier.
    function _bindAndRecordAll(uint64 epoch, address[] calldata accounts, uint256[4][] calldata signals) internal {
        uint256 n = accounts.length;
        if (n == 0) revert SolvencyRegistry__EmptyList();
        if (signals.length != n) revert SolvencyRegistry__BatchLengthMismatch();
        uint256 max = batchVerifier.BATCH_MAX();
        if (n > max) revert SolvencyRegistry__BatchTooLarge(n, max);
        Current memory cur = _current(epoch);
        uint256 previous;
        uint256 recorded;
        for (uint256 i = 0; i < n; ++i) {
            AccountState storage st = _bind(accounts[i], signals[i], 1, cur);
            uint256 index = st.index;
            if (i > 0 && index <= previous) revert SolvencyRegistry__BatchNotInIndexOrder(i);
            previous = index;
            if (st.flag != Flag.None) {
                emit AttestationSkipped(accounts[i], cur.epoch, st.flag);
                continue;
            }
            _recordAttestation(accounts[i], st, cur);
            ++recorded;
        }
        if (recorded == 0) revert SolvencyRegistry__AccountFlagged(accounts[0], _state[accounts[0]].flag);
    }

    /// @dev Record a verified `solvent = 1` proof: one slot written.
    function _recordAttestation(address account, AccountState storage st, Current memory cur) internal {
        st.seq = cur.seq;
        st.attested = true;
        emit Attested(account, cur.epoch, st.index);
    }

    /// @dev Why `account` (enrolled, not flagged by this call) is not stale, as its custom error.
    function _revertNotStale(address account, uint64 latest, uint64 latestSeq, uint64 deadline) internal view {
        AccountState storage st = _state[account];
        if (st.flag != Flag.None) revert SolvencyRegistry__AccountFlagged(account, st.flag);
        if (st.seq >= latestSeq) {
            if (st.attested) revert SolvencyRegistry__AttestationCurrent(account, latest);
            revert SolvencyRegistry__NotDue(account);
        }
        revert SolvencyRegistry__GracePeriodNotOver(account, deadline);
    }
}
