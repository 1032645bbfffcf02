"""The README says what is there: its layout block names exactly the checkout's folders (and every
path it mentions exists), and its `import zksolvency` example runs as written."""

from __future__ import annotations

import re
import subprocess
import sys

from zksolvency.zkcore.paths import ROOT

from tests.docs.test_integration_doc import blocks

README = ROOT / "README.md"


def _layout() -> str:
    text = README.read_text()
    section = text[text.index("## Layout") :]
    return section[section.index("```\n") + 4 : section.index("\n```", section.index("```\n") + 4)]


def _tracked_folders() -> set[str]:
    files = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()
    return {f.split("/", 1)[0] for f in files if "/" in f and not f.startswith(".")}


def test_layout_block_names_exactly_the_top_level_folders() -> None:
    named = {m.group(1) for m in re.finditer(r"^([a-z]+)/ ", _layout(), re.M)}
    assert named == _tracked_folders()


def test_every_path_the_layout_mentions_exists() -> None:
    current = ""
    for line in _layout().splitlines():
        head = re.match(r"^([a-z]+)/ ", line)
        if head:
            current = head.group(1)
        for word in re.findall(r"(?<![\w`/.])([a-z_][a-z0-9_]*(?:/[\w.]*)*[/.][\w.]*)", line.split(" ", 1)[-1]):
            name = word.rstrip(".,:;")
            if name.endswith((".py", ".circom", ".json", ".cjs", ".sol", ".md")) or name.endswith("/"):
                candidates = [ROOT / current / name, ROOT / name]
                assert any(c.exists() for c in candidates), f"README layout mentions {current}/{name}, which does not exist"


def test_python_example_runs_as_written() -> None:
    (code,) = [c for lang, c in blocks(README) if lang == "python"]
    assert "import zksolvency" in code
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "refused: examples/market-spec.json" in r.stdout
