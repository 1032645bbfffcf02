"""Run mypy --strict, in one run, on the installed layout of the package and on tests/, bench/ and
scripts/ (``packages`` of ``[tool.mypy]``; arguments, e.g. ``tests/cli``, narrow the run).

pyproject.toml maps the top-level folders (api/, prover/, verifier/, …) into the one import name
``zksolvency``. setuptools' editable install resolves that mapping with an import hook, which mypy
cannot follow, so this script lays the same mapping out as a tree of links under .zksolvency/typecheck
(rebuilt every run from ``[tool.setuptools.package-dir]``, the single source of the mapping) and
points mypy at it. Links to folders, not copies: mypy reports and checks the real files. The tests
import the package as ``zksolvency`` too, so they are checked against the same tree; mypy finds
``tests``, ``bench`` and ``scripts`` themselves in the checkout, the directory it runs in.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TREE = ROOT / ".zksolvency" / "typecheck"


def build_tree() -> None:
    """Recreate .zksolvency/typecheck/zksolvency from the package-dir mapping."""
    mapping: dict[str, str] = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-dir"]
    shutil.rmtree(TREE, ignore_errors=True)
    pkg = TREE / "zksolvency"
    pkg.mkdir(parents=True)
    for f in (ROOT / mapping["zksolvency"]).iterdir():
        if f.suffix in (".py", ".typed"):
            (pkg / f.name).symlink_to(f)
    for name, folder in mapping.items():
        if name != "zksolvency":
            (TREE / name.replace(".", "/")).symlink_to(ROOT / folder, target_is_directory=True)


def main() -> int:
    """Build the tree and run mypy with the project's configuration."""
    build_tree()
    return subprocess.run([sys.executable, "-m", "mypy", *sys.argv[1:]], cwd=ROOT, check=False).returncode


if __name__ == "__main__":
    sys.exit(main())
