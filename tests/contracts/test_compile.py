"""What the contract compile puts on chain is regenerated from the key it is given, never read from a
file beside it or in the source tree.

ATTACKS of an independent review, all refused: a verifier of another key beside this key under
this key's header line (a deploy check that matched that line only would pass it); the same with
just the header line appended; another key's batch verifier beside the right single one; and a
verifier copied into ``contracts/generated/``, where two keys in use at once could deploy each
other's.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from zksolvency.onchain.keys import deployable_key
from zksolvency.onchain.solc import BATCH, SINGLE, checked_verifiers, compile_contracts, contracts_dir
from zksolvency.prover import tools
from zksolvency.prover.setup import Artifacts
from zksolvency.verifier.solidity import render_batch, with_header
from zksolvency.zkcore.errors import InputError
from zksolvency.zkcore.jsonio import read_object


def _key_folder(artifacts: Artifacts, dst: Path, *, batch: bool = True) -> Path:
    dst.mkdir(parents=True)
    for f in (artifacts.vkey, artifacts.solidity, *([artifacts.batch_solidity] if batch else [])):
        shutil.copyfile(f, dst / f.name)
    return dst / SINGLE


def _other_alpha(text: str) -> str:
    """The same verifier with another key's alpha (any other constant would do)."""
    m = re.search(r"(?:alphax|ALPHA_X)\s*=\s*(\d+)", text)
    assert m is not None
    return text[: m.start(1)] + str(int(m.group(1)) + 1) + text[m.end(1) :]


def test_the_verifiers_compiled_are_the_keys_own_and_nothing_is_written_into_the_tree(
    artifacts: Artifacts, tmp_path: Path
) -> None:
    gen = contracts_dir() / "generated"
    before = {p.name: p.read_bytes() for p in gen.glob("*.sol")}
    sol = _key_folder(artifacts, tmp_path / "key", batch=False)  # an older key folder: no batch verifier
    texts = checked_verifiers(sol)
    assert texts[SINGLE] == artifacts.solidity.read_text()  # what setup wrote, regenerated from the key alone
    # ... and exactly what snarkjs's own export of the proving key gives, under the header
    tools.snarkjs("zkey", "export", "solidityverifier", artifacts.zkey, tmp_path / "export.sol")
    assert texts[SINGLE] == with_header((tmp_path / "export.sol").read_text(), read_object(artifacts.vkey))
    assert texts[BATCH] == render_batch(read_object(artifacts.vkey)) == artifacts.batch_solidity.read_text()
    compiled = compile_contracts(sol, tmp_path / "cache")
    assert {"Groth16Verifier", "Groth16BatchVerifier", "SolvencyRegistry"} <= set(compiled)
    assert {p.name: p.read_bytes() for p in gen.glob("*.sol")} == before


@pytest.mark.parametrize(
    ("name", "tamper"),
    [
        (SINGLE, _other_alpha),  # another key's verifier under this key's header
        (SINGLE, lambda t: t + "\n// zkey sha256:  " + "0" * 64 + "\n"),  # one comment line more
        (BATCH, _other_alpha),  # another key's batch verifier beside the right single one
    ],
    ids=["single-other-key", "single-appended-line", "batch-other-key"],
)
def test_a_verifier_file_that_is_not_the_keys_is_refused(
    artifacts: Artifacts, tmp_path: Path, name: str, tamper: Callable[[str], str]
) -> None:
    sol = _key_folder(artifacts, tmp_path / "key")
    target = sol.with_name(name)
    target.write_text(tamper(target.read_text()))
    with pytest.raises(InputError, match="not generated from the proving key"):
        compile_contracts(sol, tmp_path / "cache")
    with pytest.raises(InputError, match="not generated from the proving key"):
        deployable_key(sol, allow_insecure_key=True)
