"""Progress of long work in the log: a line every few seconds from a background thread, so a load of
millions of rows shows it is alive (Airflow's task log and the command line show the logger's lines).

The line says what was counted so far and how fast, never a value of a row: counts, rates and sizes only.
The interval is CDS_PROGRESS_SECONDS (default 10); a thread, not the work loop, writes the lines, so a
line comes even while the work waits on PostgreSQL (finding repeated rows, a COPY that is slow to drain).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

DEFAULT_SECONDS = 10.0


def progress_seconds() -> float:
    """CDS_PROGRESS_SECONDS, default 10: how often long work logs its progress."""
    value = os.environ.get("CDS_PROGRESS_SECONDS", "").strip()
    try:
        seconds = float(value) if value else DEFAULT_SECONDS
    except ValueError:
        raise RuntimeError(f"CDS_PROGRESS_SECONDS must be a number of seconds, not {value!r}") from None
    if seconds <= 0:
        raise RuntimeError("CDS_PROGRESS_SECONDS must be more than 0")
    return seconds


class Progress:
    """Counters the work updates (plain attributes: reading them from another thread is safe) and a
    thread that logs ``line(self)`` every interval until the context ends. ``step`` names what the work
    is doing when it is not counting (e.g. waiting for a query)."""

    def __init__(self, log: logging.Logger, line: Callable[[Progress], str], interval: float | None = None):
        self.log, self.line = log, line
        self.interval = progress_seconds() if interval is None else interval
        self.rows = 0
        self.bytes = 0
        self.total_bytes = 0
        self.pages = 0
        self.step = ""
        self.started = time.monotonic()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="progress", daemon=True)

    def __enter__(self) -> Progress:
        self.started = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.started

    def per_second(self, count: int) -> float:
        return count / max(self.seconds, 1e-9)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.log.info(self.line(self))
            except Exception:  # a progress line must never break the work it reports on
                self.log.debug("progress line failed", exc_info=True)


def file_line(file_name: str) -> Callable[[Progress], str]:
    """A file load's line: rows read, rows/s, MB read of the file's MB (``total_bytes``)."""

    def line(p: Progress) -> str:
        share = f" ({100 * p.bytes / p.total_bytes:.0f}%)" if p.total_bytes else ""
        doing = f"; {p.step}" if p.step else ""
        return (
            f"{file_name}: {p.rows:,} rows read ({p.per_second(p.rows):,.0f} rows/s),"
            f" {p.bytes / 2**20:,.1f} of {p.total_bytes / 2**20:,.1f} MB{share} in {p.seconds:.0f} s{doing}"
        )

    return line
