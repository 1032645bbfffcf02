"""zksolvency on-chain: solc-js and anvil gateways, deployment and the registry client (web3.py)."""

#: Seconds the venue has after a market publication to publish its ledger, unless deployed
#: otherwise (here, not in the client, so the CLI reads it without loading web3).
DEFAULT_LEDGER_GRACE = 1800
