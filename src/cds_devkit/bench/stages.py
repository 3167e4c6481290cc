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


def python(code: str) -> list[str]:
    """A Python child running ``code`` with the project's logging on stdout."""
    return [sys.executable, "-c", LOGGING + code]


def run_stage(name: str, argv: list[str], env: dict | None = None) -> dict:
    """Run one stage; each line it prints is shown prefixed with the stage's name, and a line every
    HEARTBEAT_SECONDS while it prints nothing. Wall time and the child's own peak RSS (os.wait4)."""
    print(f"{name}: started", flush=True)
    started = time.monotonic()
    proc = subprocess.Popen(
        argv, env={**os.environ, **(env or {})}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    tail: collections.deque[str] = collections.deque(maxlen=60)
    last_line = [time.monotonic()]

    def show() -> None:
        for line in proc.stdout:
            tail.append(line.rstrip("\n"))
            last_line[0] = time.monotonic()
            print(f"  {name} | {tail[-1]}", flush=True)

    reader = threading.Thread(target=show, daemon=True)
    reader.start()
    while reader.is_alive():
        reader.join(HEARTBEAT_SECONDS)
        if reader.is_alive() and time.monotonic() - last_line[0] >= HEARTBEAT_SECONDS:
            print(f"  {name} | ... running, {time.monotonic() - started:,.0f} s", flush=True)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.monotonic() - started
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.stderr.write("\n".join(tail) + "\n")
        raise SystemExit(f"bench stage {name} failed (exit {code})")
    print(f"{name}: {seconds:,.1f} s, peak RSS {usage.ru_maxrss / 1024:,.0f} MB", flush=True)
    return {"stage": name, "seconds": round(seconds, 2), "peak_rss_mb": round(usage.ru_maxrss / 1024, 1)}
