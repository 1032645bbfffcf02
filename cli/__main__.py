"""``python -m zksolvency.cli``."""

from zksolvency.cli import run

run()
