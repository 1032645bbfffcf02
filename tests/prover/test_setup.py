"""Setup paths beyond the cached default: a machine without shared/, and a ceremony --ptau."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from zksolvency.cli import main
from zksolvency.prover import ptau as ptau_mod
from zksolvency.prover import tools
from zksolvency.prover.config import CircuitConfig
from zksolvency.prover.ptau import find_ptau
from zksolvency.prover.setup import Artifacts, required_power

from tests.helpers.files import TEST_BUILD


def test_without_shared_a_dev_ptau_is_made_and_verifies(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(ptau_mod, "shared_ptau", lambda: tmp_path / "no-shared" / "dev_16.ptau")
    ptau, prov = find_ptau(8, tmp_path, None)
    assert ptau == tmp_path / "ptau" / "dev_8.ptau" and "made locally" in prov.description
    assert prov.trust == "single-party-development"
    # phase 1 holds a secret (OS-entropy) contribution, never a public beacon alone
    assert [c.beacon for c in ptau_mod.ptau_contributions(ptau)] == [False]
    out = tools.snarkjs("powersoftau", "verify", ptau, label="powersoftau verify")
    assert "Powers Of tau file OK!" in out and "Powers of Tau Ok!" in out
    # a second request reuses the cached file, also for smaller powers
    assert find_ptau(7, tmp_path, None)[0] == ptau
    assert not list((tmp_path / "ptau").glob(".dev_*"))  # no temporaries left behind


def test_required_power_counts_public_signals() -> None:
    assert required_power({"constraints": 13656, "public_inputs": 3, "public_outputs": 1}) == 14
    assert required_power({"constraints": 16380, "public_inputs": 3, "public_outputs": 1}) == 15
    assert required_power({"constraints": 60481, "public_inputs": 3, "public_outputs": 1}) == 16


def test_setup_with_a_ceremony_ptau_says_so(artifacts: Artifacts, test_cfg: CircuitConfig, tmp_path: Path) -> None:
    ceremony, _ = find_ptau(14, TEST_BUILD, None)
    build = tmp_path / "build"
    r = CliRunner().invoke(main, ["setup", "--config", "test", "--ptau", str(ceremony), "--build-dir", str(build)])
    assert r.exit_code == 0, r.output
    vk = json.loads((build / "verification_key.json").read_text())
    assert vk["zksolvency_setup"]["insecure"] is False
    # the shared development file passed as --ptau is still labelled for what it is
    assert vk["zksolvency_setup"]["trust"] == "single-party-development"
    assert vk["zksolvency_setup"]["ptau_file"] == ceremony.name
    assert "trust:        single-party-development" in (build / "Groth16Verifier.sol").read_text()
    # a different phase-2 contribution: a key of its own
    assert vk["vk_delta_2"] != json.loads(artifacts.vkey.read_text())["vk_delta_2"]


def test_missing_ptau_file_is_bad_input(tmp_path: Path) -> None:
    r = CliRunner().invoke(
        main, ["setup", "--config", "test", "--ptau", str(tmp_path / "nope.ptau"), "--build-dir", str(tmp_path)]
    )
    assert r.exit_code == 2 and "nope.ptau" in r.output and "not found" in r.output


def test_an_unverified_ptau_stops_before_the_slow_steps(tmp_path: Path) -> None:
    """A --ptau nobody vouched for would give keys every verifier refuses, and the rerun with
    --ptau-trust would redo the whole setup: setup stops at once, printing the hash to compare."""
    from zksolvency.prover import tools
    from zksolvency.prover.ptau import blake2b_file

    new, mine = tmp_path / "new.ptau", tmp_path / "mine.ptau"
    tools.snarkjs("powersoftau", "new", "bn128", "8", new)
    tools.snarkjs("powersoftau", "contribute", new, mine, "-n=me", "-e=my entropy")
    build = tmp_path / "build"
    r = CliRunner().invoke(main, ["setup", "--config", "test", "--ptau", str(mine), "--build-dir", str(build)])
    assert r.exit_code == 2 and len(r.output.strip().splitlines()) == 1 and "compiling" not in r.output, r.output
    assert "mine.ptau" in r.output and blake2b_file(mine) in r.output and "--ptau-trust ceremony" in r.output
    assert not (build / "verification_key.json").exists()
    r = CliRunner().invoke(main, ["setup", "--config", "test", "--ptau-trust", "ceremony", "--build-dir", str(build)])
    assert r.exit_code == 2 and "--ptau" in r.output  # an assertion about no file at all


def test_a_published_hash_is_only_taken_with_a_file_and_a_ceremony_claim(tmp_path: Path) -> None:
    """`--ptau-blake2b` is the hash the operator compared for `--ptau-trust ceremony`: without a
    --ptau file, or with another claim, it says nothing and is refused before any copy is made."""
    from zksolvency.prover.ptau import shared_ptau
    from zksolvency.zkcore.errors import InputError

    with pytest.raises(InputError, match="give one with --ptau"):
        find_ptau(8, tmp_path, None, None, "ab" * 64)
    for trust in (None, "single-party-development"):
        with pytest.raises(InputError, match="--ptau-trust ceremony"):
            find_ptau(16, tmp_path, shared_ptau(), trust, "ab" * 64)
    assert not (tmp_path / "ptau").exists()
