// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IVerifier} from "./interfaces/IVerifier.sol";
import {MarginOracle} from "./MarginOracle.sol";

/// @title SolvencyRegistry
/// @notice Accounts register a Poseidon commitment to their private margin account. A Groth16
///         proof that the committed account is solvent at the oracle's latest epoch attests it;
///         a proof that it is insolvent flags it for liquidation, and so does missing the grace
///         period after an epoch without an attestation. A liquidator resolves flags.
/// @dev Public signals are [solvent, account, commitment, marketRoot]. Every refusal is a custom
///      error; a false from the verifier reverts, so no state is ever recorded on a failed proof
///      and gas estimation searches for the gas a successful verification needs.
contract SolvencyRegistry {
    uint256 internal constant SNARK_FIELD = 21888242871839275222246405745257275088548364400416034343698204186575808495617;

    enum Flag {
        None,
        Insolvent,
        Stale
    }

    struct AccountState {
        uint64 attestedEpoch; // epoch of the last attestation (valid when `attested`)
        uint64 flaggedEpoch; // epoch a flag refers to
        bool registered;
        bool attested;
        Flag flag;
    }

    /// @notice The Groth16 verifier of the solvency circuit.
    IVerifier public immutable verifier;
    /// @notice Where market roots come from.
    MarginOracle public immutable oracle;
    /// @notice Seconds after an epoch's publication before an account without an attestation
    ///         for it may be flagged stale.
    uint64 public immutable gracePeriod;
    /// @notice Who appoints the liquidator.
    address public immutable admin;
    /// @notice Who resolves flags (after liquidating or clearing an account).
    address public liquidator;

    /// @notice The commitment an account registered (0 when none).
    mapping(address => uint256) public commitmentOf;
    mapping(address => AccountState) internal _state;

    event Registered(address indexed account, uint256 commitment);
    event Attested(address indexed account, uint64 indexed epoch, uint256 commitment);
    event FlaggedInsolvent(address indexed account, uint64 indexed epoch, address indexed by);
    event FlaggedStale(address indexed account, uint64 indexed epoch, address indexed by);
    event FlagResolved(address indexed account, Flag flag, address indexed by);
    event LiquidatorChanged(address indexed previous, address indexed next);

    error SolvencyRegistry__InvalidCommitment();
    error SolvencyRegistry__NotRegistered(address account);
    error SolvencyRegistry__AccountFlagged(address account, Flag flag);
    error SolvencyRegistry__NotFlagged(address account);
    error SolvencyRegistry__NoEpoch();
    error SolvencyRegistry__UnknownEpoch(uint64 epoch, uint64 latest);
    error SolvencyRegistry__StaleEpoch(uint64 epoch, uint64 latest);
    error SolvencyRegistry__SignalNotInField(uint256 index);
    error SolvencyRegistry__NotSolventProof();
    error SolvencyRegistry__NotInsolventProof();
    error SolvencyRegistry__AccountMismatch();
    error SolvencyRegistry__CommitmentMismatch();
    error SolvencyRegistry__MarketRootMismatch();
    error SolvencyRegistry__InvalidProof();
    error SolvencyRegistry__AttestationCurrent(address account, uint64 epoch);
    error SolvencyRegistry__GracePeriodNotOver(uint64 deadline);
    error SolvencyRegistry__NotLiquidator();
    error SolvencyRegistry__NotAdmin();

    constructor(IVerifier verifier_, MarginOracle oracle_, uint64 gracePeriod_, address liquidator_) {
        verifier = verifier_;
        oracle = oracle_;
        gracePeriod = gracePeriod_;
        admin = msg.sender;
        liquidator = liquidator_;
        emit LiquidatorChanged(address(0), liquidator_);
    }

    /// @notice Register (or replace) the caller's account commitment.
    /// @dev A new commitment drops the previous attestation: it needs a proof of its own.
    ///      A flagged account cannot re-register its way out of the flag.
    /// @param commitment `zksolvency commit ACCOUNT`: a nonzero BN254 field element.
    function register(uint256 commitment) external {
        if (commitment == 0 || commitment >= SNARK_FIELD) revert SolvencyRegistry__InvalidCommitment();
        AccountState storage st = _state[msg.sender];
        if (st.flag != Flag.None) revert SolvencyRegistry__AccountFlagged(msg.sender, st.flag);
        commitmentOf[msg.sender] = commitment;
        st.registered = true;
        st.attested = false;
        emit Registered(msg.sender, commitment);
    }

    /// @notice Attest an account solvent at the latest epoch with a `solvent = 1` proof.
    /// @dev Anyone may submit (a relayer, the venue): the proof itself binds the account.
    /// @param account The registered account the proof is for.
    /// @param epoch The oracle's latest epoch.
    /// @param pA Proof point A.
    /// @param pB Proof point B (EVM coordinate order).
    /// @param pC Proof point C.
    /// @param signals [solvent, account, commitment, marketRoot].
    function attest(
        address account,
        uint64 epoch,
        uint256[2] calldata pA,
        uint256[2][2] calldata pB,
        uint256[2] calldata pC,
        uint256[4] calldata signals
    ) external {
        AccountState storage st = _checkProof(account, epoch, pA, pB, pC, signals, 1);
        st.attested = true;
        st.attestedEpoch = epoch;
        emit Attested(account, epoch, signals[2]);
    }

    /// @notice Flag an account for liquidation with a `solvent = 0` proof at the latest epoch.
    /// @param account The registered account the proof is for.
    /// @param epoch The oracle's latest epoch.
    /// @param pA Proof point A.
    /// @param pB Proof point B (EVM coordinate order).
    /// @param pC Proof point C.
    /// @param signals [solvent, account, commitment, marketRoot].
    function flagInsolvent(
        address account,
        uint64 epoch,
        uint256[2] calldata pA,
        uint256[2][2] calldata pB,
        uint256[2] calldata pC,
        uint256[4] calldata signals
    ) external {
        AccountState storage st = _checkProof(account, epoch, pA, pB, pC, signals, 0);
        st.flag = Flag.Insolvent;
        st.flaggedEpoch = epoch;
        st.attested = false;
        emit FlaggedInsolvent(account, epoch, msg.sender);
    }

    /// @notice Flag an account that has no attestation for the latest epoch once the grace
    ///         period after that epoch's publication is over. Anyone may call it.
    /// @param account The registered account.
    function flagStale(address account) external {
        AccountState storage st = _state[account];
        if (!st.registered) revert SolvencyRegistry__NotRegistered(account);
        if (st.flag != Flag.None) revert SolvencyRegistry__AccountFlagged(account, st.flag);
        (uint64 latest,, uint64 publishedAt) = oracle.latest();
        if (publishedAt == 0) revert SolvencyRegistry__NoEpoch();
        if (st.attested && st.attestedEpoch == latest) revert SolvencyRegistry__AttestationCurrent(account, latest);
        uint64 deadline = publishedAt + gracePeriod;
        if (block.timestamp < deadline) revert SolvencyRegistry__GracePeriodNotOver(deadline);
        st.flag = Flag.Stale;
        st.flaggedEpoch = latest;
        st.attested = false;
        emit FlaggedStale(account, latest, msg.sender);
    }

    /// @notice Resolve a flag once the account was liquidated or cleared; it must attest again.
    /// @param account The flagged account.
    function resolveFlag(address account) external {
        if (msg.sender != liquidator) revert SolvencyRegistry__NotLiquidator();
        AccountState storage st = _state[account];
        Flag flag = st.flag;
        if (flag == Flag.None) revert SolvencyRegistry__NotFlagged(account);
        st.flag = Flag.None;
        st.attested = false;
        emit FlagResolved(account, flag, msg.sender);
    }

    /// @notice Appoint the liquidator.
    /// @param next The new liquidator.
    function setLiquidator(address next) external {
        if (msg.sender != admin) revert SolvencyRegistry__NotAdmin();
        emit LiquidatorChanged(liquidator, next);
        liquidator = next;
    }

    /// @notice An account's full status.
    /// @param account The account.
    /// @return commitment The registered commitment (0 when none).
    /// @return registered Whether it registered.
    /// @return attested Whether its current commitment has an attestation.
    /// @return attestedEpoch The epoch of that attestation.
    /// @return flag Its flag, if any.
    /// @return flaggedEpoch The epoch the flag refers to.
    function status(address account)
        external
        view
        returns (uint256 commitment, bool registered, bool attested, uint64 attestedEpoch, Flag flag, uint64 flaggedEpoch)
    {
        AccountState storage st = _state[account];
        return (commitmentOf[account], st.registered, st.attested, st.attestedEpoch, st.flag, st.flaggedEpoch);
    }

    /// @notice True iff the account is attested solvent for the oracle's latest epoch and unflagged.
    /// @param account The account.
    /// @return Whether the account is currently attested solvent.
    function isSolvent(address account) external view returns (bool) {
        AccountState storage st = _state[account];
        (uint64 latest,, uint64 publishedAt) = oracle.latest();
        return publishedAt != 0 && st.flag == Flag.None && st.attested && st.attestedEpoch == latest;
    }

    /// @dev Every binding of SPEC §3 before the pairing: account, commitment, latest epoch's
    ///      root, verdict, signals in the field. Returns the account's state for the caller to update.
    function _checkProof(
        address account,
        uint64 epoch,
        uint256[2] calldata pA,
        uint256[2][2] calldata pB,
        uint256[2] calldata pC,
        uint256[4] calldata signals,
        uint256 verdict
    ) internal view returns (AccountState storage st) {
        st = _state[account];
        if (!st.registered) revert SolvencyRegistry__NotRegistered(account);
        if (st.flag != Flag.None) revert SolvencyRegistry__AccountFlagged(account, st.flag);
        (uint64 latest, uint256 root, uint64 publishedAt) = oracle.latest();
        if (publishedAt == 0) revert SolvencyRegistry__NoEpoch();
        if (epoch > latest) revert SolvencyRegistry__UnknownEpoch(epoch, latest);
        if (epoch < latest) revert SolvencyRegistry__StaleEpoch(epoch, latest);
        for (uint256 i = 0; i < 4; ++i) {
            if (signals[i] >= SNARK_FIELD) revert SolvencyRegistry__SignalNotInField(i);
        }
        if (signals[0] != verdict) {
            if (verdict == 1) revert SolvencyRegistry__NotSolventProof();
            revert SolvencyRegistry__NotInsolventProof();
        }
        if (signals[1] != uint256(uint160(account))) revert SolvencyRegistry__AccountMismatch();
        if (signals[2] != commitmentOf[account]) revert SolvencyRegistry__CommitmentMismatch();
        if (signals[3] != root) revert SolvencyRegistry__MarketRootMismatch();
        if (!verifier.verifyProof(pA, pB, pC, signals)) revert SolvencyRegistry__InvalidProof();
    }
}
