"""The one pattern for a 20-byte address as text, shared by every reader of addresses (a light
module: the verify path imports no pydantic)."""

from __future__ import annotations

import re

#: 0x + 40 hex digits, either case; used with fullmatch (no trailing newline).
ADDRESS_RE = re.compile(r"0x[0-9a-fA-F]{40}")
