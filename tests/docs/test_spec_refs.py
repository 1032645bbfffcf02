"""Every "SPEC §n" in the repository names a section of the project's own specification,
docs/spec.md, and nothing points at a specification outside the repository."""

from __future__ import annotations

import re
import subprocess

from zksolvency.zkcore.paths import ROOT

SPEC = ROOT / "docs" / "spec.md"


def _tracked_text_files() -> list[str]:
    out = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    exts = (".py", ".md", ".sol", ".circom", ".cjs", ".rs", ".toml", ".sh", ".tmpl")
    return [f for f in out.splitlines() if f.endswith(exts) or f in ("Makefile",)]


def test_every_spec_reference_resolves_to_a_section_of_docs_spec() -> None:
    sections = {int(m.group(1)) for m in re.finditer(r"^## (\d+)\. ", SPEC.read_text(), re.M)}
    assert sections == set(range(1, 12))
    cited: dict[int, list[str]] = {}
    for f in _tracked_text_files():
        for m in re.finditer(r"SPEC §(\d+)", (ROOT / f).read_text(errors="replace")):
            cited.setdefault(int(m.group(1)), []).append(f)
    assert cited, "no SPEC references found at all"
    unresolved = {n: fs for n, fs in cited.items() if n not in sections}
    assert not unresolved, unresolved


def test_nothing_points_at_a_specification_outside_the_repository() -> None:
    offenders = [
        f
        for f in _tracked_text_files()
        if f != "tests/docs/test_spec_refs.py" and "shared/SPEC" in (ROOT / f).read_text(errors="replace")
    ]
    assert offenders == []
