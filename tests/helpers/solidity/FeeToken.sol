// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title FeeToken (tests only)
/// @notice An ERC-20 that burns a fee (1% unless set otherwise, rounded down) of every transfer
///         between two holders: the recipient gets less than was sent, so a vault must credit
///         what arrived.
contract FeeToken is ERC20 {
    /// @notice The fee, in basis points of the amount sent.
    uint256 public feeBps = 100;

    constructor() ERC20("Fee USD", "FUSD") {}

    /// @notice Mint `amount` to `to` (open: a test token).
    /// @param to The recipient.
    /// @param amount Token units.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Set the fee (open: a test token); 10,000 burns every transfer whole.
    /// @param feeBps_ The fee in basis points (at most 10,000).
    function setFee(uint256 feeBps_) external {
        require(feeBps_ <= 10_000);
        feeBps = feeBps_;
    }

    function _update(address from, address to, uint256 value) internal override {
        if (from == address(0) || to == address(0)) return super._update(from, to, value);
        uint256 fee = value * feeBps / 10_000;
        super._update(from, address(0), fee);
        super._update(from, to, value - fee);
    }
}
