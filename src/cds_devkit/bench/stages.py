"""One benchmark stage in a child process: its output shown as it runs, its wall time and its own peak RSS."""

from __future__ import annotations

import collections
import os
import subprocess
import sys
import threading
import time

HEARTBEAT_SECONDS = 10  # a silent stage still says it is running this often
# The child's logging on stdout, so the loaders' progress lines and dbt's node lines show live.
LOGGING = (
    "import logging; logging.basicConfig(level=logging.INFO, format='%(asctime)s %(message)s', datefmt='%H:%M:%S'); "
)


# Linux keeps a parent's peak RSS across fork and exec: the peak that os.wait4 reports for a child is at
# least its parent's at the time it was started. Started by the bench, which has grown by then (a day's
# file generated in-process took it to 192 MB), every stage would show at least that. So a bare
# interpreter (about 10 MB) starts the stage and reports the stage's own peak on a line of its own.
PEAK_MARK = "cds-bench-stage-peak-rss-kb"
_STARTER = (
    "import os, subprocess, sys; p = subprocess.Popen(sys.argv[1:]); _, s, u = os.wait4(p.pid, 0); "
    f"print({PEAK_MARK!r}, u.ru_maxrss, flush=True); sys.exit(os.waitstatus_to_exitcode(s))"
)


def python(code: str) -> list[str]:
    """A Python child running ``code`` with the project's logging on stdout."""
    return [sys.executable, "-c", LOGGING + code]


def run_stage(name: str, argv: list[str], env: dict | None = None) -> dict:
    """Run one stage; each line it prints is shown prefixed with the stage's name, and a line every
    HEARTBEAT_SECONDS while it prints nothing. Wall time and the stage's own peak RSS (see _STARTER)."""
    print(f"{name}: started", flush=True)
    started = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-S", "-c", _STARTER, *argv],
        env={**os.environ, **(env or {})},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    peak_kb: list[int] = []
    tail: collections.deque[str] = collections.deque(maxlen=60)
    last_line = [time.monotonic()]

    def show() -> None:
        for line in proc.stdout:
            if line.startswith(PEAK_MARK):
                peak_kb.append(int(line.split()[1]))
                continue
            tail.append(line.rstrip("\n"))
            last_line[0] = time.monotonic()
            print(f"  {name} | {tail[-1]}", flush=True)

    reader = threading.Thread(target=show, daemon=True)
    reader.start()
    while reader.is_alive():
        reader.join(HEARTBEAT_SECONDS)
        if reader.is_alive() and time.monotonic() - last_line[0] >= HEARTBEAT_SECONDS:
            print(f"  {name} | ... running, {time.monotonic() - started:,.0f} s", flush=True)
    code = proc.wait()
    seconds = time.monotonic() - started
    if code != 0:
        sys.stderr.write("\n".join(tail) + "\n")
        raise SystemExit(f"bench stage {name} failed (exit {code})")
    peak_mb = peak_kb[-1] / 1024
    print(f"{name}: {seconds:,.1f} s, peak RSS {peak_mb:,.0f} MB", flush=True)
    return {"stage": name, "seconds": round(seconds, 2), "peak_rss_mb": round(peak_mb, 1)}
