"""The attack tests reuse the real anvil + contracts of tests/contracts (one node per session,
snapshot per test) and its real proofs, and the six-account solvent ledger of tests/batch."""

from __future__ import annotations

from tests.batch.conftest import ledger_bundles  # noqa: F401  (fixtures)
from tests.contracts.conftest import chain, deployed, node, roles, venue_proofs  # noqa: F401  (fixtures)
