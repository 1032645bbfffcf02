"""The registry tests run on the session anvil of tests/fixtures/chain.py, with the helpers of
tests/helpers/chain.py.

The names below are re-exported for the modules that still import them from here
(test_liquidation.py, tests/attacks/test_vault_attacks.py); new code imports tests.helpers.chain.
"""

from tests.helpers.chain import GRACE, LEDGER_GRACE, Roles, at, now, publish_with_ledger, refused

__all__ = ["GRACE", "LEDGER_GRACE", "Roles", "at", "now", "publish_with_ledger", "refused"]
