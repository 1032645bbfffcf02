"""zksolvency on-chain: solc-js and anvil gateways, deployment and the registry client (web3.py)."""
