"""The wheel, installed into a fresh venv outside the checkout, verifies proofs with no Node.js.

A protocol that only checks proofs installs the package from a wheel and has neither the checkout
nor the JS toolchain; this builds the wheel from the repo once per session, installs it, and runs
the installed console script with a PATH that holds nothing but the venv.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from zksolvency.prover.setup import Artifacts
from zksolvency.zkcore.paths import ROOT


@pytest.fixture(scope="session")
def wheel_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv outside the checkout with the project's wheel installed; returns its bin/."""
    tmp = tmp_path_factory.mktemp("wheel")
    dist = tmp / "dist"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(dist), str(ROOT)],
        check=True,
        capture_output=True,
    )
    (wheel,) = dist.glob("zksolvency-*.whl")
    venv = tmp / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(wheel)], check=True, capture_output=True)
    return venv / "bin"


def _run(bin_dir: Path, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "ZKSOLVENCY_BUILD")}
    env["PATH"] = str(bin_dir)  # nothing else: no node, no checkout tools
    return subprocess.run([str(bin_dir / args[0]), *args[1:]], cwd=cwd, env=env, capture_output=True, text=True, check=False)


def test_the_wheel_installs_one_name_and_verifies_without_node(
    wheel_venv: Path, bundle_dir: Path, tmp_path: Path, artifacts: Artifacts
) -> None:
    assert shutil.which("node", path=str(wheel_venv)) is None
    work = tmp_path / "outside"
    work.mkdir()
    assert not work.resolve().is_relative_to(ROOT)
    vkey = work / "verification_key.json"
    shutil.copyfile(artifacts.vkey, vkey)
    for name in ("solvent", "insolvent", "other"):
        shutil.copyfile(bundle_dir / f"{name}.bundle.json", work / f"{name}.json")
    shutil.copyfile(bundle_dir / "market.json", work / "market.json")
    for ledger in ("ledger", "ledger-insolvent"):
        shutil.copyfile(bundle_dir / ledger / "ledger.json", work / f"{ledger}.json")

    # only `zksolvency` lands in site-packages: no generic top-level prover/verifier/zkcore
    probe = _run(
        wheel_venv,
        work,
        "python",
        "-c",
        "import importlib.util as u, zksolvency, zksolvency.verifier.verify;"
        "print([m for m in ('prover', 'verifier', 'zkcore', 'onchain', 'cli', 'api') if u.find_spec(m)]);"
        "print(zksolvency.__file__)",
    )
    assert probe.returncode == 0, probe.stderr
    found, location = probe.stdout.splitlines()
    assert found == "[]"
    assert "site-packages" in location and not Path(location).resolve().is_relative_to(ROOT)

    # without a checked market and ledger a valid proof reaches no decision; with their files it does
    bare = _run(wheel_venv, work, "zksolvency", "verify", "solvent.json", "--vkey", "verification_key.json")
    assert bare.returncode == 0, bare.stderr
    assert bare.stdout.startswith("VALID proof that solvent = 1 — no decision"), bare.stdout
    market = ("--vkey", "verification_key.json", "--market", "market.json")
    ok = _run(wheel_venv, work, "zksolvency", "verify", "solvent.json", *market, "--ledger", "ledger.json")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("SOLVENT"), ok.stdout
    flagged = _run(wheel_venv, work, "zksolvency", "verify", "insolvent.json", *market, "--ledger", "ledger-insolvent.json")
    assert flagged.returncode == 0 and flagged.stdout.startswith("INSOLVENT"), flagged.stdout + flagged.stderr
    batch = _run(
        wheel_venv,
        work,
        "zksolvency",
        "verify-batch",
        "solvent.json",
        "insolvent.json",
        "other.json",
        "--vkey",
        "verification_key.json",
    )
    assert batch.returncode == 0, batch.stdout + batch.stderr
    assert len(batch.stdout.splitlines()) == 3

    # a tampered bundle is refused there too (exit 1, one line, no traceback)
    tampered = (work / "solvent.json").read_text().replace('"solvent": true', '"solvent": false')
    (work / "tampered.json").write_text(tampered)
    bad = _run(wheel_venv, work, "zksolvency", "verify", "tampered.json", "--vkey", "verification_key.json")
    assert bad.returncode == 1 and "Traceback" not in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


def test_the_wheel_runs_the_reference_commands_and_says_what_a_prover_needs(wheel_venv: Path, tmp_path: Path) -> None:
    """`check`, `commit`, `market-root` and `salt` need no checkout; `prove` outside one stops with
    one line naming what it needs (a checkout: the circuits, the contracts, the tools)."""
    from tests.helpers import data

    work = tmp_path / "outside"
    work.mkdir()
    (work / "market.json").write_text(json.dumps(data.MARKET))
    (work / "account.json").write_text(json.dumps(data.ACCOUNT))
    check = _run(wheel_venv, work, "zksolvency", "check", "account.json", "market.json", "--json")
    assert check.returncode == 0 and json.loads(check.stdout)["solvent"] is True, check.stderr
    commit = _run(wheel_venv, work, "zksolvency", "commit", "account.json")
    assert commit.returncode == 0 and commit.stdout.strip().startswith("0x"), commit.stderr
    root = _run(wheel_venv, work, "zksolvency", "market-root", "market.json")
    assert root.returncode == 0 and root.stdout.strip().startswith("0x"), root.stderr
    salt = _run(wheel_venv, work, "zksolvency", "salt")
    assert salt.returncode == 0 and salt.stdout.strip().startswith("0x"), salt.stderr
    prove = _run(wheel_venv, work, "zksolvency", "prove", "account.json", "market.json", "-o", "b.json")
    assert prove.returncode != 0 and "needs a zksolvency checkout" in prove.stderr and "ZKSOLVENCY_ROOT" in prove.stderr
    assert len(prove.stderr.strip().splitlines()) == 1 and not (work / "b.json").exists()
