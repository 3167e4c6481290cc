"""One pull of a portal's dossier API into one audited batch (ingest.py says how a pull's window is
chosen and why): the clock checked against the warehouse's, the batch opened or resumed, each verified page
loaded with the watermark's cursor in one transaction, versions the ledger holds skipped, the batch
finished (or marked failed) and the ledger pruned."""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
import psycopg
from psycopg.rows import dict_row

from cds_warehouse import batches
from cds_warehouse.extract.clock import check_portal_clock, shown_time
from cds_warehouse.extract.portal_api import Key, Page, PortalApi, page_to_batch, unknown_fields
from cds_warehouse.load.cleaning import clean_batch
from cds_warehouse.load.copying import as_copy_csv, copy_rejects, copy_statement
from cds_warehouse.load.file import analyze_raw
from cds_warehouse.load.progress import Progress
from cds_warehouse.load.stream import use_lean_memory_pool
from cds_warehouse.pii_key import checked_fingerprint
from cds_warehouse.settings import pii_key
from cds_warehouse.sources import load_source

log = logging.getLogger(__name__)

CONTRACT = "portal_dossiers"  # same fields, rules and raw table as the file export


@dataclass(frozen=True)
class ApiLoadResult:
    load_id: int | None
    portal: str
    window_from: datetime | None
    window_to: datetime | None
    status: str  # 'loaded', or 'no_changes' when the window held nothing (no batch is made)
    resumed: bool
    pages: int  # in this run
    rows_read: int
    rows_loaded: int
    rows_rejected: int
    rows_duplicate: int  # rows already received: by this batch (a page sent twice) or an earlier one (overlap)
    rows_late: int  # versions behind the cursor the batch did not hold (committed late on the portal): kept
    requests: int
    retries: int
    seconds: float


@dataclass(frozen=True)
class Rules:
    overlap: timedelta
    clock_tolerance: timedelta
    reconcile_days: int


class Pull:
    def __init__(self, conn, api: PortalApi, reported_id: str, source: str, rules: Rules):
        self.conn, self.api, self.reported_id, self.source, self.rules = conn, api, reported_id, source, rules
        # the watermark's key: the portal as configured, not what the server says it is
        self.portal = api.config.safe_url
        self.spec = load_source(CONTRACT)
        use_lean_memory_pool()
        self.key = pii_key()
        self.present = {c.name for c in self.spec.landed_columns}
        self.url = api.config.safe_url
        self.started = time.monotonic()
        self.load_id: int | None = None
        self.resumed = False
        self.cursor: Key | None = None
        self.rows_pulled = 0
        self.rows_before_batch = 0  # rows of pages that held no new version, read before the batch opened
        self.counts = dict(pages=0, rows_read=0, rows_loaded=0, rows_rejected=0, rows_duplicate=0, rows_late=0)
        self.copy_rows = copy_statement(self.spec)
        # The page's keys new to the portal's ledger claim their place there; only their rows go in.
        self.claim = (
            "insert into raw.portal_api_version (source, portal, load_id, updated_at, dossier_code)"
            " select %s, %s, %s, t.at, t.code from unnest(%s::timestamp[], %s::text[]) as t (at, code)"
            " on conflict do nothing returning to_char(updated_at, 'YYYY-MM-DD\"T\"HH24:MI:SS'), dossier_code"
        )

    # --- the run ----------------------------------------------------------------------------------

    def run(self, server_time: datetime, lag: timedelta) -> ApiLoadResult:
        lock = f"cds_warehouse.portal_api:{self.source}:{self.portal}"
        if not self.conn.execute("select pg_try_advisory_lock(hashtext(%s))", (lock,)).fetchone()[0]:
            raise RuntimeError(f"another ingestion of portal {self.portal} ({self.source}) is running")
        try:
            with Progress(log, self._progress_line) as self.progress:
                return self._pull(server_time.replace(microsecond=0), lag)
        finally:
            if not self.conn.closed and not self.conn.broken:
                self.conn.execute("select pg_advisory_unlock(hashtext(%s))", (lock,))

    def _pull(self, server_time: datetime, lag: timedelta) -> ApiLoadResult:
        with self.conn.cursor(row_factory=dict_row) as cur:
            state = (
                cur.execute(
                    "select * from raw.portal_api_watermark where source = %s and portal = %s",
                    (self.source, self.portal),
                ).fetchone()
                or {}
            )
        batch = batches.batch_of(self.conn, state["load_id"]) if state.get("load_id") else None
        open_batch = batch is not None and batch.status in ("running", "failed")
        check_portal_clock(
            self.conn,
            self.portal,
            server_time,
            {"committed_to": state.get("committed_to"), "window_to": state["window_to"] if open_batch else None},
            self.rules.clock_tolerance,
        )
        if state.get("reported_id") not in (None, self.reported_id):
            log.warning(
                "%s: the server now reports portal_id %r (was %r); the watermark is the configured portal's",
                self.portal, self.reported_id, state["reported_id"],
            )  # fmt: skip
        present = server_time - lag
        number = 1
        if open_batch:
            self.load_id, self.rows_pulled, start = state["load_id"], state["rows_pulled"], state["window_from"]
            end = max(state["window_to"], present)
            if state["cursor_updated_at"]:
                self.cursor = Key(state["cursor_updated_at"], state["cursor_code"])
            number, self.resumed = state["pages"] + 1, True
            self._resume(start, end)
            log.info(
                "%s: resuming load %s from %s (%s pages, %s rows already in); window now [%s, %s)",
                self.portal, self.load_id, self.cursor or "the start", state["pages"], self.rows_pulled,
                shown_time(start), shown_time(end),
            )  # fmt: skip
        else:
            start, end = self._window_start(state), present
            if start is not None and end <= start:
                log.info(
                    "%s: nothing to pull, the window [%s, %s) is empty", self.portal, shown_time(start), shown_time(end)
                )
                return self._result(start, end, "no_changes")
            log.info(
                "%s: pulling versions updated in [%s, %s) from %s",
                self.portal,
                shown_time(start),
                shown_time(end),
                self.url,
            )
        try:
            for page in self.api.pages(start, end, self.cursor, number):
                if self.load_id is None:
                    if not self._holds_news(page):
                        self.rows_before_batch += len(page.items)
                        self.counts["rows_read"] += len(page.items)
                        self.counts["rows_duplicate"] += len(page.items)
                        if page.has_more:
                            continue
                        self._advance_without_batch(end)
                        log.info(
                            "%s: no versions updated in [%s, %s) that the warehouse lacks; no batch",
                            self.portal, shown_time(start), shown_time(end),
                        )  # fmt: skip
                        return self._result(start, end, "no_changes")
                    self._open(start, end)
                    unknown = unknown_fields(page.items, self.spec)
                    if unknown:
                        log.warning("%s: fields not in the contract are ignored: %s", self.portal, sorted(unknown))
                self._load(page)
                self.progress.rows, self.progress.pages = self.counts["rows_read"], self.counts["pages"]
                total = page.total
            self._finish(end, total)
        except Exception as exc:
            if self.load_id is not None:
                self._mark_failed(exc)
            raise
        return self._result(start, end, "loaded")

    def _progress_line(self, p: Progress) -> str:
        """What a pull has done so far: versions (rows) read, their rate and the pages; no value of a row."""
        return (
            f"{self.portal}: load {self.load_id or '(not opened yet)'}: {p.rows:,} versions read"
            f" ({p.per_second(p.rows):,.0f} versions/s), {p.pages:,} pages in {p.seconds:.0f} s"
        )

    def _window_start(self, state: dict) -> datetime | None:
        """Where the last finished window ended, minus the overlap: what the portal committed late within
        the overlap is met again. Never before the ledger's start: what lies before it would land twice."""
        if state.get("committed_to") is None:
            return None
        start = state["committed_to"] - self.rules.overlap
        return start if state["ledger_from"] is None else max(start, state["ledger_from"])

    # --- the batch --------------------------------------------------------------------------------

    def _identity(self, start: datetime | None, end: datetime) -> tuple[str, str]:
        name = f"{self.url} updated_at [{shown_time(start)}, {shown_time(end)})"
        digest = hashlib.sha256(
            f"{self.source}|{self.portal}|{shown_time(start)}|{shown_time(end)}".encode()
        ).hexdigest()
        return name, digest

    def _open(self, start: datetime | None, end: datetime) -> None:
        """The batch and the watermark pointing at it, together: no batch is ever orphaned. The rows of pages
        read before it (versions held already) count as read."""
        name, digest = self._identity(start, end)
        with self.conn.transaction():
            key_print = checked_fingerprint(self.conn, self.key)  # another key stops the pull here
            self.load_id = batches.open_pulled_batch(
                self.conn, self.source, name, digest, self.rows_before_batch, key_print
            )
            self.conn.execute(
                "insert into raw.portal_api_watermark (source, portal, base_url, reported_id, committed_to, load_id,"
                " window_from, window_to) values (%s, %s, %s, %s, %s, %s, %s, %s)"
                " on conflict (source, portal) do update set base_url = excluded.base_url,"
                " reported_id = excluded.reported_id, load_id = excluded.load_id,"
                " window_from = excluded.window_from, window_to = excluded.window_to,"
                " cursor_updated_at = null, cursor_code = null, pages = 0, rows_pulled = 0, updated_at = now()",
                (self.source, self.portal, self.url, self.reported_id, start, self.load_id, start, end),
            )
        log.info("%s: load %s opened: %s", self.portal, self.load_id, name)

    def _resume(self, start: datetime | None, end: datetime) -> None:
        name, digest = self._identity(start, end)
        with self.conn.transaction():
            checked_fingerprint(self.conn, self.key)  # the rest of the batch is hashed with its key
            batches.resume_pulled_batch(self.conn, self.load_id, name, digest)
            self.conn.execute(
                "update raw.portal_api_watermark set window_to = %s, base_url = %s, reported_id = %s,"
                " updated_at = now() where source = %s and portal = %s",
                (end, self.url, self.reported_id, self.source, self.portal),
            )

    def _holds_news(self, page: Page) -> bool:
        """Whether a page holds a version the ledger lacks (before the batch is opened: a window that only
        re-reads known versions makes no batch)."""
        rows = page.items + page.behind
        if not rows:
            return False
        held = self.conn.execute(
            "select count(*) from raw.portal_api_version where source = %s and portal = %s"
            " and (updated_at, dossier_code) in (select * from unnest(%s::timestamp[], %s::text[]))",
            (self.source, self.portal, *_key_columns(rows)),
        ).fetchone()[0]
        return held < len(rows)

    def _load(self, page: Page) -> None:
        """One page: its new rows, its rejects and the cursor, in one transaction. Rows behind the cursor
        (page.behind) are versions sent before or committed late on the portal after the cursor passed
        their key: the ledger tells which; the late ones are kept."""
        received = page.items + page.behind
        if not received:
            return
        conn = self.conn
        cursor = page.last or self.cursor or (None, None)  # a page of late versions only leaves it where it is
        with conn.transaction():
            fresh = set(conn.execute(self.claim, (self.source, self.portal, self.load_id, *_key_columns(received))))
            late = [item for item in page.behind if _key(item) in fresh]
            items = page.items + late
            n = len(items)
            unclaimed = set(fresh)  # a key sent twice in one page is new once
            is_new = np.fromiter((_claim(unclaimed, _key(item)) for item in items), dtype=bool, count=n)
            row_numbers = np.arange(self.rows_pulled + 1, self.rows_pulled + n + 1, dtype=np.int64)[is_new]
            new_items = [item for item, new in zip(items, is_new, strict=True) if new]
            loaded, rejects = 0, []
            if new_items:
                table, rejects = clean_batch(
                    page_to_batch(new_items, self.spec), self.spec, self.present, self.key, row_numbers
                )
                if table.num_rows:
                    with conn.cursor() as cur, cur.copy(self.copy_rows) as copy:
                        copy.write(as_copy_csv(table, self.load_id))
                loaded = table.num_rows
            copy_rejects(conn, self.spec, self.load_id, self.url, rejects)
            moved = conn.execute(
                "update raw.portal_api_watermark set cursor_updated_at = %s, cursor_code = %s, pages = pages + 1,"
                " rows_pulled = rows_pulled + %s, updated_at = now() where source = %s and portal = %s"
                " and load_id = %s and rows_pulled = %s",
                (*cursor, n, self.source, self.portal, self.load_id, self.rows_pulled),
            ).rowcount
            if moved != 1:
                raise RuntimeError(f"the watermark of portal {self.portal} moved during the pull: another process?")
            batches.add_page(conn, self.load_id, n, loaded, len(new_items) - loaded)
        if late:
            log.warning(
                "%s: load %s, page %s: %s version(s) behind the cursor that the warehouse did not hold"
                " (committed late on the portal) are kept, e.g. %s %s",
                self.portal, self.load_id, page.number, len(late), late[0]["dossier_code"], late[0]["updated_at"],
            )  # fmt: skip
        self.rows_pulled += n
        self.cursor = page.last or self.cursor
        c = self.counts
        c["rows_late"] += len(late)
        c["pages"] += 1
        c["rows_read"] += n
        c["rows_loaded"] += loaded
        c["rows_rejected"] += len(new_items) - loaded
        c["rows_duplicate"] += n - len(new_items)

    def _finish(self, end: datetime, total: int) -> None:
        with self.conn.transaction():
            # a note when the window's content changed on the server during the pull
            message = batches.finish_pulled_batch(self.conn, self.load_id, total)
            if message:
                log.warning("%s: load %s: %s", self.portal, self.load_id, message)
            self.conn.execute(
                "update raw.portal_api_watermark set committed_to = %s, updated_at = now()"
                " where source = %s and portal = %s and load_id = %s",
                (end, self.source, self.portal, self.load_id),
            )
            self._prune_ledger(end)
        analyze_raw(self.conn, self.spec)

    def _prune_ledger(self, end: datetime) -> None:
        """Keep the keys the next pull's overlap may meet again and those of the reconciliation's days."""
        keep_from = min(
            end - self.rules.overlap,
            datetime.combine(end.date(), datetime.min.time()) - timedelta(days=max(self.rules.reconcile_days - 1, 0)),
        )
        self.conn.execute(
            "delete from raw.portal_api_version where source = %s and portal = %s and updated_at < %s",
            (self.source, self.portal, keep_from),
        )
        self.conn.execute(
            "update raw.portal_api_watermark set ledger_from = greatest(ledger_from, %s)"
            " where source = %s and portal = %s",
            (keep_from, self.source, self.portal),
        )

    def _advance_without_batch(self, end: datetime) -> None:
        with self.conn.transaction():
            self.conn.execute(
                "insert into raw.portal_api_watermark (source, portal, base_url, reported_id, committed_to)"
                " values (%s, %s, %s, %s, %s) on conflict (source, portal) do update set"
                " committed_to = excluded.committed_to, base_url = excluded.base_url,"
                " reported_id = excluded.reported_id, updated_at = now()",
                (self.source, self.portal, self.url, self.reported_id, end),
            )
            self._prune_ledger(end)

    def _mark_failed(self, exc: Exception) -> None:
        # a database error's text may quote a value of a row (PostgreSQL's own messages do): its code only
        what = f"SQLSTATE {exc.sqlstate}" if isinstance(exc, psycopg.Error) else str(exc)
        message = f"{type(exc).__name__}: {what} (resumable: the next run continues from the cursor)"
        try:
            batches.fail_running(self.conn, self.load_id, message)
        except Exception:  # the database itself may be what failed; the batch then stays 'running'
            log.exception("%s: could not mark load %s failed", self.portal, self.load_id)

    def _result(self, start: datetime | None, end: datetime, status: str) -> ApiLoadResult:
        seconds = time.monotonic() - self.started
        result = ApiLoadResult(
            load_id=self.load_id,
            portal=self.portal,
            window_from=start,
            window_to=end,
            status=status,
            resumed=self.resumed,
            requests=self.api.http.attempts,
            retries=self.api.http.retries,
            seconds=round(seconds, 3),
            **self.counts,
        )
        if status == "loaded":
            log.info(
                "%s: load %s loaded: %s pages, %s rows read, %s loaded, %s rejected, %s duplicates dropped;"
                " %s requests (%s retries) in %.1f s (%.0f rows/s)",
                self.portal, self.load_id, result.pages, result.rows_read, result.rows_loaded, result.rows_rejected,
                result.rows_duplicate, result.requests, result.retries, seconds, result.rows_read / max(seconds, 1e-9),
            )  # fmt: skip
        return result


def _key(item: dict) -> tuple[str, str]:
    """A version's key as the ledger returns it: (updated_at 'YYYY-MM-DDTHH:MM:SS', dossier_code)."""
    return item["updated_at"][:19], item["dossier_code"]


def _claim(unclaimed: set, key: tuple[str, str]) -> bool:
    if key in unclaimed:
        unclaimed.discard(key)
        return True
    return False


def _key_columns(items: list[dict]) -> tuple[list[str], list[str]]:
    return [item["updated_at"][:19] for item in items], [item["dossier_code"] for item in items]
