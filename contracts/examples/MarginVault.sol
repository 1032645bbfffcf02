// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ISolvencyRegistry} from "../interfaces/ISolvencyRegistry.sol";

/// @title MarginVault (example protocol)
/// @notice A margin vault that acts on the zksolvency registry's verdicts. Traders deposit one
///         ERC-20 collateral; a trader withdraws only while the registry attests their account
///         solvent at the oracle's latest epoch; anyone may liquidate the deposit of a flagged
///         account (insolvent by proof, or stale for missing its grace period): a bounty goes to
///         the caller, a penalty to the insurance fund, and the rest is held here for the venue's
///         liquidator, who settles it and then resolves the flag on the registry.
/// @dev Depends on `ISolvencyRegistry` only (injected, immutable). Every parameter is immutable:
///      no role can change the bounty or the penalty in front of a liquidation; a new policy is a
///      new vault. Roles (OpenZeppelin AccessControl): the admin only grants and revokes roles;
///      `LIQUIDATOR_ROLE` only moves what liquidations seized (`heldOf`). No role can touch the
///      deposit of an unflagged account.
///
///      Trust and limits, stated rather than hidden:
///      - The registry attests the venue's book, not this vault's balance. The venue counts vault
///        deposits as collateral in its ledger (from `Deposited` / `Withdrawn` events), so a
///        withdrawal shows up in the next epoch's proof; within one epoch the latest attestation
///        is all the chain knows. Publishing a new epoch halts every withdrawal until the account
///        attests it.
///      - A stale flag (no attestation in time) liquidates like an insolvent one, as SPEC §5
///        says. A stale flag can later become an insolvent one (the registry's `flagInsolvent`
///        overrides it), so the venue's liquidator decides what to do with a held rest (e.g.
///        return it to an account that was only late) from `registry.flagOf` when it releases,
///        never from the flag recorded in `Liquidated`.
///      - The vault reads flags, it does not raise them: an account past its grace period but not
///        yet flagged (`flagStale` not called) cannot be liquidated here.
///      - The liquidator must `liquidate` before it resolves the flag on the registry: a resolved
///        account is no longer liquidatable and may withdraw again once it attests.
///      - Fee-on-transfer tokens are credited what actually arrived; an outgoing fee is the
///        recipient's loss (a withdrawal, a bounty or a penalty arrives net of it). Rebasing
///        tokens are not supported. A token that can blacklist the caller or the insurance fund
///        can block a liquidation.
///      Reentrancy: every state-changing entry point is `nonReentrant` (the transient-storage
///      guard: EIP-1153 on the cancun target, 1.9k gas less per call than the storage guard,
///      measured by `bench/vault.py`).
///      `withdraw`, `liquidate` and `release` also follow checks-effects-interactions; `deposit`
///      cannot (it credits the balance difference across the transfer), so there the guard is
///      what keeps a token's callback from being credited twice.
contract MarginVault is AccessControl, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice Basis points in one whole: bounty and penalty rates are fractions of it.
    uint256 public constant BPS = 10_000;
    /// @notice The venue's liquidator: settles what liquidations hold (`release`).
    bytes32 public constant LIQUIDATOR_ROLE = keccak256("LIQUIDATOR_ROLE");

    /// @notice The zksolvency registry whose verdicts gate withdrawals and liquidations.
    ISolvencyRegistry public immutable registry;
    /// @notice The collateral token.
    IERC20 public immutable token;
    /// @notice Where liquidation penalties go (an `InsuranceFund`, or any address).
    address public immutable insuranceFund;
    /// @notice The least bounty a liquidation pays (token units), so that liquidating a small
    ///         account is still worth a keeper's gas; capped at the deposit.
    uint256 public immutable minBounty;
    /// @notice The bounty as a fraction of the seized deposit, in basis points.
    uint256 public immutable bountyBps;
    /// @notice The penalty to the insurance fund as a fraction of the seized deposit, in basis points.
    uint256 public immutable penaltyBps;

    /// @notice A trader's deposit (token units).
    mapping(address account => uint256 amount) public balanceOf;
    /// @notice What liquidations of an account hold for the venue's liquidator to settle.
    mapping(address account => uint256 amount) public heldOf;

    /// @notice `amount` (what the vault received) was credited to `account`.
    event Deposited(address indexed account, uint256 amount);
    /// @notice `account` withdrew `amount`.
    event Withdrawn(address indexed account, uint256 amount);
    /// @notice `keeper` liquidated the deposit of `account`, flagged `flag`: `seized` =
    ///         `bounty` (to the keeper) + `penalty` (to the insurance fund) + `held` (kept here).
    event Liquidated(
        address indexed account,
        address indexed keeper,
        ISolvencyRegistry.Flag flag,
        uint256 seized,
        uint256 bounty,
        uint256 penalty,
        uint256 held
    );
    /// @notice The liquidator `by` paid `amount` held from `account`'s liquidation out to `to`.
    event Released(address indexed account, address indexed to, uint256 amount, address indexed by);

    error MarginVault__ZeroAddress();
    error MarginVault__NotAContract(address target);
    error MarginVault__InvalidInsuranceFund();
    error MarginVault__BpsTooHigh(uint256 bountyBps, uint256 penaltyBps);
    error MarginVault__ZeroAmount();
    error MarginVault__NothingReceived();
    error MarginVault__AccountFlagged(address account, ISolvencyRegistry.Flag flag);
    error MarginVault__NotSolvent(address account);
    error MarginVault__InsufficientBalance(address account, uint256 balance, uint256 amount);
    error MarginVault__NotFlagged(address account);
    error MarginVault__NothingToLiquidate(address account);
    error MarginVault__InsufficientHeld(address account, uint256 held, uint256 amount);

    /// @param registry_ The zksolvency registry (a contract).
    /// @param token_ The collateral token (a contract).
    /// @param insuranceFund_ Receives penalties (nonzero, not this vault).
    /// @param minBounty_ The least bounty, in token units.
    /// @param bountyBps_ The bounty rate; `bountyBps_ + penaltyBps_` at most `BPS`.
    /// @param penaltyBps_ The penalty rate.
    /// @param admin Grants and revokes roles.
    /// @param liquidator The venue's liquidator (`LIQUIDATOR_ROLE`).
    constructor(
        ISolvencyRegistry registry_,
        IERC20 token_,
        address insuranceFund_,
        uint256 minBounty_,
        uint256 bountyBps_,
        uint256 penaltyBps_,
        address admin,
        address liquidator
    ) {
        if (
            address(registry_) == address(0) || address(token_) == address(0) || insuranceFund_ == address(0)
                || admin == address(0) || liquidator == address(0)
        ) revert MarginVault__ZeroAddress();
        // a mistyped address would otherwise deploy a vault whose every call fails (or, for a
        // token without code, whose transfers "succeed" moving nothing)
        if (address(registry_).code.length == 0) revert MarginVault__NotAContract(address(registry_));
        if (address(token_).code.length == 0) revert MarginVault__NotAContract(address(token_));
        if (insuranceFund_ == address(this)) revert MarginVault__InvalidInsuranceFund();
        if (bountyBps_ > BPS || penaltyBps_ > BPS - bountyBps_) revert MarginVault__BpsTooHigh(bountyBps_, penaltyBps_);
        registry = registry_;
        token = token_;
        insuranceFund = insuranceFund_;
        minBounty = minBounty_;
        bountyBps = bountyBps_;
        penaltyBps = penaltyBps_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(LIQUIDATOR_ROLE, liquidator);
    }

    // ------------------------------------------------------------------ traders

    /// @notice Deposit `amount` of the token (approve the vault first); the vault credits what it
    ///         actually received.
    /// @dev Refused for a flagged account (the deposit would be seized at once) and for 0. An
    ///      account the venue has not enrolled yet may deposit: it withdraws once enrolled and
    ///      attested. The credit is the vault's balance difference across the transfer, so a
    ///      fee-on-transfer token cannot inflate it; `nonReentrant` keeps a token's callback from
    ///      re-entering between the two balance reads and being counted twice.
    /// @param amount Token units to pull from the caller.
    /// @return received What was credited.
    function deposit(uint256 amount) external nonReentrant returns (uint256 received) {
        if (amount == 0) revert MarginVault__ZeroAmount();
        ISolvencyRegistry.Flag flag = registry.flagOf(msg.sender);
        if (flag != ISolvencyRegistry.Flag.None) revert MarginVault__AccountFlagged(msg.sender, flag);
        uint256 before = token.balanceOf(address(this));
        token.safeTransferFrom(msg.sender, address(this), amount);
        received = token.balanceOf(address(this)) - before;
        if (received == 0) revert MarginVault__NothingReceived();
        balanceOf[msg.sender] += received;
        emit Deposited(msg.sender, received);
    }

    /// @notice Withdraw `amount` of your deposit; only while the registry attests your account
    ///         solvent at the oracle's latest epoch (`isSolvent`).
    /// @dev Refused with `AccountFlagged` when flagged (insolvent or stale), `NotSolvent` when not
    ///      attested for the latest epoch (never, or only an earlier one), `InsufficientBalance`
    ///      beyond the deposit. The reason costs a second registry call on the refusal path only.
    ///      Checks, then the balance, then the transfer.
    /// @param amount Token units to withdraw (nonzero).
    function withdraw(uint256 amount) external nonReentrant {
        if (amount == 0) revert MarginVault__ZeroAmount();
        if (!registry.isSolvent(msg.sender)) _revertNotSolvent(msg.sender);
        uint256 balance = balanceOf[msg.sender];
        if (amount > balance) revert MarginVault__InsufficientBalance(msg.sender, balance, amount);
        unchecked {
            balanceOf[msg.sender] = balance - amount; // amount <= balance
        }
        emit Withdrawn(msg.sender, amount);
        token.safeTransfer(msg.sender, amount);
    }

    // ------------------------------------------------------------------ keepers

    /// @notice Liquidate the whole deposit of an account the registry flags (insolvent or stale):
    ///         the bounty goes to the caller, the penalty to the insurance fund, the rest is held
    ///         for the venue's liquidator. Anyone may call.
    /// @dev Refused for an unflagged account (`NotFlagged`: solvent, or unattested but not
    ///      flagged yet) and an empty deposit (`NothingToLiquidate`, which is also what a second
    ///      liquidation meets: a flagged account cannot deposit again). The split is `split`.
    ///      The deposit is zeroed and the rest recorded before any transfer; a zero bounty or
    ///      penalty is not transferred. A flagged account liquidating itself gets the bounty:
    ///      the bounty leaves the deposit whoever calls, so this costs the venue nothing more.
    /// @param account The flagged account.
    /// @return bounty Paid to the caller.
    /// @return penalty Paid to the insurance fund.
    /// @return held Kept for the venue's liquidator.
    function liquidate(address account) external nonReentrant returns (uint256 bounty, uint256 penalty, uint256 held) {
        ISolvencyRegistry.Flag flag = registry.flagOf(account);
        if (flag == ISolvencyRegistry.Flag.None) revert MarginVault__NotFlagged(account);
        uint256 seized = balanceOf[account];
        if (seized == 0) revert MarginVault__NothingToLiquidate(account);
        (bounty, penalty, held) = split(seized);
        balanceOf[account] = 0;
        if (held != 0) heldOf[account] += held;
        emit Liquidated(account, msg.sender, flag, seized, bounty, penalty, held);
        if (bounty != 0) token.safeTransfer(msg.sender, bounty);
        if (penalty != 0) token.safeTransfer(insuranceFund, penalty);
    }

    /// @notice How a liquidation splits a seized deposit, exactly, in token units.
    /// @dev bounty  = min(seized, max(minBounty, floor(seized * bountyBps / BPS)));
    ///      penalty = min(seized - bounty, floor(seized * penaltyBps / BPS));
    ///      held    = seized - bounty - penalty  (the rounding remainder stays with the venue).
    ///      Both rates round down, so the keeper and the fund never get a unit more than their
    ///      rate. Since bountyBps + penaltyBps <= BPS, the penalty's cap only binds when the
    ///      minimum bounty lifted the bounty above its rate: a small account pays its keeper
    ///      first, the insurance fund from what is left. `mulDiv` is exact for any uint256
    ///      deposit (no overflow, so no deposit is too large to liquidate).
    /// @param seized The deposit being liquidated.
    /// @return bounty To the caller.
    /// @return penalty To the insurance fund.
    /// @return held For the venue's liquidator.
    function split(uint256 seized) public view returns (uint256 bounty, uint256 penalty, uint256 held) {
        bounty = Math.min(seized, Math.max(minBounty, Math.mulDiv(seized, bountyBps, BPS)));
        uint256 remaining = seized - bounty;
        penalty = Math.min(remaining, Math.mulDiv(seized, penaltyBps, BPS));
        held = remaining - penalty;
    }

    // ------------------------------------------------------------------ the venue's liquidator

    /// @notice Pay out what liquidations of `account` hold: to the venue (to cover the account's
    ///         losses), back to the trader (a surplus), or to the insurance fund. Then resolve the
    ///         flag on the registry (a registry role this vault does not hold).
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

    // ------------------------------------------------------------------ internal

    /// @dev Why `account` may not withdraw: its flag if it has one, else no attestation for the
    ///      latest epoch.
    function _revertNotSolvent(address account) internal view {
        ISolvencyRegistry.Flag flag = registry.flagOf(account);
        if (flag != ISolvencyRegistry.Flag.None) revert MarginVault__AccountFlagged(account, flag);
        revert MarginVault__NotSolvent(account);
    }
}
