// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {IMarginOracle} from "../interfaces/IMarginOracle.sol";
import {ISolvencyRegistry} from "../interfaces/ISolvencyRegistry.sol";
import {InsuranceFund} from "./InsuranceFund.sol";

/// @dev The one read of the registry outside `ISolvencyRegistry`: its market oracle, which
///      `SolvencyRegistry` exposes (`oracle()`). The vault reads it once, in its constructor.
interface IRegistryOracle {
    /// @notice The registry's market oracle.
    /// @return The oracle.
    function oracle() external view returns (IMarginOracle);
}

/// @title MarginVault (example protocol)
/// @notice A margin vault that acts on the zksolvency registry's verdicts. Traders deposit one
///         ERC-20 collateral; a trader withdraws only while the registry attests their account
///         solvent at the oracle's latest epoch. The deposit of a flagged account is liquidated in
///         slices, by anyone: each slice pays the caller a bounty that rises with the time the
///         slice has been waiting, a penalty to the insurance fund, and holds the rest here for the
///         venue's liquidator, who settles it, reports what the account still owes (the fund pays
///         it, up to what it holds, to the venue; the rest is socialised loss) and then resolves
///         the flag on the registry.
/// @dev Liquidation rules (docs/spec.md §10):
///      - A liquidation belongs to one registry flag identity (`flagId`). It begins with its first
///        slice, and its basis is the deposit at that moment. A registry override stale ->
///        insolvent keeps the `flagId`, so it continues the same liquidation (basis, slices taken,
///        cooldown) and ends any cure window; a new `flagId` starts a new liquidation.
///      - An insolvency flag is liquidatable at once (from `flaggedAt`). A stale flag gets a cure
///        window for late proofs: no slice before max(`flaggedAt`, the latest ledger publication)
///        + `cureWindow`, none at all while `registry.ledgerOverdue()`, and no first slice while
///        the oracle's latest market has no ledger yet (a stale account may cure only by attesting
///        the latest epoch, which needs its ledger root: a market published inside the window
///        would otherwise leave the account no way to cure while the window ran; the ledger,
///        when it comes, starts the window again). This concerns the first slice only: once a
///        slice was taken the cure window is over, and the next slices keep their cooldown
///        (only an overdue ledger stops them). A solvent attestation
///        for the latest epoch clears a stale flag in the registry: before the first slice that
///        ends it; once a slice was taken, the liquidation continues until the venue's liquidator
///        resolves the flag or the account attests an epoch whose market was published after the
///        last slice, in the oracle's order (an attestation of an older market counted collateral
///        the vault has paid out since; a market of the slice's own block counts by its order). While a liquidation continues the account cannot withdraw or deposit.
///      - `liquidate(account)` takes exactly min(slice, deposit), slice = basis * `sliceBps` / BPS
///        (the basis itself if that rounds to 0), except that slice number `sliceCount` =
///        ceil(BPS / `sliceBps`) and any after it take the whole deposit: rounding never leaves a
///        remainder of dust that no keeper would pay gas for; the next slice is liquidatable `cooldown`
///        seconds later. Split: `split`. `liquidationQuote` runs the same code as `liquidate`
///        (`_plan`), so the two cannot diverge.
///      - `liquidateAtLeast(account, minBounty_)` is `liquidate` with a slippage guard: it reverts
///        (`BountyBelowMinimum`) unless the bounty is at least `minBounty_`. A keeper that priced
///        the quote at the pending block sends it with the quoted bounty, so that anything mined in
///        front of it that lowers the bounty (an insolvency override restarts the first slice's
///        auction at `flaggedAt`) costs it the gas of a revert, not the slice at the floor.
///      Every parameter is immutable: no role can change the bounty or the penalty in front of a
///      liquidation; a new policy is a new vault. Roles (OpenZeppelin AccessControl): the admin
///      only grants and revokes roles; `LIQUIDATOR_ROLE` (the venue's liquidator) only moves what
///      liquidations hold (`release`) and reports shortfalls (`reportShortfall`). No role can
///      touch the deposit of an account that is not being liquidated. The vault pays shortfalls
///      through the fund's `VAULT_ROLE`, which the fund's admin grants it after deployment.
///
///      Trust and limits, stated rather than hidden:
///      - The registry attests the venue's book, not this vault's balance. The venue counts vault
///        deposits as collateral in its ledger (from `Deposited` / `Withdrawn` events), so a
///        withdrawal shows up in the next epoch's proof; within one epoch the latest attestation
///        is all the chain knows. Publishing a new epoch halts every withdrawal until the account
///        attests it.
///      - The venue's liquidator decides what to do with a held rest (to the venue, back to an
///        account that was only late, to the fund) from `registry.flagOf` when it releases, never
///        from the flag recorded in `Liquidated` (a stale flag may be overridden by an insolvency
///        proof later).
///      - The vault reads flags, it does not raise them: an account past its grace period but not
///        yet flagged (`flagStale` not called) cannot be liquidated here.
///      - A stale flag cleared by an attestation of an older market (after a slice) cannot be
///        resolved on the registry (it is no longer raised): that liquidation ends when the
///        account attests a later market, or when its deposit is gone.
///      - Fee-on-transfer tokens are credited what actually arrived; an outgoing fee is the
///        recipient's loss (a withdrawal, a bounty or a penalty arrives net of it). Rebasing
///        tokens are not supported. A token that can blacklist the caller or the insurance fund
///        can block a liquidation.
///      Reentrancy: every state-changing entry point is `nonReentrant` (the transient-storage
///      guard: EIP-1153 on the cancun target, measured against the storage guard by
///      `bench/vault.py`). `withdraw`, `liquidate`, `liquidateAtLeast`, `release` and
///      `reportShortfall` also follow checks-effects-interactions; `deposit` cannot (it credits
///      the balance difference across the transfer), so there the guard is what keeps a token's
///      callback from being credited twice.
contract MarginVault is AccessControl, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice Basis points in one whole: slice, bounty and penalty rates are fractions of it.
    uint256 public constant BPS = 10_000;
    /// @notice The longest auction, cooldown or cure window (7 days).
    uint64 public constant MAX_DURATION = 7 days;
    /// @notice The shortest cure window (1 minute): a late account needs time to land its proof.
    uint64 public constant MIN_CURE_WINDOW = 60;
    /// @notice The venue's liquidator: settles what liquidations hold (`release`) and reports
    ///         shortfalls (`reportShortfall`).
    bytes32 public constant LIQUIDATOR_ROLE = keccak256("LIQUIDATOR_ROLE");

    /// @notice One liquidation: of the registry flag `flagId`, its basis (the deposit at its first
    ///         slice), how many slices it took and when it took the last one.
    struct Liquidation {
        uint256 basis;
        uint64 flagId;
        uint64 slices;
        uint64 lastSliceAt;
        uint64 lastSliceSeq; // the oracle's publication count when the last slice was taken
    }

    /// @notice The liquidation policy, given to the constructor (each field is an immutable of the
    ///         same name).
    /// @param minBounty The bounty at the start of each auction, in token units.
    /// @param maxBountyBps The bounty at the end of the auction, a fraction of the slice;
    ///        `maxBountyBps + penaltyBps` at most `BPS`.
    /// @param auctionDuration Seconds the bounty rises for (in [1, `MAX_DURATION`]).
    /// @param penaltyBps The penalty rate.
    /// @param sliceBps A slice as a fraction of the basis (in [1, `BPS`]).
    /// @param cooldown Seconds between slices (in [1, `MAX_DURATION`]).
    /// @param cureWindow Seconds a stale account has to cure (in [`MIN_CURE_WINDOW`, `MAX_DURATION`]).
    struct Policy {
        uint256 minBounty;
        uint256 maxBountyBps;
        uint64 auctionDuration;
        uint256 penaltyBps;
        uint256 sliceBps;
        uint64 cooldown;
        uint64 cureWindow;
    }

    /// @notice What `liquidate(account)` would do in the same block (`liquidationQuote`).
    /// @param seized Taken from the deposit: min(slice, deposit) (0 when not liquidatable now).
    /// @param bounty To the caller.
    /// @param penalty To the insurance fund.
    /// @param held Kept for the venue's liquidator.
    /// @param liquidatable Whether `liquidate` succeeds in this block.
    /// @param from When this slice is (or was) liquidatable: the auction's start. 0 when it cannot
    ///        become liquidatable without a new event (not flagged, nothing deposited, the ledger
    ///        overdue, or, for a stale flag's first slice, the latest market's ledger pending).
    struct Quote {
        uint256 seized;
        uint256 bounty;
        uint256 penalty;
        uint256 held;
        bool liquidatable;
        uint64 from;
    }

    /// @notice An account in the vault, for a CLI or a keeper (`status`).
    /// @param deposit Its deposit.
    /// @param held What its liquidations hold for the venue's liquidator.
    /// @param flag Its registry flag.
    /// @param flagId The registry's current (or last) flag identity.
    /// @param inProgress A liquidation of `flagId` took a slice and has not ended: no withdrawal.
    /// @param basis That liquidation's basis (0 when none began for `flagId`).
    /// @param slices Slices it took.
    /// @param lastSliceAt When it took the last one.
    /// @param liquidatable Whether `liquidate` succeeds in this block.
    /// @param nextLiquidatableAt When the next slice is liquidatable (`Quote.from`; 0: not without a
    ///        new event).
    /// @param shortfallReported A shortfall was reported for `flagId`.
    struct Status {
        uint256 deposit;
        uint256 held;
        ISolvencyRegistry.Flag flag;
        uint64 flagId;
        bool inProgress;
        uint256 basis;
        uint64 slices;
        uint64 lastSliceAt;
        bool liquidatable;
        uint64 nextLiquidatableAt;
        bool shortfallReported;
    }

    /// @dev Why a liquidation cannot go ahead now.
    enum Refusal {
        None,
        NotFlagged,
        NothingToLiquidate,
        LedgerOverdue,
        LedgerPending,
        NotYet
    }

    /// @dev Everything `liquidate` acts on, computed by `_plan` (and shown by `liquidationQuote`).
    struct Plan {
        Refusal refusal;
        ISolvencyRegistry.Flag flag;
        uint64 flagId;
        bool fresh; // the first slice of a new liquidation
        uint256 basis;
        uint64 from;
        uint64 pendingEpoch; // LedgerPending: the latest market, whose ledger the first slice waits for
        uint256 seized;
        uint256 bounty;
        uint256 penalty;
        uint256 held;
    }

    /// @notice The zksolvency registry whose verdicts gate withdrawals and liquidations.
    ISolvencyRegistry public immutable registry;
    /// @notice The registry's market oracle: when each epoch was published.
    IMarginOracle public immutable oracle;
    /// @notice The collateral token.
    IERC20 public immutable token;
    /// @notice Receives penalties and pays reported shortfalls (this vault holds its `VAULT_ROLE`).
    InsuranceFund public immutable insuranceFund;
    /// @notice Where the insurance fund pays reported shortfalls: the venue.
    address public immutable venue;
    /// @notice The bounty at the start of each slice's auction (token units), so that a small
    ///         slice is still worth a keeper's gas; capped at the slice.
    uint256 public immutable minBounty;
    /// @notice The bounty at the end of the auction, as a fraction of the slice (at least
    ///         `minBounty`), in basis points.
    uint256 public immutable maxBountyBps;
    /// @notice Seconds over which the bounty rises from `minBounty` to its maximum.
    uint64 public immutable auctionDuration;
    /// @notice The penalty to the insurance fund as a fraction of the slice, in basis points.
    uint256 public immutable penaltyBps;
    /// @notice A slice as a fraction of the liquidation's basis, in basis points.
    uint256 public immutable sliceBps;
    /// @notice The number of the slice that takes the whole remaining deposit: ceil(BPS / `sliceBps`).
    uint256 public immutable sliceCount;
    /// @notice Seconds from one slice until the next is liquidatable.
    uint64 public immutable cooldown;
    /// @notice Seconds a stale-flagged account has to cure with a late proof (from its flag or
    ///         the latest ledger publication, whichever is later).
    uint64 public immutable cureWindow;

    /// @notice A trader's deposit (token units).
    mapping(address account => uint256 amount) public balanceOf;
    /// @notice What liquidations of an account hold for the venue's liquidator to settle.
    mapping(address account => uint256 amount) public heldOf;
    /// @notice An account's latest liquidation (it applies while the registry's `flagId` is its).
    mapping(address account => Liquidation) public liquidationOf;
    /// @notice The registry flag identity of the last shortfall reported for an account (0: none).
    mapping(address account => uint64 flagId) public shortfallFlagIdOf;
    /// @notice Reported shortfalls the insurance fund could not cover, in total (token units).
    uint256 public socialisedLoss;

    /// @notice `amount` (what the vault received) was credited to `account`.
    event Deposited(address indexed account, uint256 amount);
    /// @notice `account` withdrew `amount`.
    event Withdrawn(address indexed account, uint256 amount);
    /// @notice A liquidation of `account` under the registry flag `flagId` began, of `basis`.
    event LiquidationStarted(address indexed account, uint64 indexed flagId, ISolvencyRegistry.Flag flag, uint256 basis);
    /// @notice `keeper` took slice number `slice` of the liquidation `flagId` of `account` (flagged
    ///         `flag` at the time): `seized` = `bounty` (to the keeper) + `penalty` (to the
    ///         insurance fund) + `held` (kept here).
    event Liquidated(
        address indexed account,
        address indexed keeper,
        uint64 indexed flagId,
        ISolvencyRegistry.Flag flag,
        uint64 slice,
        uint256 seized,
        uint256 bounty,
        uint256 penalty,
        uint256 held
    );
    /// @notice The liquidator `by` paid `amount` held from `account`'s liquidation out to `to`.
    event Released(address indexed account, address indexed to, uint256 amount, address indexed by);
    /// @notice The liquidator reported a `shortfall` of `account` under its insolvency flag
    ///         `flagId`: the insurance fund paid `covered` to the venue, `socialised` is not covered.
    event ShortfallReported(
        address indexed account, uint64 indexed flagId, uint256 shortfall, uint256 covered, uint256 socialised
    );

    /// @notice An address that must be set is zero.
    error MarginVault__ZeroAddress();
    /// @notice `target` (the registry, the token, the fund or the registry's oracle) has no code.
    error MarginVault__NotAContract(address target);
    /// @notice The insurance fund is this vault, or not an `InsuranceFund` of the vault's token.
    error MarginVault__InvalidInsuranceFund();
    /// @notice Bounty and penalty rates above `BPS` together.
    error MarginVault__BpsTooHigh(uint256 maxBountyBps, uint256 penaltyBps);
    /// @notice A slice rate of 0 or above `BPS`.
    error MarginVault__SliceBpsOutOfRange(uint256 sliceBps);
    /// @notice An auction duration outside [`min`, `max`] seconds.
    error MarginVault__AuctionDurationOutOfRange(uint64 given, uint64 min, uint64 max);
    /// @notice A cooldown outside [`min`, `max`] seconds.
    error MarginVault__CooldownOutOfRange(uint64 given, uint64 min, uint64 max);
    /// @notice A cure window outside [`min`, `max`] seconds.
    error MarginVault__CureWindowOutOfRange(uint64 given, uint64 min, uint64 max);
    /// @notice An amount of 0.
    error MarginVault__ZeroAmount();
    /// @notice A deposit credited nothing (a fee-on-transfer token took all of it).
    error MarginVault__NothingReceived();
    /// @notice `account` is flagged `flag` by the registry: no deposit, no withdrawal.
    error MarginVault__AccountFlagged(address account, ISolvencyRegistry.Flag flag);
    /// @notice `account` is not attested solvent for the oracle's latest epoch.
    error MarginVault__NotSolvent(address account);
    /// @notice A withdrawal of `amount` beyond the deposit `balance`.
    error MarginVault__InsufficientBalance(address account, uint256 balance, uint256 amount);
    /// @notice A liquidation of `account` (flag identity `flagId`) continues: no withdrawal or deposit.
    error MarginVault__LiquidationInProgress(address account, uint64 flagId);
    /// @notice `account` is not flagged and no liquidation of it continues.
    error MarginVault__NotFlagged(address account);
    /// @notice `account` has nothing deposited: there is no zero-amount slice.
    error MarginVault__NothingToLiquidate(address account);
    /// @notice A stale flag is not liquidated while the venue's ledger is overdue.
    error MarginVault__LedgerOverdue(address account);
    /// @notice The first slice of a stale-flagged `account` waits for the venue's ledger of the
    ///         oracle's latest `epoch` (the account cannot cure until it is published); its cure
    ///         window runs from that ledger's publication.
    error MarginVault__LedgerPending(address account, uint64 epoch);
    /// @notice The next slice of `account` is liquidatable at `from` (the cure window or the cooldown).
    error MarginVault__NotLiquidatableYet(address account, uint64 from);
    /// @notice `liquidateAtLeast`: the slice of `account` would pay a `bounty` below the caller's
    ///         `minBounty` (nothing was taken).
    error MarginVault__BountyBelowMinimum(address account, uint256 bounty, uint256 minBounty);
    /// @notice A release of `amount` beyond what liquidations of `account` hold.
    error MarginVault__InsufficientHeld(address account, uint256 held, uint256 amount);
    /// @notice A shortfall is reported only for an account the registry flags insolvent.
    error MarginVault__NotFlaggedInsolvent(address account, ISolvencyRegistry.Flag flag);
    /// @notice A shortfall is reported once the account is settled: nothing deposited, nothing held.
    error MarginVault__NotSettled(address account, uint256 deposit, uint256 held);
    /// @notice `reportShortfall`: this vault took no slice of `account` under flag `flagId`, so no
    ///         loss of that flag came through it.
    error MarginVault__NotLiquidatedHere(address account, uint64 flagId);
    /// @notice A shortfall was reported for this flag identity already.
    error MarginVault__ShortfallAlreadyReported(address account, uint64 flagId);

    /// @param token_ The collateral token (a contract).
    /// @param registry_ The zksolvency registry (a contract; its oracle is read from it).
    /// @param insuranceFund_ An `InsuranceFund` of `token_`: receives penalties, pays shortfalls
    ///        (grant this vault its `VAULT_ROLE`).
    /// @param venue_ Where the fund pays reported shortfalls (nonzero).
    /// @param policy The liquidation policy (`Policy`), checked against its bounds.
    /// @param admin Grants and revokes roles.
    /// @param liquidator The venue's liquidator (`LIQUIDATOR_ROLE`).
    constructor(
        IERC20 token_,
        ISolvencyRegistry registry_,
        InsuranceFund insuranceFund_,
        address venue_,
        Policy memory policy,
        address admin,
        address liquidator
    ) {
        if (
            address(token_) == address(0) || address(registry_) == address(0) || address(insuranceFund_) == address(0)
                || venue_ == address(0) || admin == address(0) || liquidator == address(0)
        ) revert MarginVault__ZeroAddress();
        // a mistyped address would otherwise deploy a vault whose every call fails (or, for a
        // token without code, whose transfers "succeed" moving nothing)
        if (address(registry_).code.length == 0) revert MarginVault__NotAContract(address(registry_));
        if (address(token_).code.length == 0) revert MarginVault__NotAContract(address(token_));
        _checkFund(insuranceFund_, token_);
        _checkPolicy(policy);
        IMarginOracle oracle_ = IRegistryOracle(address(registry_)).oracle();
        if (address(oracle_).code.length == 0) revert MarginVault__NotAContract(address(oracle_));
        token = token_;
        registry = registry_;
        oracle = oracle_;
        insuranceFund = insuranceFund_;
        venue = venue_;
        minBounty = policy.minBounty;
        maxBountyBps = policy.maxBountyBps;
        auctionDuration = policy.auctionDuration;
        penaltyBps = policy.penaltyBps;
        sliceBps = policy.sliceBps;
        sliceCount = Math.ceilDiv(BPS, policy.sliceBps);
        cooldown = policy.cooldown;
        cureWindow = policy.cureWindow;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(LIQUIDATOR_ROLE, liquidator);
    }

    // ------------------------------------------------------------------ traders

    /// @notice Deposit `amount` of the token (approve the vault first); the vault credits what it
    ///         actually received.
    /// @dev Refused for a flagged account and while a liquidation of the account continues (the
    ///      deposit would be liquidated), and for 0. An account the venue has not enrolled yet may
    ///      deposit: it withdraws once enrolled and attested. The credit is the vault's balance
    ///      difference across the transfer, so a fee-on-transfer token cannot inflate it;
    ///      `nonReentrant` keeps a token's callback from re-entering between the two balance reads
    ///      and being counted twice.
    /// @param amount Token units to pull from the caller.
    /// @return received What was credited.
    function deposit(uint256 amount) external nonReentrant returns (uint256 received) {
        if (amount == 0) revert MarginVault__ZeroAmount();
        ISolvencyRegistry.Flag flag = registry.flagOf(msg.sender);
        if (flag != ISolvencyRegistry.Flag.None) revert MarginVault__AccountFlagged(msg.sender, flag);
        _refuseInProgress(msg.sender);
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), amount);
        received = token.balanceOf(address(this)) - before;
        if (received == 0) revert MarginVault__NothingReceived();
        balanceOf[msg.sender] += received;
        emit Deposited(msg.sender, received);
    }

    /// @notice Withdraw `amount` of your deposit; only while the registry attests your account
    ///         solvent at the oracle's latest epoch (`isSolvent`) and no liquidation of it continues.
    /// @dev Refused with `AccountFlagged` when flagged (insolvent or stale), `NotSolvent` when not
    ///      attested for the latest epoch (never, or only an earlier one), `LiquidationInProgress`
    ///      when a stale flag was cleared after a slice by an attestation of a market published
    ///      before that slice, `InsufficientBalance` beyond the deposit. An account never
    ///      liquidated pays one storage read for the liquidation check. Checks, then the balance,
    ///      then the transfer.
    /// @param amount Token units to withdraw (nonzero).
    function withdraw(uint256 amount) external nonReentrant {
        if (amount == 0) revert MarginVault__ZeroAmount();
        if (!registry.isSolvent(msg.sender)) _revertNotSolvent(msg.sender);
        _refuseInProgress(msg.sender);
        uint256 balance = balanceOf[msg.sender];
        if (amount > balance) revert MarginVault__InsufficientBalance(msg.sender, balance, amount);
        unchecked {
            balanceOf[msg.sender] = balance - amount; // amount <= balance
        }
        emit Withdrawn(msg.sender, amount);
        token.safeTransfer(msg.sender, amount);
    }

    // ------------------------------------------------------------------ keepers

    /// @notice Take the next slice of a liquidatable account's deposit (see the contract's rules):
    ///         the bounty goes to the caller, the penalty to the insurance fund, the rest is held
    ///         for the venue's liquidator. Anyone may call.
    /// @dev Exactly what `liquidationQuote(account)` says in the same block (both run `_plan`).
    ///      Refused with `NotFlagged` (no flag and no liquidation continuing), `NothingToLiquidate`
    ///      (an empty deposit: never a zero-amount slice), `LedgerOverdue` (a stale flag while the
    ///      venue's ledger is overdue), `LedgerPending` (a stale flag's first slice while the
    ///      oracle's latest market has no ledger), `NotLiquidatableYet` (the cure window or the
    ///      cooldown). Of two keepers in one block only the first gets the slice (the second meets
    ///      the cooldown), and its bounty depends on the block's time only, not on its priority fee:
    ///      but a transaction mined in front of it can lower it (an insolvency override restarts a
    ///      first slice's auction). A keeper that wants the bounty it priced calls
    ///      `liquidateAtLeast`.
    ///      The state is written before any transfer; a zero bounty or penalty is not transferred.
    ///      A flagged account liquidating itself gets the bounty: the bounty leaves the deposit
    ///      whoever calls, so this costs the venue nothing more.
    /// @param account The account.
    /// @return seized Taken from the deposit.
    /// @return bounty Paid to the caller.
    /// @return penalty Paid to the insurance fund.
    /// @return held Kept for the venue's liquidator.
    function liquidate(address account)
        external
        nonReentrant
        returns (uint256 seized, uint256 bounty, uint256 penalty, uint256 held)
    {
        return _liquidate(account, 0);
    }

    /// @notice `liquidate(account)` with a slippage guard: the same slice and split, but nothing
    ///         happens unless the bounty is at least `minBounty_` (the bounty this block pays
    ///         before any token fee, as `liquidationQuote` shows it).
    /// @dev Refused with `liquidate`'s refusals first, then `BountyBelowMinimum(account, bounty,
    ///      minBounty_)`. A keeper that priced the quote at the pending block passes the quoted
    ///      bounty: a later block only pays more for the same slice, unless something mined in
    ///      front of it restarted the auction (an insolvency override of a stale flag sets
    ///      `flaggedAt` to its block, and a first slice's auction starts there) and then this
    ///      reverts instead of taking the slice at a lower bounty. 0 is `liquidate`.
    /// @param account The account.
    /// @param minBounty_ The smallest bounty the caller accepts, in token units.
    /// @return seized Taken from the deposit.
    /// @return bounty Paid to the caller (at least `minBounty_`).
    /// @return penalty Paid to the insurance fund.
    /// @return held Kept for the venue's liquidator.
    function liquidateAtLeast(address account, uint256 minBounty_)
        external
        nonReentrant
        returns (uint256 seized, uint256 bounty, uint256 penalty, uint256 held)
    {
        return _liquidate(account, minBounty_);
    }

    /// @dev `liquidate` and `liquidateAtLeast`: the plan, its refusal, the caller's minimum bounty,
    ///      then the state, the event and the transfers.
    function _liquidate(address account, uint256 atLeast)
        internal
        returns (uint256 seized, uint256 bounty, uint256 penalty, uint256 held)
    {
        Plan memory p = _plan(account);
        if (p.refusal != Refusal.None) _revertRefusal(account, p);
        if (p.bounty < atLeast) revert MarginVault__BountyBelowMinimum(account, p.bounty, atLeast);
        Liquidation storage l = liquidationOf[account];
        if (p.fresh) {
            l.basis = p.basis;
            l.flagId = p.flagId;
            l.slices = 0;
            emit LiquidationStarted(account, p.flagId, p.flag, p.basis);
        }
        uint64 slice = l.slices + 1;
        l.slices = slice;
        l.lastSliceAt = uint64(block.timestamp);
        l.lastSliceSeq = oracle.publicationCount();
        (seized, bounty, penalty, held) = (p.seized, p.bounty, p.penalty, p.held);
        unchecked {
            balanceOf[account] -= seized; // seized <= the deposit (`_plan`)
        }
        if (held != 0) heldOf[account] += held;
        emit Liquidated(account, msg.sender, p.flagId, p.flag, slice, seized, bounty, penalty, held);
        if (bounty != 0) token.safeTransfer(msg.sender, bounty);
        if (penalty != 0) token.safeTransfer(address(insuranceFund), penalty);
    }

    /// @notice What `liquidate(account)` would do in this block, exactly: the slice it would take
    ///         and its split, whether it would succeed, and when the slice is liquidatable.
    /// @dev Runs the same code as `liquidate` (`_plan`). In an `eth_call` against the pending
    ///      block it is the quote of a transaction mined in that block. The amounts are 0 when
    ///      `liquidatable` is false. `from` is computed from the chain as it is: a ledger published
    ///      later moves a cure window, an overdue ledger stops a stale liquidation, and a stale
    ///      flag's first slice waits (`from` 0) while the latest market has no ledger.
    /// @param account The account.
    /// @return q The quote.
    function liquidationQuote(address account) external view returns (Quote memory q) {
        Plan memory p = _plan(account);
        q.liquidatable = p.refusal == Refusal.None;
        q.from = p.from;
        if (q.liquidatable) (q.seized, q.bounty, q.penalty, q.held) = (p.seized, p.bounty, p.penalty, p.held);
    }

    /// @notice An account in the vault: deposit, held, registry flag, the liquidation of that flag
    ///         (basis, slices, last slice), and when the next slice is liquidatable.
    /// @param account The account.
    /// @return s The status.
    function status(address account) external view returns (Status memory s) {
        ISolvencyRegistry.AccountStatus memory r = registry.status(account);
        Liquidation memory l = liquidationOf[account];
        s.deposit = balanceOf[account];
        s.held = heldOf[account];
        s.flag = r.flag;
        s.flagId = r.flagId;
        if (l.flagId == r.flagId && l.slices != 0) {
            s.basis = l.basis;
            s.slices = l.slices;
            s.lastSliceAt = l.lastSliceAt;
            s.inProgress = _continues(r, l);
        }
        Plan memory p = _plan(account);
        s.liquidatable = p.refusal == Refusal.None;
        s.nextLiquidatableAt = p.from;
        s.shortfallReported = r.flagId != 0 && shortfallFlagIdOf[account] == r.flagId;
    }

    /// @notice How a slice splits at `elapsed` seconds into its auction, exactly, in token units.
    /// @dev maxB    = max(minBounty, floor(seized * maxBountyBps / BPS));
    ///      bounty  = min(seized, minBounty + floor((maxB - minBounty) * min(elapsed, D) / D));
    ///      penalty = min(seized - bounty, floor(seized * penaltyBps / BPS));
    ///      held    = seized - bounty - penalty (the rounding remainder stays with the venue).
    ///      D is `auctionDuration`. Everything rounds down, so the keeper and the fund never get a
    ///      unit more than their rate; a small slice pays its keeper first, the fund from what is
    ///      left. `mulDiv` is exact for any uint256 slice.
    /// @param seized The slice.
    /// @param elapsed Seconds since the slice became liquidatable.
    /// @return bounty To the caller.
    /// @return penalty To the insurance fund.
    /// @return held For the venue's liquidator.
    function split(uint256 seized, uint256 elapsed) public view returns (uint256 bounty, uint256 penalty, uint256 held) {
        uint256 maxB = Math.max(minBounty, Math.mulDiv(seized, maxBountyBps, BPS));
        uint256 rise = Math.mulDiv(maxB - minBounty, Math.min(elapsed, auctionDuration), auctionDuration);
        bounty = Math.min(seized, minBounty + rise); // minBounty + rise <= maxB
        uint256 remaining = seized - bounty;
        penalty = Math.min(remaining, Math.mulDiv(seized, penaltyBps, BPS));
        held = remaining - penalty;
    }

    /// @notice The slice a liquidation of `basis` takes: basis * sliceBps / BPS, or the basis when
    ///         that rounds to 0 (a slice takes what remains if less, and slice number
    ///         `sliceCount` takes all that remains).
    /// @param basis The liquidation's basis.
    /// @return The slice.
    function sliceOf(uint256 basis) public view returns (uint256) {
        uint256 slice = Math.mulDiv(basis, sliceBps, BPS);
        return slice == 0 ? basis : slice;
    }

    // ------------------------------------------------------------------ the venue's liquidator

    /// @notice Pay out what liquidations of `account` hold: to the venue (to cover the account's
    ///         losses), back to the trader (a surplus), or to the insurance fund. Then report any
    ///         shortfall (`reportShortfall`) and resolve the flag on the registry (a registry role
    ///         this vault does not hold).
    /// @param account The liquidated account.
    /// @param to The recipient (nonzero).
    /// @param amount Token units, at most `heldOf(account)` (nonzero).
    function release(address account, address to, uint256 amount) external onlyRole(LIQUIDATOR_ROLE) nonReentrant {
        if (to == address(0)) revert MarginVault__ZeroAddress();
        if (amount == 0) revert MarginVault__ZeroAmount();
        uint256 held = heldOf[account];
        if (amount > held) revert MarginVault__InsufficientHeld(account, held, amount);
        unchecked {
            heldOf[account] = held - amount; // amount <= held
        }
        emit Released(account, to, amount, msg.sender);
        token.safeTransfer(to, amount);
    }

    /// @notice Report what a settled insolvent account still owes the venue: the insurance fund
    ///         pays it, up to what it holds, to `venue`; the rest is recorded as socialised loss.
    ///         Once per registry flag identity, before the flag is resolved.
    /// @dev Refused unless the registry flags the account `Insolvent` (`NotFlaggedInsolvent`: a
    ///      stale flag is no loss), its deposit and held balance are both zero (`NotSettled`: take
    ///      every slice and release what is held first), this vault liquidated the account under
    ///      that flag (`NotLiquidatedHere`: an account that never had a slice taken here brought
    ///      this vault no loss), and no shortfall was reported for this `flagId`
    ///      (`ShortfallAlreadyReported`). The amount is the venue's word (the book is private):
    ///      the fund's admin trusts the vault's `LIQUIDATOR_ROLE` with the fund when it grants the
    ///      vault `VAULT_ROLE`. The report is recorded before the fund pays
    ///      (through its `VAULT_ROLE`, which this vault must hold when the fund has anything to pay).
    /// @param account The insolvent account.
    /// @param amount The shortfall, in token units (nonzero).
    /// @return covered Paid by the insurance fund to the venue.
    /// @return socialised Not covered: added to `socialisedLoss`.
    function reportShortfall(address account, uint256 amount)
        external
        onlyRole(LIQUIDATOR_ROLE)
        nonReentrant
        returns (uint256 covered, uint256 socialised)
    {
        if (amount == 0) revert MarginVault__ZeroAmount();
        ISolvencyRegistry.AccountStatus memory r = registry.status(account);
        if (r.flag != ISolvencyRegistry.Flag.Insolvent) revert MarginVault__NotFlaggedInsolvent(account, r.flag);
        uint256 deposit_ = balanceOf[account];
        uint256 held = heldOf[account];
        if (deposit_ != 0 || held != 0) revert MarginVault__NotSettled(account, deposit_, held);
        Liquidation storage l = liquidationOf[account];
        if (l.flagId != r.flagId || l.slices == 0) revert MarginVault__NotLiquidatedHere(account, r.flagId);
        if (shortfallFlagIdOf[account] == r.flagId) revert MarginVault__ShortfallAlreadyReported(account, r.flagId);
        covered = Math.min(amount, token.balanceOf(address(insuranceFund)));
        socialised = amount - covered;
        shortfallFlagIdOf[account] = r.flagId;
        if (socialised != 0) socialisedLoss += socialised;
        emit ShortfallReported(account, r.flagId, amount, covered, socialised);
        if (covered != 0) insuranceFund.payShortfall(venue, covered);
    }

    // ------------------------------------------------------------------ internal

    /// @dev The one computation behind `liquidate`, `liquidateAtLeast`, `liquidationQuote` and
    ///      `status`: which liquidation the account is in (continuing, or a new one of its current
    ///      flag), whether it may take a slice now, since when, and the slice's split at this
    ///      block's time.
    function _plan(address account) internal view returns (Plan memory p) {
        ISolvencyRegistry.AccountStatus memory r = registry.status(account);
        Liquidation memory l = liquidationOf[account];
        p.flag = r.flag;
        p.flagId = r.flagId;
        bool continuing = l.flagId == r.flagId && l.slices != 0 && _continues(r, l);
        if (!continuing && r.flag == ISolvencyRegistry.Flag.None) {
            p.refusal = Refusal.NotFlagged;
            return p;
        }
        uint256 remaining = balanceOf[account];
        if (remaining == 0) {
            p.refusal = Refusal.NothingToLiquidate;
            return p;
        }
        // an insolvency flag (raised, or an override of a stale one) is never held back by the
        // venue's ledger; a stale one, or what continues after it was cleared, is
        if (r.flag != ISolvencyRegistry.Flag.Insolvent && registry.ledgerOverdue()) {
            p.refusal = Refusal.LedgerOverdue;
            return p;
        }
        if (continuing) {
            p.basis = l.basis;
            p.from = l.lastSliceAt + cooldown;
        } else {
            p.fresh = true;
            p.basis = remaining;
            p.from = r.flaggedAt;
            if (r.flag == ISolvencyRegistry.Flag.Stale) {
                // the account cures only by attesting the latest epoch, which needs its ledger:
                // until it is out there is no cure, so no cure window may run out
                (uint64 ledgerEpoch,, uint64 ledgerAt) = registry.latestLedger();
                (uint64 latest,,,) = oracle.latest(); // slots the registry just read: warm
                if (ledgerEpoch != latest) {
                    p.refusal = Refusal.LedgerPending;
                    p.from = 0;
                    p.pendingEpoch = latest;
                    return p;
                }
                p.from = uint64(Math.max(r.flaggedAt, ledgerAt)) + cureWindow;
            }
        }
        if (block.timestamp < p.from) {
            p.refusal = Refusal.NotYet;
            return p;
        }
        uint256 number = (continuing ? l.slices : 0) + 1;
        p.seized = number >= sliceCount ? remaining : Math.min(sliceOf(p.basis), remaining);
        (p.bounty, p.penalty, p.held) = split(p.seized, block.timestamp - p.from);
    }

    /// @dev Whether the liquidation `l`, of the registry's current `flagId` and with a slice taken,
    ///      continues: while the flag is raised, yes; once it is down, unless the liquidator
    ///      resolved it or the account attested an epoch whose market came after the last slice.
    function _continues(ISolvencyRegistry.AccountStatus memory r, Liquidation memory l) internal view returns (bool) {
        if (r.flag != ISolvencyRegistry.Flag.None) return true;
        if (r.flagResolved) return false;
        if (!r.attested) return true;
        // by publication order, not time: a market published in the block of a slice, after it,
        // is a market the slice was taken before
        return oracle.seqOf(r.attestedEpoch) <= l.lastSliceSeq;
    }

    /// @dev Refuse a withdrawal or a deposit while a liquidation of the account continues; one
    ///      storage read for an account that never had a slice taken.
    function _refuseInProgress(address account) internal view {
        if (liquidationOf[account].slices == 0) return; // the slot of flagId, slices, lastSliceAt only
        Liquidation memory l = liquidationOf[account];
        ISolvencyRegistry.AccountStatus memory r = registry.status(account);
        if (l.flagId == r.flagId && _continues(r, l)) revert MarginVault__LiquidationInProgress(account, l.flagId);
    }

    /// @dev `liquidate`'s refusal as its custom error.
    function _revertRefusal(address account, Plan memory p) internal pure {
        if (p.refusal == Refusal.NotFlagged) revert MarginVault__NotFlagged(account);
        if (p.refusal == Refusal.NothingToLiquidate) revert MarginVault__NothingToLiquidate(account);
        if (p.refusal == Refusal.LedgerOverdue) revert MarginVault__LedgerOverdue(account);
        if (p.refusal == Refusal.LedgerPending) revert MarginVault__LedgerPending(account, p.pendingEpoch);
        revert MarginVault__NotLiquidatableYet(account, p.from);
    }

    /// @dev Why `account` may not withdraw: its flag if it has one, else no attestation for the
    ///      latest epoch.
    function _revertNotSolvent(address account) internal view {
        ISolvencyRegistry.Flag flag = registry.flagOf(account);
        if (flag != ISolvencyRegistry.Flag.None) revert MarginVault__AccountFlagged(account, flag);
        revert MarginVault__NotSolvent(account);
    }

    /// @dev The policy's bounds, each refusal its own custom error.
    function _checkPolicy(Policy memory policy) internal pure {
        if (policy.maxBountyBps > BPS || policy.penaltyBps > BPS - policy.maxBountyBps) {
            revert MarginVault__BpsTooHigh(policy.maxBountyBps, policy.penaltyBps);
        }
        if (policy.sliceBps == 0 || policy.sliceBps > BPS) revert MarginVault__SliceBpsOutOfRange(policy.sliceBps);
        if (policy.auctionDuration == 0 || policy.auctionDuration > MAX_DURATION) {
            revert MarginVault__AuctionDurationOutOfRange(policy.auctionDuration, 1, MAX_DURATION);
        }
        if (policy.cooldown == 0 || policy.cooldown > MAX_DURATION) {
            revert MarginVault__CooldownOutOfRange(policy.cooldown, 1, MAX_DURATION);
        }
        if (policy.cureWindow < MIN_CURE_WINDOW || policy.cureWindow > MAX_DURATION) {
            revert MarginVault__CureWindowOutOfRange(policy.cureWindow, MIN_CURE_WINDOW, MAX_DURATION);
        }
    }

    /// @dev The insurance fund: not this vault (being deployed), a contract, of the same token.
    function _checkFund(InsuranceFund fund, IERC20 token_) internal view {
        if (address(fund) == address(this)) revert MarginVault__InvalidInsuranceFund();
        if (address(fund).code.length == 0) revert MarginVault__NotAContract(address(fund));
        try fund.token() returns (IERC20 t) {
            if (address(t) != address(token_)) revert MarginVault__InvalidInsuranceFund();
        } catch {
            revert MarginVault__InvalidInsuranceFund();
        }
    }
}
