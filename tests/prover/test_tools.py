"""The Node.js gateway: failures say what went wrong, and circom runs through our runner."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from prover import tools
from prover.config import ROOT
from tests.conftest import TEST_BUILD
from zkcore.errors import ToolError


def test_a_node_crash_keeps_its_message_not_its_stack(tmp_path: Path) -> None:
    script = tmp_path / "crash.cjs"
    script.write_text("function deep() { throw new RangeError('Start offset -5 is outside the buffer') }\ndeep()\n")
    with pytest.raises(ToolError) as err:
        tools.run_node(script, (), "crash test")
    msg = str(err.value)
    assert msg.startswith("crash test failed: ")
    assert "RangeError: Start offset -5 is outside the buffer" in msg
    assert " at " not in msg.replace("crash test failed: ", "")


def test_circom_errors_come_back_as_one_tool_error(tmp_path: Path) -> None:
    out = TEST_BUILD / "bad-circom"
    out.mkdir(parents=True, exist_ok=True)
    src = out / "bad.circom"
    src.write_text("pragma circom 2.1.0;\ntemplate T() { signal input a; a === }\ncomponent main = T();\n")
    with pytest.raises(ToolError) as err:
        tools.circom(src.relative_to(ROOT), "--r1cs", "-o", os.path.relpath(out, ROOT))
    msg = str(err.value)
    assert "circom compile failed" in msg and "error" in msg.lower()
    assert "\x1b" not in msg  # no terminal colour codes in a one-line error
    assert not (out / "bad.r1cs").exists()


def test_circom_runner_compiles_and_writes_outputs() -> None:
    # A small circuit through prover/circom_run.cjs (the >2 GiB path is exercised by the Poseidon
    # harness in tests/circuits, whose compile takes about 2.6 GB).
    out = TEST_BUILD / "tiny-circom"
    out.mkdir(parents=True, exist_ok=True)
    src = out / "tiny.circom"
    src.write_text(
        "pragma circom 2.1.0;\ntemplate T() { signal input a; signal input b; signal output c; c <== a * b; }\n"
        "component main = T();\n"
    )
    tools.circom(src.relative_to(ROOT), "--r1cs", "--wasm", "-o", os.path.relpath(out, ROOT))
    assert (out / "tiny.r1cs").stat().st_size > 0
    assert (out / "tiny_js" / "tiny.wasm").stat().st_size > 0
