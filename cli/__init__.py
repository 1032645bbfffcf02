"""The ``zksolvency`` command line: a thin click layer over the public API, one module per group."""

from __future__ import annotations

from zksolvency.cli.app import main, run

__all__ = ["main", "run"]
