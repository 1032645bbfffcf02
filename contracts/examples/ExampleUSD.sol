// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title ExampleUSD (example collateral)
/// @notice A plain OpenZeppelin ERC-20 with 6 decimals, like USDC: the collateral of the demo's
///         margin vault. The whole supply is minted once to the deployer, who hands it out.
contract ExampleUSD is ERC20 {
    /// @param supply Token units minted to the deployer.
    constructor(uint256 supply) ERC20("Example USD", "xUSD") {
        _mint(msg.sender, supply);
    }

    /// @notice 6 decimals, as USDC.
    /// @return The number of decimals.
    function decimals() public pure override returns (uint8) {
        return 6;
    }
}
