// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title TestToken (tests only: never shipped under contracts/)
/// @notice An OpenZeppelin ERC-20 (18 decimals) anyone can mint: the vault tests' collateral.
contract TestToken is ERC20 {
    constructor() ERC20("Test USD", "TUSD") {}

    /// @notice Mint `amount` to `to` (open: a test token).
    /// @param to The recipient.
    /// @param amount Token units.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
