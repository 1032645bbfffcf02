"""The contract compile takes the verifiers of the key it is given, never a copy in the source tree."""

from __future__ import annotations

import re
from pathlib import Path

from zksolvency.onchain.solc import CONTRACTS, compile_contracts
from zksolvency.prover.setup import Artifacts


def test_the_compile_takes_the_given_keys_verifiers_and_writes_nothing_into_the_tree(
    artifacts: Artifacts, tmp_path: Path
) -> None:
    gen = CONTRACTS / "generated"
    before = {p.name: p.read_bytes() for p in gen.glob("*.sol")}
    # another key's verifier: the same contract with another alpha, alone in its folder
    text = artifacts.solidity.read_text()
    m = re.search(r"alphax\s*=\s*(\d+)", text)
    assert m is not None
    other = tmp_path / "other" / "Groth16Verifier.sol"
    other.parent.mkdir()
    other.write_text(text[: m.start(1)] + str(int(m.group(1)) + 1) + text[m.end(1) :])

    own = compile_contracts(artifacts.solidity, tmp_path / "cache")
    theirs = compile_contracts(other, tmp_path / "cache")

    assert own["Groth16Verifier"].bytecode != theirs["Groth16Verifier"].bytecode
    assert "Groth16BatchVerifier" in own
    assert "Groth16BatchVerifier" not in theirs  # none beside it: none compiled, not the tree's copy
    assert {p.name: p.read_bytes() for p in gen.glob("*.sol")} == before
