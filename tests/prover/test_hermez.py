"""The pinned Hermez ceremony hashes are the ones the installed snarkjs publishes, row for row."""

from __future__ import annotations

import re

from zksolvency.prover.hermez import HERMEZ_FINAL_BLAKE2B, hermez_power
from zksolvency.zkcore.paths import ROOT

ROW = re.compile(r"^\|\s*(\d+)\s*\|[^|]*\|\s*\[powersOfTau28_hez_final(?:_(\d+))?\.ptau\]\([^)]*\)\s*\|\s*([0-9a-f]+)\s*\|", re.M)


def test_the_pinned_table_is_the_snarkjs_readme_table() -> None:
    readme = (ROOT / "node_modules" / "snarkjs" / "README.md").read_text()
    published = {}
    for power, in_name, digest in ROW.findall(readme):
        assert in_name in ("", power.zfill(2))  # the row's power is the file's
        published[int(power)] = digest
    assert published == HERMEZ_FINAL_BLAKE2B
    assert sorted(published) == list(range(8, 29))
    assert all(len(d) == 128 for d in published.values())  # BLAKE2b-512, whole


def test_hermez_power_knows_only_the_whole_hashes() -> None:
    h16 = HERMEZ_FINAL_BLAKE2B[16]
    assert hermez_power(h16) == 16 and hermez_power(h16.upper()) == 16
    one_digit_off = h16[:-1] + ("1" if h16[-1] != "1" else "2")
    assert hermez_power(h16[:64]) is None and hermez_power(one_digit_off) is None
    assert hermez_power("00" * 64) is None
