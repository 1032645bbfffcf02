"""Strict JSON reading shared by every stage (no pydantic, so the verify path stays light).

A key given twice in one object is refused rather than silently resolved to its last value: one
file has one meaning, whoever reads it. Nesting deeper than any zksolvency file is refused before
the parser sees it: CPython's JSON parser recurses once per level, and a process that imported
py_ecc (which web3 does) runs with a recursion limit of 100,000, so ``[[[[…`` would overflow the C
stack and kill the process instead of raising.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from zksolvency.zkcore.errors import InputError

#: Deepest nesting any zksolvency file has (a bundle's proof is 3 levels, a market 4): far above it.
MAX_DEPTH = 64
_ESCAPE = re.compile(rb"\\.")  # a backslash and the byte it escapes
_NOT_STRUCTURE = bytes(sorted(set(range(256)) - set(b'"[]{}')))  # all bytes but these five
_STRING = re.compile(rb'"[^"]*"')
_INNERMOST = re.compile(rb"\[\]|\{\}")


def check_depth(text: str, limit: int = MAX_DEPTH) -> None:
    """Raise ValueError when ``text`` nests arrays or objects deeper than ``limit``.

    Linear and at C speed (about 1.5 s for the 78 MB ledger.json of 2^20 accounts): drop every
    escape pair first (so an escaped quote or ``\\n`` cannot shift where a string ends), keep only
    quotes and brackets, drop the strings (whose brackets do not nest), then peel innermost pairs
    one level per pass; anything left after ``limit`` passes is deeper than ``limit``.
    """
    if text.count("[") + text.count("{") <= limit:
        return  # cannot be deeper than the number of openers
    raw = _ESCAPE.sub(b"", text.encode("utf-8", "surrogatepass"))
    shape = _STRING.sub(b"", raw.translate(None, _NOT_STRUCTURE))
    for _ in range(limit):
        peeled = _INNERMOST.sub(b"", shape)
        if peeled == shape:
            return
        shape = peeled
    if shape:
        raise ValueError(f"nested deeper than {limit} levels")


def no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``json.loads`` object hook that refuses a repeated key (ValueError)."""
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"duplicate key {k!r}")
        out[k] = v
    return out


def loads_strict(text: str) -> Any:
    """``json.loads`` with repeated keys and excessive nesting refused (ValueError, as any JSON
    syntax error)."""
    check_depth(text)
    try:
        return json.loads(text, object_pairs_hook=no_duplicate_keys)
    except RecursionError:  # a lower recursion limit than MAX_DEPTH needs: still not a crash
        raise ValueError("nested too deeply") from None


def read_json(path: Path) -> Any:
    """Read a JSON file; a missing file, an I/O or encoding problem, bad JSON or a repeated key
    becomes an InputError naming the file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(str(path), None, "file not found") from None
    except (OSError, UnicodeDecodeError) as e:
        raise InputError(str(path), None, f"cannot read: {e}") from None
    try:
        return loads_strict(text)
    except json.JSONDecodeError as e:
        raise InputError(str(path), None, f"not valid JSON: {e.msg} at line {e.lineno} column {e.colno}") from None
    except ValueError as e:
        raise InputError(str(path), None, f"not valid JSON: {e}") from None


def read_object(path: Path) -> dict[str, Any]:
    """:func:`read_json` of a file that must hold one JSON object."""
    data = read_json(path)
    if not isinstance(data, dict):
        raise InputError(str(path), None, "must hold one JSON object")
    return data
