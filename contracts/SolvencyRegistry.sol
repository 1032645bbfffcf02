// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Multicall} from "@openzeppelin/contracts/utils/Multicall.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {IBatchVerifier} from "./interfaces/IBatchVerifier.sol";
import {IMarginOracle} from "./interfaces/IMarginOracle.sol";
import {ISolvencyRegistry} from "./interfaces/ISolvencyRegistry.sol";
import {IVerifier} from "./interfaces/IVerifier.sol";
import {SNARK_SCALAR_FIELD} from "./SnarkField.sol";

/// @title SolvencyRegistry
/// @notice The venue enrolls accounts (each gets a permanent index) and publishes one ledger root
///         per oracle epoch, a Poseidon Merkle root over every account's book. A Groth16 proof that
///         the ledger entry at an account's index is solvent at the oracle's latest market attests
///         the account; a proof that it is insolvent flags it for liquidation, and so does missing
///         the grace deadline without an attestation. A liquidator resolves flags. The flag rules
///         and the grace clock are those of `ISolvencyRegistry`.
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
    using SafeCast for uint256;

    /// @notice Enrolls accounts and publishes ledger roots.
    bytes32 public constant VENUE_ROLE = keccak256("VENUE_ROLE");
    /// @notice Resolves flags after liquidating or clearing an account.
    bytes32 public constant LIQUIDATOR_ROLE = keccak256("LIQUIDATOR_ROLE");
    /// @notice The shortest grace period and ledger grace, in seconds: below a minute, an account
    ///         would be stale before any transaction of its own could land.
    uint64 public constant MIN_GRACE = 60;
    /// @notice The longest grace period (30 days): beyond it a flag says nothing timely.
    uint64 public constant MAX_GRACE = 30 days;
    /// @notice The longest ledger grace (7 days).
    uint64 public constant MAX_LEDGER_GRACE = 7 days;

    /// @dev Everything about one account in one storage slot (240 bits), so an attestation reads
    ///      one slot and rewrites it. `seq` is an oracle publication sequence number: of the last
    ///      attestation when `attested`, else of the latest publication when the account was
    ///      enrolled or its flag resolved. The account owes an attestation for every epoch
    ///      published after `seq`. `resolved`: the last flag was ended by `resolveFlag`; while
    ///      `seq` is the publication of that resolve, no flag is raised for a publication up to it.
    ///      Forty bits hold an index (the ledger has at most 2^32 slots) and a sequence number;
    ///      48 bits a time in seconds (millions of years).
    struct AccountState {
        uint40 index; // permanent ledger index
        uint40 seq; // see above
        uint40 flaggedSeq; // publication the current (or last) flag refers to
        uint48 flaggedAt; // when the current (or last) flag took its kind
        uint40 flagId; // flags raised for this account so far: the current (or last) flag's identity
        Flag flag;
        bool enrolled;
        bool attested;
        bool resolved;
    }

    /// @dev Counters and the latest ledger publication in one slot: `publishLedger` rewrites it.
    struct Counters {
        uint64 enrolledCount; // how many accounts are enrolled; the next index
        uint40 latestLedgerSeq; // publication of the most recent ledger (0 before the first)
        uint48 latestLedgerAt; // and when it was published
        uint40 overdueNotedSeq; // the last publication whose overdue ledger was announced
        uint40 ledgerCount; // how many ledgers were published: the length of `_ledgers`
    }

    /// @dev One ledger publication as `_firstLedgerFrom` returns it: the oracle publication it is
    ///      for, and when it came.
    struct LedgerEntry {
        uint40 seq;
        uint40 at;
    }

    /// @dev The binding context of one epoch, read once per call (once per batch): its roots, its
    ///      publication, and whether it is the oracle's latest.
    struct Current {
        uint64 epoch;
        uint64 seq;
        uint256 marketRoot;
        uint256 ledgerRoot;
        uint64 latestEpoch;
        bool latest;
    }

    /// @notice The Groth16 verifier of the solvency circuit.
    IVerifier public immutable verifier;
    /// @notice The batch verifier generated from the same verification key (Fiat-Shamir weights).
    IBatchVerifier public immutable batchVerifier;
    /// @notice Where market roots and publication times come from.
    IMarginOracle public immutable oracle;
    /// @notice Seconds an account has to attest once the clock of the first epoch it owes started
    ///         (at that epoch's ledger, or `ledgerGrace` after its market at the latest).
    uint64 public immutable gracePeriod;
    /// @notice Seconds the venue has after each market publication to publish that epoch's ledger.
    uint64 public immutable ledgerGrace;
    /// @notice How many accounts the ledger holds (2^LD of the circuit): a proof opens only indices
    ///         below it, so an account enrolled beyond it could never attest and would only be
    ///         flagged stale.
    uint64 public immutable capacity;

    /// @notice The venue's ledger root of an epoch (0 when unpublished).
    mapping(uint64 epoch => uint256 root) public ledgerRootOf;
    mapping(uint64 index => address account) internal _accountAt;
    mapping(address account => AccountState) internal _state;
    /// @dev Every ledger publication in order (so in increasing `seq`: a ledger is only ever
    ///      published for the latest epoch), packed `seq << 40 | at` three to a slot (value types
    ///      pack; structs would take a slot each). The grace clock finds the first ledger at or
    ///      after an epoch by binary search here, whatever the number of epochs the venue left
    ///      without one.
    mapping(uint256 group => uint80[3]) internal _ledgers;
    Counters internal _counters;

    /// @param verifier_ The generated Groth16 verifier.
    /// @param batchVerifier_ The generated batch verifier of the same key.
    /// @param oracle_ The market oracle.
    /// @param gracePeriod_ Seconds an account has to attest (in [`MIN_GRACE`, `MAX_GRACE`]).
    /// @param ledgerGrace_ Seconds the venue has to publish each epoch's ledger (in [`MIN_GRACE`,
    ///        `MAX_LEDGER_GRACE`]).
    /// @param capacity_ Accounts the ledger holds: 2^LD of the circuit the verifier is for (> 0,
    ///        at most 2^40).
    /// @param admin Grants and revokes roles.
    /// @param venue Enrolls accounts and publishes ledger roots.
    /// @param liquidator Resolves flags.
    constructor(
        IVerifier verifier_,
        IBatchVerifier batchVerifier_,
        IMarginOracle oracle_,
        uint64 gracePeriod_,
        uint64 ledgerGrace_,
        uint64 capacity_,
        address admin,
        address venue,
        address liquidator
    ) {
        if (admin == address(0) || venue == address(0) || liquidator == address(0)) revert SolvencyRegistry__ZeroAddress();
        if (capacity_ == 0 || capacity_ > 1 << 40) revert SolvencyRegistry__InvalidCapacity();
        if (gracePeriod_ < MIN_GRACE || gracePeriod_ > MAX_GRACE) {
            revert SolvencyRegistry__GracePeriodOutOfRange(gracePeriod_, MIN_GRACE, MAX_GRACE);
        }
        if (ledgerGrace_ < MIN_GRACE || ledgerGrace_ > MAX_LEDGER_GRACE) {
            revert SolvencyRegistry__LedgerGraceOutOfRange(ledgerGrace_, MIN_GRACE, MAX_LEDGER_GRACE);
        }
        verifier = verifier_;
        batchVerifier = batchVerifier_;
        oracle = oracle_;
        gracePeriod = gracePeriod_;
        ledgerGrace = ledgerGrace_;
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
        uint40 seq = uint256(oracle.publicationCount()).toUint40();
        uint64 next = _counters.enrolledCount;
        if (accounts.length > capacity - next) revert SolvencyRegistry__LedgerFull(capacity);
        for (uint256 i = 0; i < accounts.length; ++i) {
            address account = accounts[i];
            if (account == address(0)) revert SolvencyRegistry__ZeroAddress();
            if (_state[account].enrolled) revert SolvencyRegistry__AlreadyEnrolled(account);
            // next < capacity <= 2^40 (checked above and in the constructor)
            _state[account] = AccountState(uint40(next), seq, 0, 0, 0, Flag.None, true, false, false);
            _accountAt[next] = account;
            emit Enrolled(account, next);
            unchecked {
                ++next;
            }
        }
        _counters.enrolledCount = next;
    }

    /// @notice Publish the ledger root of the oracle's latest epoch, once. Its time starts the
    ///         grace clock of every account that owes this epoch (or an earlier one whose ledger
    ///         never came) and had not started yet.
    /// @param epoch The oracle's latest epoch.
    /// @param root The Poseidon Merkle root over the accounts' books (nonzero, < r).
    function publishLedger(uint64 epoch, uint256 root) external onlyRole(VENUE_ROLE) {
        if (root == 0 || root >= SNARK_SCALAR_FIELD) revert SolvencyRegistry__InvalidLedgerRoot();
        (uint64 latest,,, uint64 seq) = oracle.latest();
        if (seq == 0) revert SolvencyRegistry__NoEpoch();
        if (epoch != latest) revert SolvencyRegistry__LedgerEpochNotLatest(epoch, latest);
        if (ledgerRootOf[epoch] != 0) revert SolvencyRegistry__LedgerAlreadyPublished(epoch);
        uint40 at = block.timestamp.toUint40();
        ledgerRootOf[epoch] = root;
        Counters memory c = _counters;
        _ledgers[c.ledgerCount / 3][c.ledgerCount % 3] = (uint80(uint256(seq).toUint40()) << 40) | at;
        c.ledgerCount += 1;
        c.latestLedgerSeq = uint40(seq);
        c.latestLedgerAt = at;
        _counters = c;
        emit LedgerPublished(epoch, root);
    }

    // ------------------------------------------------------------------ proofs

    /// @notice Attest an account solvent with a `solvent = 1` proof at an epoch whose ledger is
    ///         published: the latest epoch (which also clears a stale flag), or an earlier one the
    ///         account still owes (after its last attestation, enrollment or resolve).
    /// @dev Anyone may submit (the trader, a relayer, the venue): the proof binds the account,
    ///      its enrolled index and that epoch's ledger and market roots. An earlier owed epoch is
    ///      accepted because a ledger may arrive just as the next market does: a trader whose venue
    ///      publishes each ledger together with the next market still has every ledger to attest,
    ///      and its next deadline is then that of the epoch after the one it attested. An account
    ///      flagged insolvent is refused (only the liquidator ends that flag); one flagged stale, or
    ///      past its grace deadline (so that whether a late account counts as stale never depends on
    ///      whether a keeper was first), attests the latest epoch only.
    /// @param account The enrolled account the proof is for.
    /// @param epoch The latest epoch, or an earlier one the account owes, with its ledger published.
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
        Current memory cur = _attestable(epoch);
        AccountState storage st = _bind(account, signals, 1, cur);
        if (st.flag == Flag.Insolvent) revert SolvencyRegistry__AccountFlagged(account, Flag.Insolvent);
        if (!cur.latest) {
            if (cur.seq <= st.seq) revert SolvencyRegistry__StaleEpoch(epoch, cur.latestEpoch);
            if (st.flag == Flag.Stale) revert SolvencyRegistry__AccountFlagged(account, Flag.Stale);
            uint64 deadline = _deadline(uint64(st.seq) + 1);
            if (block.timestamp >= deadline) revert SolvencyRegistry__DeadlinePassed(account, deadline);
        }
        if (!verifier.verifyProof(pA, pB, pC, signals)) revert SolvencyRegistry__InvalidProof();
        _recordAttestation(account, st, cur);
    }

    /// @notice Attest many accounts at one epoch (the latest, or an earlier one they owe, as for
    ///         `attest`) with one batched pairing check: all or nothing. One `Attested` event per
    ///         account; stale flags are cleared as by `attest`.
    /// @dev Every binding `attest` checks, per account (`_bind`), then one `verifyBatch` whose
    ///      false reverts, so an invalid, stale or misbound proof anywhere records nothing. An
    ///      account flagged insolvent meanwhile (a `flagInsolvent` landing first) is bound and its
    ///      proof verified like the others, but skipped (`AttestationSkipped`) instead of reverting
    ///      the batch: one member cannot sink the venue's attestation of everyone else. For an epoch
    ///      before the latest, so is a member that already attested it or a later one, and one
    ///      flagged stale or past its deadline (`_batchSkip`). A batch that would record nobody
    ///      reverts.
    ///      Accounts come in strictly increasing index order, which refuses an account twice in
    ///      one batch at one comparison per account (the batch verifier refuses a repeated proof).
    ///      The records are written before the pairing check and undone by its revert.
    /// @param accounts The enrolled accounts, in increasing index order.
    /// @param epoch The latest epoch, or an earlier one every account owes, with its ledger published.
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
    /// @dev An account already flagged stale is flagged insolvent over it (same `flagId`): an
    ///      insolvent account cannot choose the milder flag by getting itself flagged stale in
    ///      front of its proof. An account flagged insolvent is refused, and so is one whose flag
    ///      the liquidator resolved at this publication: the proof is public once sent, and must
    ///      not raise the flag again over what the account deposits after being cleared.
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
        if (st.flag == Flag.Insolvent) revert SolvencyRegistry__AccountFlagged(account, Flag.Insolvent);
        if (st.resolved && cur.seq <= st.seq) revert SolvencyRegistry__FlagResolvedThisEpoch(account, cur.epoch);
        if (!verifier.verifyProof(pA, pB, pC, signals)) revert SolvencyRegistry__InvalidProof();
        _raise(st, Flag.Insolvent, cur.seq);
        emit FlaggedInsolvent(account, cur.epoch, msg.sender, st.flagId);
    }

    // ------------------------------------------------------------------ staleness

    /// @notice Flag every listed account that is stale: it has no attestation for the latest
    ///         epoch and the grace deadline of the first epoch it owes (the first one after its
    ///         last attestation, its enrollment or its resolve) is over. Anyone may call it. Also
    ///         announces an overdue ledger (`LedgerOverdue`) the first time it sees one.
    /// @dev Accounts that are not stale (attested meanwhile, already flagged, not yet due) are
    ///      skipped, so a keeper's batch survives a trader attesting in front of it; a call that
    ///      flags none reverts with the reason of the first one (and announces nothing). An address
    ///      that is not enrolled always reverts: it is a caller's mistake, never a race.
    /// @param accounts The enrolled accounts to flag.
    /// @return flagged How many accounts were flagged.
    function flagStale(address[] calldata accounts) external returns (uint256 flagged) {
        if (accounts.length == 0) revert SolvencyRegistry__EmptyList();
        (uint64 latest,, uint64 publishedAt, uint64 latestSeq) = oracle.latest();
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
                    cachedSeq = seq;
                    cachedDeadline = _deadline(seq + 1);
                }
                deadline = cachedDeadline;
                if (block.timestamp >= deadline) {
                    _raise(st, Flag.Stale, latestSeq);
                    emit FlaggedStale(account, latest, msg.sender, st.flagId);
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
        _noteOverdue(latest, latestSeq, publishedAt);
    }

    /// @notice Announce an overdue ledger: emits `LedgerOverdue` the first time anyone observes
    ///         that `ledgerGrace` passed since the latest market without its ledger. Anyone may call.
    /// @return overdue Whether the venue's ledger is overdue now.
    function noteLedgerOverdue() external returns (bool overdue) {
        (uint64 latest,, uint64 publishedAt, uint64 seq) = oracle.latest();
        return seq != 0 && _noteOverdue(latest, seq, publishedAt);
    }

    // ------------------------------------------------------------------ liquidator

    /// @notice Resolve a flag once the account was liquidated or cleared. No flag of any kind can
    ///         be raised again for a publication up to the current one; the account owes an
    ///         attestation again from the next epoch on (or may attest the current one).
    /// @param account The flagged account.
    function resolveFlag(address account) external onlyRole(LIQUIDATOR_ROLE) {
        AccountState storage st = _state[account];
        Flag flag = st.flag;
        if (flag == Flag.None) revert SolvencyRegistry__NotFlagged(account);
        st.flag = Flag.None;
        st.attested = false;
        st.resolved = true;
        st.seq = uint256(oracle.publicationCount()).toUint40();
        emit FlagResolved(account, flag, msg.sender, st.flagId);
    }

    // ------------------------------------------------------------------ views

    /// @inheritdoc ISolvencyRegistry
    function status(address account) external view override returns (AccountStatus memory s) {
        AccountState memory st = _state[account];
        uint64 latestSeq = oracle.publicationCount();
        s.enrolled = st.enrolled;
        s.index = st.index;
        s.attested = st.attested;
        if (st.attested) (s.attestedEpoch,) = oracle.timeAt(st.seq);
        s.flag = st.flag;
        if (st.flagId != 0) {
            (s.flaggedEpoch,) = oracle.timeAt(st.flaggedSeq);
            s.flaggedAt = st.flaggedAt;
            s.flagId = st.flagId;
            s.flagResolved = st.resolved;
        }
        if (st.resolved && !st.attested && st.flag == Flag.None) (s.resolvedEpoch,) = oracle.timeAt(st.seq);
        if (st.enrolled && st.flag == Flag.None && st.seq < latestSeq) s.staleAt = _deadline(uint64(st.seq) + 1);
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

    /// @inheritdoc ISolvencyRegistry
    function ledgerOverdue() public view override returns (bool) {
        (,, uint64 publishedAt, uint64 seq) = oracle.latest();
        return seq != 0 && block.timestamp >= publishedAt + ledgerGrace && _counters.latestLedgerSeq != seq;
    }

    /// @inheritdoc ISolvencyRegistry
    function latestLedger() external view override returns (uint64 epoch, uint256 root, uint64 publishedAt) {
        Counters memory c = _counters;
        if (c.latestLedgerSeq == 0) return (0, 0, 0);
        (epoch,) = oracle.timeAt(c.latestLedgerSeq);
        return (epoch, ledgerRootOf[epoch], c.latestLedgerAt);
    }

    /// @inheritdoc ISolvencyRegistry
    function ledgerOf(uint64 epoch) external view override returns (uint256 root, uint64 publishedAt) {
        root = ledgerRootOf[epoch];
        if (root != 0) publishedAt = _firstLedgerFrom(oracle.seqOf(epoch)).at;
    }

    /// @notice How many accounts are enrolled; the next index.
    /// @return The count.
    function enrolledCount() external view returns (uint64) {
        return _counters.enrolledCount;
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
        cur = _attestable(epoch);
        if (!cur.latest) revert SolvencyRegistry__StaleEpoch(epoch, cur.latestEpoch);
    }

    /// @dev An epoch an attestation may be for: the latest, or an earlier published one, with its
    ///      ledger published either way (one oracle read for the latest). Whether the account owes
    ///      an earlier epoch is the caller's check.
    function _attestable(uint64 epoch) internal view returns (Current memory cur) {
        (uint64 latest, uint256 latestRoot,, uint64 latestSeq) = oracle.latest();
        if (latestSeq == 0) revert SolvencyRegistry__NoEpoch();
        if (epoch > latest) revert SolvencyRegistry__UnknownEpoch(epoch, latest);
        uint256 ledgerRoot = ledgerRootOf[epoch];
        if (epoch == latest) {
            if (ledgerRoot == 0) revert SolvencyRegistry__LedgerNotPublished(latest);
            return Current(latest, latestSeq, latestRoot, ledgerRoot, latest, true);
        }
        uint64 seq = oracle.seqOf(epoch);
        if (seq == 0) revert SolvencyRegistry__UnknownEpoch(epoch, latest);
        if (ledgerRoot == 0) revert SolvencyRegistry__LedgerNotPublished(epoch);
        (, uint256 marketRoot,) = oracle.publicationAt(seq);
        return Current(epoch, seq, marketRoot, ledgerRoot, latest, false);
    }

    /// @dev Every binding of SPEC §3 except the pairing, for one account: enrolled, signals in the
    ///      field, the verdict, the address and the enrolled index (packed in signal 1), the latest
    ///      epoch's ledger and market roots. Callers decide what a flag means (attest refuses an
    ///      insolvency flag and clears a stale one, flagInsolvent overrides a stale one,
    ///      attestBatch skips an insolvent account). A batch path calls it once per proof with the
    ///      same `cur`, then checks all pairings at once.
    function _bind(address account, uint256[4] calldata signals, uint256 verdict, Current memory cur)
        internal
        view
        returns (AccountState storage st)
    {
        st = _state[account];
        if (!st.enrolled) revert SolvencyRegistry__NotEnrolled(account);
        for (uint256 i = 0; i < 4; ++i) {
            if (signals[i] >= SNARK_SCALAR_FIELD) revert SolvencyRegistry__SignalNotInField(i);
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
        Current memory cur = _attestable(epoch);
        uint256 previous;
        uint256 recorded;
        for (uint256 i = 0; i < n; ++i) {
            AccountState storage st = _bind(accounts[i], signals[i], 1, cur);
            uint256 index = st.index;
            if (i > 0 && index <= previous) revert SolvencyRegistry__BatchNotInIndexOrder(i);
            previous = index;
            (bool skip, Flag why) = _batchSkip(st, cur);
            if (skip) {
                emit AttestationSkipped(accounts[i], cur.epoch, why);
                continue;
            }
            _recordAttestation(accounts[i], st, cur);
            ++recorded;
        }
        if (recorded == 0) revert SolvencyRegistry__AccountFlagged(accounts[0], _state[accounts[0]].flag);
    }

    /// @dev Whether a batch leaves `st` out, and why: flagged insolvent (`Insolvent`); and for an
    ///      epoch before the latest, it attested this epoch or a later one already (`None`), or it is
    ///      flagged stale or past its deadline, so only the latest epoch serves it now (`Stale`).
    ///      Skipped, not reverted on: one trader attesting first (or anyone replaying its proof from
    ///      the pending batch) cannot sink the venue's batch.
    function _batchSkip(AccountState storage st, Current memory cur) internal view returns (bool, Flag) {
        if (st.flag == Flag.Insolvent) return (true, Flag.Insolvent);
        if (cur.latest) return (false, Flag.None);
        if (cur.seq <= st.seq) return (true, Flag.None);
        if (st.flag == Flag.Stale || block.timestamp >= _deadline(uint64(st.seq) + 1)) return (true, Flag.Stale);
        return (false, Flag.None);
    }

    /// @dev Record a verified `solvent = 1` proof, clearing a stale flag: one slot written.
    function _recordAttestation(address account, AccountState storage st, Current memory cur) internal {
        if (st.flag == Flag.Stale) {
            st.flag = Flag.None;
            emit StaleFlagCleared(account, cur.epoch, st.flagId);
        }
        st.seq = uint40(cur.seq); // a publication count: 2^40 publications are never reached
        st.attested = true;
        emit Attested(account, cur.epoch, st.index);
    }

    /// @dev Raise `flag` at publication `seq`: a new identity unless it overrides a stale flag.
    function _raise(AccountState storage st, Flag flag, uint64 seq) internal {
        if (st.flag == Flag.None) ++st.flagId;
        st.flag = flag;
        st.flaggedSeq = uint40(seq);
        st.flaggedAt = uint48(block.timestamp);
        st.resolved = false;
    }

    /// @dev The grace deadline of an account whose first owed publication is `owedSeq`: `gracePeriod + min(L, M + ledgerGrace)` with M that publication's time and
    ///      L the first ledger publication at or after it (a ledger is never earlier than M). L is
    ///      read from the latest ledger when that is the one (or none came since), else found by
    ///      binary search over `_ledgers`: a bounded cost however many epochs the venue left without
    ///      a ledger.
    function _deadline(uint64 owedSeq) internal view returns (uint64) {
        (, uint64 owedAt) = oracle.timeAt(owedSeq);
        uint64 start = owedAt + ledgerGrace;
        uint64 at = _firstLedgerFrom(owedSeq).at;
        if (at != 0 && at < start) start = at;
        return start + gracePeriod;
    }

    /// @dev The first ledger publication for publication `seq` or a later one (zero when none).
    function _firstLedgerFrom(uint64 seq) internal view returns (LedgerEntry memory) {
        Counters memory c = _counters;
        if (c.latestLedgerSeq < seq) return LedgerEntry(0, 0);
        if (c.latestLedgerSeq == seq) return LedgerEntry(c.latestLedgerSeq, uint40(c.latestLedgerAt));
        uint256 lo = 0;
        uint256 hi = c.ledgerCount - 1; // the last entry is the latest ledger, whose seq is > `seq`
        while (lo < hi) {
            uint256 mid = (lo + hi) / 2;
            if (_ledgers[mid / 3][mid % 3] >> 40 < seq) lo = mid + 1;
            else hi = mid;
        }
        uint80 e = _ledgers[lo / 3][lo % 3];
        return LedgerEntry(uint40(e >> 40), uint40(e));
    }

    /// @dev Whether the latest publication's ledger is overdue; announces it once per publication.
    function _noteOverdue(uint64 epoch, uint64 seq, uint64 publishedAt) internal returns (bool overdue) {
        uint64 dueAt = publishedAt + ledgerGrace;
        overdue = block.timestamp >= dueAt && _counters.latestLedgerSeq != seq;
        if (overdue && _counters.overdueNotedSeq != seq) {
            _counters.overdueNotedSeq = uint40(seq);
            emit LedgerOverdue(epoch, dueAt);
        }
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
