"""Strict JSON reading shared by every stage (no pydantic, so the verify path stays light).

A key given twice in one object is refused rather than silently resolved to its last value: one
file has one meaning, whoever reads it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from zksolvency.zkcore.errors import InputError


def no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """``json.loads`` object hook that refuses a repeated key (ValueError)."""
    out: dict[str, Any] = {}
    for k, v in pairs:
        if k in out:
            raise ValueError(f"duplicate key {k!r}")
        out[k] = v
    return out


def loads_strict(text: str) -> Any:
    """``json.loads`` with repeated keys refused (ValueError, as any JSON syntax error)."""
    return json.loads(text, object_pairs_hook=no_duplicate_keys)


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
