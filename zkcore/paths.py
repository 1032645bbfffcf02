"""Where the checkout and the artifacts are, found explicitly.

Proving, setup and everything on chain need a zksolvency checkout: the circuit sources
(``circuits/``), the contracts, the pinned JavaScript tools in ``node_modules/`` and the native
prover in ``native/target/`` (``make install`` makes the last two). :func:`checkout` finds it from
``$ZKSOLVENCY_ROOT``, else from the working directory or the nearest directory above it that is
one, and otherwise says exactly what is missing. It is never inferred from where the installed
package lies: a wheel in site-packages has no checkout next to it, and the commands that need
none (``verify``, ``verify-batch``, ``check``, ``commit``, ``market-root``, ``statement verify
--ledger``, ``salt``) never ask for one.

Artifacts (circuits, keys, verifiers, caches) go to ``$ZKSOLVENCY_BUILD``, else to
``.zksolvency/`` in the checkout (not setuptools' ``build/``).
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

from zksolvency.zkcore.errors import ToolError

#: A path as callers give it: internal functions take either and convert once, where they start.
StrPath = str | os.PathLike[str]

ROOT_ENV = "ZKSOLVENCY_ROOT"
BUILD_ENV = "ZKSOLVENCY_BUILD"
#: The artifact directory inside the checkout when ``$ZKSOLVENCY_BUILD`` is unset.
ARTIFACTS = ".zksolvency"
#: What makes a directory a checkout.
_MARKERS = (Path("circuits") / "circuits.json", Path("package.json"), Path("contracts"))


class CheckoutNotFound(ToolError):
    """The command needs a zksolvency checkout and none was found."""


def is_checkout(path: Path) -> bool:
    """Whether ``path`` holds the circuit sources, the contracts and package.json of a checkout."""
    return all((path / m).exists() for m in _MARKERS)


@cache
def checkout() -> Path:
    """The checkout: ``$ZKSOLVENCY_ROOT``, else the working directory or a parent of it."""
    env = os.environ.get(ROOT_ENV)
    if env:
        root = Path(env).resolve()
        if not is_checkout(root):
            raise CheckoutNotFound(f"${ROOT_ENV}={env} is not a zksolvency checkout (no circuits/circuits.json or package.json)")
        return root
    here = Path.cwd().resolve()
    for d in (here, *here.parents):
        if is_checkout(d):
            return d
    raise CheckoutNotFound(
        f"this command needs a zksolvency checkout (circuits/, contracts/, node_modules/ and native/ from `make install`): "
        f"run it inside one or set {ROOT_ENV}; verify, verify-batch, check, commit, market-root and salt need none"
    )


def build_dir() -> Path:
    """Where setup artifacts go: ``$ZKSOLVENCY_BUILD``, else ``.zksolvency/`` in the checkout."""
    env = os.environ.get(BUILD_ENV)
    return Path(env) if env else checkout() / ARTIFACTS


def default_config() -> str:
    """The circuit instance used when none is named: ``$ZKSOLVENCY_CONFIG`` or ``default``."""
    return os.environ.get("ZKSOLVENCY_CONFIG") or "default"


def node_executable() -> str:
    """The ``node`` on PATH (the pinned JS toolchain runs on it)."""
    import shutil

    node = shutil.which("node")
    if node is None:
        raise ToolError("node is not on PATH: install Node.js 20+ (see README)")
    return node


def __getattr__(name: str) -> Path:
    # `ROOT` for scripts and tests that run inside the checkout; product code calls checkout()
    if name == "ROOT":
        return checkout()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
