"""Run a command and print its exit code and peak resident memory as one JSON line on stdout.

    python scripts/peak_rss.py CMD [ARG...]     -> {"rc": 0, "maxrss_kib": 90112, "seconds": 0.79}

The command's own stderr passes through. Why a separate process: a child's ``ru_maxrss`` (from
wait4) also counts the memory of the process it was forked from, so measuring a small program
from a large one (pytest, a benchmark that imported web3) reports the large one. This script is a
small fresh interpreter, so what it reports is the command's own peak (plus at most its own few MiB).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time


def main() -> int:
    """Run ``sys.argv[1:]``, print ``{"rc": …, "maxrss_kib": …, "seconds": …}`` (wall time of the
    command alone, from its start to its exit)."""
    start = time.monotonic()
    proc = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.monotonic() - start
    print(json.dumps({"rc": os.waitstatus_to_exitcode(status), "maxrss_kib": int(usage.ru_maxrss), "seconds": seconds}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
