// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

/// @title InsuranceFund (example protocol)
/// @notice Holds the collateral token that liquidation penalties pay in, and pays it out to
///         absorb the shortfalls a liquidation could not cover (an account whose losses exceed
///         its deposit).
/// @dev Receives with plain token transfers (`MarginVault` pays penalties here; anyone may top
///      it up). Roles (OpenZeppelin AccessControl): the admin grants and revokes roles;
///      `VAULT_ROLE` is held by a `MarginVault`, which pays the shortfalls its venue's liquidator
///      reports (`payShortfall`, always to the vault's immutable venue address); `GUARDIAN_ROLE`
///      pays out by hand (`cover`). `cover` and `payShortfall` keep no state of their own and make
///      one transfer, so no reentrancy guard is needed.
contract InsuranceFund is AccessControl {
    using SafeERC20 for IERC20;

    /// @notice Pays out by hand to cover shortfalls (`cover`).
    bytes32 public constant GUARDIAN_ROLE = keccak256("GUARDIAN_ROLE");
    /// @notice A margin vault: pays the shortfalls its venue's liquidator reports (`payShortfall`).
    ///         The fund's admin grants it to the vault once the vault is deployed.
    bytes32 public constant VAULT_ROLE = keccak256("VAULT_ROLE");

    /// @notice The token the fund holds.
    IERC20 public immutable token;

    /// @notice The guardian `by` paid `amount` to `to`.
    event Covered(address indexed to, uint256 amount, address indexed by);
    /// @notice The vault `vault` had the fund pay `amount` of a reported shortfall to `to`.
    event ShortfallPaid(address indexed to, uint256 amount, address indexed vault);

    /// @notice An address that must be set is zero.
    error InsuranceFund__ZeroAddress();
    /// @notice The token has no code.
    error InsuranceFund__NotAContract(address target);
    /// @notice An amount of 0.
    error InsuranceFund__ZeroAmount();
    /// @notice A payment of `amount` beyond the fund's `balance`.
    error InsuranceFund__InsufficientFunds(uint256 balance, uint256 amount);

    /// @param token_ The token (a contract).
    /// @param admin Grants and revokes roles (and grants `VAULT_ROLE` to the vault).
    /// @param guardian Pays out by hand (`GUARDIAN_ROLE`).
    constructor(IERC20 token_, address admin, address guardian) {
        if (address(token_) == address(0) || admin == address(0) || guardian == address(0)) {
            revert InsuranceFund__ZeroAddress();
        }
        if (address(token_).code.length == 0) revert InsuranceFund__NotAContract(address(token_));
        token = token_;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(GUARDIAN_ROLE, guardian);
    }

    /// @notice Pay `amount` to `to` to absorb a shortfall (e.g. to the venue, for an account whose
    ///         losses its liquidation did not cover).
    /// @param to The recipient (nonzero).
    /// @param amount Token units (nonzero, at most `balance()`).
    function cover(address to, uint256 amount) external onlyRole(GUARDIAN_ROLE) {
        _check(to, amount);
        emit Covered(to, amount, msg.sender);
        token.safeTransfer(to, amount);
    }

    /// @notice A vault pays `amount` of a shortfall its venue's liquidator reported, to `to` (the
    ///         vault's venue). The vault caps `amount` at `balance()` and records the rest as
    ///         socialised loss.
    /// @param to The recipient (nonzero).
    /// @param amount Token units (nonzero, at most `balance()`).
    function payShortfall(address to, uint256 amount) external onlyRole(VAULT_ROLE) {
        _check(to, amount);
        emit ShortfallPaid(to, amount, msg.sender);
        token.safeTransfer(to, amount);
    }

    /// @notice What the fund holds.
    /// @return The fund's token balance.
    function balance() external view returns (uint256) {
        return token.balanceOf(address(this));
    }

    /// @dev A payment to `to` of `amount`: a recipient, something to pay, and the funds for it.
    function _check(address to, uint256 amount) internal view {
        if (to == address(0)) revert InsuranceFund__ZeroAddress();
        if (amount == 0) revert InsuranceFund__ZeroAmount();
        uint256 available = token.balanceOf(address(this));
        if (amount > available) revert InsuranceFund__InsufficientFunds(available, amount);
    }
}
