"""``zksolvency demo``: the venue's story end to end on an embedded local chain (:mod:`.story`)."""

from zksolvency.demo.story import DEPOSITS, USD, run_demo

__all__ = ["DEPOSITS", "USD", "run_demo"]
