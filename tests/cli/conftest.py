"""The registry fixtures (a session anvil with the real contracts, roles, real proofs) for the
vault commands' tests."""

from tests.contracts.conftest import chain, deployed, node, roles, venue_proofs

__all__ = ["chain", "deployed", "node", "roles", "venue_proofs"]
