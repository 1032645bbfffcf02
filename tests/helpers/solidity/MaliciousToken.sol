// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title MaliciousToken (tests only)
/// @notice An ERC-20 whose `transfer` or `transferFrom`, once armed, first calls back into a
///         target (the vault) with chosen calldata, as the token contract itself: what an
///         ERC-777-style hook or a hostile token can do. The callback is one-shot, and it records
///         that it ran and what the target answered, so a test can show the re-entry was reached
///         and how it was refused. With `bubble` the target's revert is re-raised instead.
contract MaliciousToken is ERC20 {
    enum On {
        Nothing,
        Transfer,
        TransferFrom
    }

    /// @notice Which call runs the callback next (then it disarms).
    On public armedOn;
    /// @notice The callback's target.
    address public target;
    /// @notice The callback's calldata.
    bytes public payload;
    /// @notice Re-raise the target's revert (else record it and carry on).
    bool public bubble;
    /// @notice How many callbacks ran.
    uint256 public callbacks;
    /// @notice Whether the last callback succeeded.
    bool public lastOk;
    /// @notice What the last callback returned, or its revert data.
    bytes public lastReturn;

    constructor() ERC20("Malicious", "MAL") {}

    /// @notice Mint `amount` to `to` (open: a test token).
    /// @param to The recipient.
    /// @param amount Token units.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Let `spender` move the token contract's own balance (so it can deposit as itself).
    /// @param spender The spender (the vault).
    /// @param amount The allowance.
    function approveSelf(address spender, uint256 amount) external {
        _approve(address(this), spender, amount);
    }

    /// @notice Arm the callback for the next `on` call.
    /// @param on Transfer or TransferFrom.
    /// @param target_ Whom to call.
    /// @param payload_ With what calldata.
    /// @param bubble_ Re-raise a revert of the callback.
    function arm(On on, address target_, bytes calldata payload_, bool bubble_) external {
        armedOn = on;
        target = target_;
        payload = payload_;
        bubble = bubble_;
    }

    /// @inheritdoc ERC20
    function transfer(address to, uint256 value) public override returns (bool) {
        _callback(On.Transfer);
        return super.transfer(to, value);
    }

    /// @inheritdoc ERC20
    function transferFrom(address from, address to, uint256 value) public override returns (bool) {
        _callback(On.TransferFrom);
        return super.transferFrom(from, to, value);
    }

    function _callback(On on) internal {
        if (armedOn != on) return;
        armedOn = On.Nothing;
        ++callbacks;
        (bool ok, bytes memory ret) = target.call(payload);
        // a revert without data is the callback running out of gas (the vault always reverts with
        // a custom error): fail the whole call, so that gas estimation gives the callback enough
        if (!ok && ret.length == 0) revert("MaliciousToken: callback out of gas");
        lastOk = ok;
        lastReturn = ret;
        if (!ok && bubble) {
            assembly {
                revert(add(ret, 32), mload(ret))
            }
        }
    }
}
