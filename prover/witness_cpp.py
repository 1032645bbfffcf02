"""circom's C++ witness generator: built once per circuit instance, cached, byte-identical to wasm.

``circom --c`` writes a C++ program (the circuit's witness code, circom's field arithmetic in x86-64
assembly using mulx/adcx/adox, and a ``.dat`` of constants); built with g++ (``-O1``: the same
run-time speed as ``-O3`` at a fifth of the compile time), nasm and GMP, it computes a witness in
tens of milliseconds where the wasm one takes half a second. The build is cached under
``.zksolvency/<instance>/witness_cpp/`` by a key of the circuit sources, the instance, the circom version,
the compiler and assembler versions, the flags and the CPU features the assembly needs.

Where it cannot be built (another OS or CPU, a missing toolchain), :func:`ensure_witness_generator`
says why in one line and returns None, and witnesses come from the wasm generator; with
``ZKSOLVENCY_REQUIRE_NATIVE=1`` (set by the test command) a missing toolchain is an error instead,
so CI never skips it silently.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from zksolvency.prover import tools
from zksolvency.prover.config import CircuitConfig, checkout
from zksolvency.zkcore.errors import ToolError
from zksolvency.zkcore.files import atomic_dir
from zksolvency.zkcore.node import Report, to_stderr

#: Compiler flags of every translation unit (the generated Makefile uses -O3).
CXXFLAGS = ("-std=c++11", "-O1", "-I.")
#: What the generated field assembly needs from the CPU (mulx, adcx/adox).
CPU_FLAGS = ("bmi2", "adx")
REQUIRE_ENV = "ZKSOLVENCY_REQUIRE_NATIVE"
#: Debian packages that provide the toolchain (``make install`` installs them).
PACKAGES = "g++ nasm libgmp-dev nlohmann-json3-dev"


class NativeUnavailable(ToolError):
    """A native tool cannot be built or run on this machine."""


def required() -> bool:
    """Whether a missing native toolchain is an error (``ZKSOLVENCY_REQUIRE_NATIVE=1``)."""
    return os.environ.get(REQUIRE_ENV, "") not in ("", "0")


def cpu_flags() -> set[str]:
    """The CPU feature flags of this machine (Linux ``/proc/cpuinfo``; empty elsewhere)."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def _version(cmd: list[str]) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise NativeUnavailable(f"{cmd[0]} does not run: {proc.stderr.strip()[:200]}")
    return proc.stdout.strip().splitlines()[0] if proc.stdout.strip() else ""


def _has_header(cxx: str, header: str) -> bool:
    proc = subprocess.run([cxx, "-x", "c++", "-E", "-"], input=f"#include <{header}>\n", capture_output=True, text=True)
    return proc.returncode == 0


@dataclass(frozen=True)
class Toolchain:
    """The programs that build the generator, and what identifies them in the cache key."""

    cxx: str
    nasm: str
    identity: dict[str, str]


@cache
def toolchain() -> Toolchain:
    """g++, nasm, GMP and nlohmann/json on an x86-64 Linux CPU with BMI2 and ADX; NativeUnavailable
    (with what is missing) otherwise."""
    if sys.platform != "linux" or platform.machine() not in ("x86_64", "AMD64"):
        raise NativeUnavailable(f"circom's C++ witness needs x86-64 Linux, this is {sys.platform}/{platform.machine()}")
    missing_cpu = [f for f in CPU_FLAGS if f not in cpu_flags()]
    if missing_cpu:
        raise NativeUnavailable(f"the CPU lacks {', '.join(missing_cpu)} (circom's C++ field code uses mulx/adcx/adox)")
    cxx, nasm = shutil.which("g++"), shutil.which("nasm")
    missing = [name for name, path in (("g++", cxx), ("nasm", nasm)) if path is None]
    if missing or cxx is None or nasm is None:
        raise NativeUnavailable(f"missing {', '.join(missing)}: install {PACKAGES} (`make install` does)")
    identity = {
        "g++": _version([cxx, "--version"]),
        "nasm": _version([nasm, "-v"]),
        "cxxflags": " ".join(CXXFLAGS),
        "cpu": ",".join(sorted(set(CPU_FLAGS) & cpu_flags())),
    }
    return Toolchain(cxx, nasm, identity)


def cache_key(cfg: CircuitConfig, sources_hash: str, chain: Toolchain) -> str:
    """Hash of everything the generator's bytes depend on."""
    blob = {"cfg": cfg.as_dict(), "src": sources_hash, "circom": tools.versions().get("circom2"), "toolchain": chain.identity}
    return hashlib.sha256(json.dumps(blob, sort_keys=True).encode()).hexdigest()


def ensure_witness_generator(
    cfg: CircuitConfig, exe: Path, main_source: Path, sources_hash: str, *, report: Report | None = to_stderr
) -> Path | None:
    """The instance's C++ witness generator at ``exe`` (its ``.dat`` beside it), built unless
    cached; None (after one line saying why) where it cannot be built here, unless
    ``ZKSOLVENCY_REQUIRE_NATIVE`` makes that an error. ``report`` receives that line and the
    build's progress (None: silent)."""
    out = exe.parent
    try:
        chain = toolchain()
        key = cache_key(cfg, sources_hash, chain)
        if _cached(exe, key):
            return exe
        _check_headers(chain)
    except NativeUnavailable as e:
        if required():
            raise
        if report is not None:
            report(f"  native witness unavailable ({e}); witnesses come from the wasm generator")
        return None
    return _build(cfg, main_source, out, key, chain, report) / exe.name


def _cached(exe: Path, key: str) -> bool:
    """Whether the generator at ``exe`` was built for ``key``."""
    try:
        stamp = json.loads((exe.parent / "build.json").read_text())
    except (OSError, ValueError):
        return False
    return exe.is_file() and exe.with_suffix(".dat").is_file() and isinstance(stamp, dict) and stamp.get("key") == key


def _check_headers(chain: Toolchain) -> None:
    """The libraries' headers (checked only before a build: a cached generator needs neither)."""
    missing = [
        pkg
        for header, pkg in (("gmp.h", "libgmp-dev"), ("nlohmann/json.hpp", "nlohmann-json3-dev"))
        if not _has_header(chain.cxx, header)
    ]
    if missing:
        raise NativeUnavailable(f"missing {', '.join(missing)}: install {PACKAGES} (`make install` does)")


def _build(cfg: CircuitConfig, main_source: Path, out: Path, key: str, chain: Toolchain, report: Report | None) -> Path:
    """circom --c, then g++ and nasm in a scratch directory; the generator is published atomically."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".witness_cpp.", dir=out.parent))
    try:
        # circom's WASI sandbox only sees the checkout: paths relative to it
        tools.circom(
            main_source.relative_to(checkout()),
            "--c",
            "--O2",
            "-l",
            "node_modules",
            "-o",
            os.path.relpath(tmp, checkout()),
            progress=report,
        )
        src = tmp / f"{cfg.name}_cpp"
        units = ["main.cpp", "calcwit.cpp", "fr.cpp", f"{cfg.name}.cpp"]
        objects = []
        for unit in units:
            obj = unit.replace(".cpp", ".o")
            _run([chain.cxx, *CXXFLAGS, "-c", unit, "-o", obj], src, f"g++ {unit}", report)
            objects.append(obj)
        _run([chain.nasm, "-felf64", "fr.asm", "-o", "fr_asm.o"], src, "nasm fr.asm", report)
        _run([chain.cxx, "-o", cfg.name, *objects, "fr_asm.o", "-lgmp"], src, "link the witness generator", report)
        with atomic_dir(out) as final:
            shutil.move(str(src / cfg.name), final / cfg.name)
            shutil.move(str(src / f"{cfg.name}.dat"), final / f"{cfg.name}.dat")
            (final / "build.json").write_text(json.dumps({"key": key, **chain.identity}, indent=1))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def _run(cmd: list[str], cwd: Path, label: str, report: Report | None) -> None:
    if report is not None:
        report(f"  {label} ...")
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise ToolError(f"{label} failed: {(proc.stderr or proc.stdout).strip()[-400:]}")


def compute(generator: Path, input_json: Path, wtns: Path, timeout: float = 300) -> None:
    """Run a generator: ``input_json`` (the circuit's input signals) -> ``wtns``; ToolError when it
    refuses (an assertion of the circuit fails, a bad input)."""
    proc = subprocess.run(
        [str(generator), str(input_json), str(wtns)], capture_output=True, text=True, timeout=timeout, check=False
    )
    if proc.returncode != 0 or not wtns.is_file():
        said = (proc.stderr.strip() or proc.stdout.strip()).splitlines()
        raise ToolError(f"C++ witness generator failed (exit {proc.returncode}): {' | '.join(said[-3:])[:400]}")
