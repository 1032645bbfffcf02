"""The attacks' own fixture: the forgery lab (tests/helpers/ptau_lab.py). The anvil, the deployment
and the real proofs they also use come from tests/fixtures/."""

from __future__ import annotations

import pytest

from tests.helpers.ptau_lab import Lab, make_lab


@pytest.fixture(scope="session")
def lab() -> Lab:
    """The tiny circuit keyed on a beacon-only ptau and on a project-made one, fresh each session."""
    return make_lab()
