"""Pull a portal's dossier API into the raw schema: one audited batch per run, resumable page by page.

The pull reads the versions updated in a window [from, to): `from` is where the last finished batch
stopped (``raw.portal_api_watermark.committed_to``), `to` is the server's clock minus a settling lag.
Each verified page is loaded in its own transaction, together with the watermark's cursor, so at any
moment the warehouse holds exactly the rows up to the cursor. Rows go through the loader's building blocks
(``clean_batch``: typing, rejects, personal data hashed or dropped) into ``raw.portal_dossier``, skipping
any (province_code, dossier_code, updated_at) the batch already holds.

The batch stays 'running' in ``raw.load_audit`` until the window is complete, then becomes 'loaded' and
waits for the quality gate, which publishes it to dbt. A run that is killed leaves the batch 'running';
one that gives up on errors marks it 'failed'. Either way the next run resumes *that* batch (same
load_id) from the cursor, extending its window to the server's present.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from psycopg import sql

from cds_warehouse.db import apply_raw_schema, connect
from cds_warehouse.extract.contract import MAX_LIMIT, format_ts
from cds_warehouse.extract.http import RetryPolicy
from cds_warehouse.extract.portal_api import Key, Page, PortalApi, PortalConfig, page_to_batch, unknown_fields
from cds_warehouse.load import analyze_raw, as_copy_csv, clean_batch, copy_rejects, copy_statement
from cds_warehouse.pii_key import checked_fingerprint
from cds_warehouse.settings import pii_key
from cds_warehouse.sources import load_source

log = logging.getLogger(__name__)

SOURCE = "portal_api"  # raw.load_audit.source of API batches; the quality gate picks its checkpoint by it
CONTRACT = "portal_dossiers"  # same fields, rules and raw table as the file export
STAGE = "portal_api_page"  # temporary table a page is copied to before the new rows are inserted
DEFAULT_LAG = timedelta(minutes=2)  # versions younger than this may still be committing on the portal


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
    rows_duplicate: int  # rows the batch already held (a page the server sent twice)
    rows_late: int  # versions behind the cursor the batch did not hold (committed late on the portal): kept
    requests: int
    retries: int
    seconds: float


def ingest_api(
    config: PortalConfig,
    dsn: str | None = None,
    *,
    policy: RetryPolicy | None = None,
    page_size: int = MAX_LIMIT,
    lag: timedelta = DEFAULT_LAG,
    source: str = SOURCE,
    **client_options,
) -> ApiLoadResult:
    """Pull what changed on the portal since the last finished batch (or finish the interrupted one)."""
    api = PortalApi(config, policy, page_size, **client_options)
    try:
        status = api.status()
        with connect(dsn, autocommit=True) as conn:
            apply_raw_schema(conn)
            return _Pull(conn, api, status.portal_id, source).run(status.server_time - lag)
    finally:
        api.close()


class _Pull:
    def __init__(self, conn, api: PortalApi, portal: str, source: str):
        self.conn, self.api, self.portal, self.source = conn, api, portal, source
        self.spec = load_source(CONTRACT)
        self.key = pii_key()
        self.present = {c.name for c in self.spec.landed_columns}
        self.url = api.config.safe_url
        self.started = time.monotonic()
        self.load_id: int | None = None
        self.resumed = False
        self.cursor: Key | None = None
        self.rows_pulled = 0
        self.taken_late: set[tuple] = set()  # keys of the versions behind the cursor this run loaded
        self.counts = dict(pages=0, rows_read=0, rows_loaded=0, rows_rejected=0, rows_duplicate=0, rows_late=0)
        columns = ["load_id", "source_row", *[c.name for c in self.spec.landed_columns]]
        names = sql.SQL(", ").join(map(sql.Identifier, columns))
        # The page's keys new to the batch claim their place in the ledger; only their rows go in.
        self.insert_new = sql.SQL(
            "with fresh as (insert into raw.portal_api_version (load_id, province_code, dossier_code, updated_at)"
            " select distinct load_id, province_code, dossier_code, updated_at from {stage}"
            " on conflict do nothing returning province_code, dossier_code, updated_at)"
            " insert into {raw} ({cols}) select distinct on (province_code, dossier_code, updated_at) {cols}"
            " from {stage} join fresh using (province_code, dossier_code, updated_at)"
            " order by province_code, dossier_code, updated_at, source_row"
        ).format(raw=sql.SQL(self.spec.raw_table), cols=names, stage=sql.Identifier(STAGE))

    # --- the run ----------------------------------------------------------------------------------

    def run(self, present: datetime) -> ApiLoadResult:
        lock = f"cds_warehouse.portal_api:{self.source}:{self.portal}"
        if not self.conn.execute("select pg_try_advisory_lock(hashtext(%s))", (lock,)).fetchone()[0]:
            raise RuntimeError(f"another ingestion of portal {self.portal} ({self.source}) is running")
        try:
            self.conn.execute(
                sql.SQL("create temp table if not exists {} (like {}) on commit delete rows").format(
                    sql.Identifier(STAGE), sql.SQL(self.spec.raw_table)
                )
            )
            return self._pull(present.replace(microsecond=0))
        finally:
            if not self.conn.closed and not self.conn.broken:
                self.conn.execute("select pg_advisory_unlock(hashtext(%s))", (lock,))

    def _pull(self, present: datetime) -> ApiLoadResult:
        state = self.conn.execute(
            "select w.committed_to, w.load_id, w.window_from, w.window_to, w.cursor_updated_at, w.cursor_code,"
            " w.pages, w.rows_pulled, a.status from raw.portal_api_watermark w"
            " left join raw.load_audit a on a.load_id = w.load_id where w.source = %s and w.portal = %s",
            (self.source, self.portal),
        ).fetchone()
        number = 1
        if state and state[8] in ("running", "failed"):
            _, self.load_id, start, old_end, cursor_at, cursor_code, pages, self.rows_pulled, _ = state
            end = max(old_end, present)
            self.cursor = Key(cursor_at, cursor_code) if cursor_at else None
            number, self.resumed = pages + 1, True
            self._resume(start, end)
            log.info(
                "%s: resuming load %s from %s (%s pages, %s rows already in); window now [%s, %s)",
                self.portal, self.load_id, self.cursor or "the start", pages, self.rows_pulled,
                _ts(start), _ts(end),
            )  # fmt: skip
        else:
            start, end = (state[0] if state else None), present
            if start is not None and end <= start:
                log.info("%s: nothing to pull, the window [%s, %s) is empty", self.portal, _ts(start), _ts(end))
                return self._result(start, end, "no_changes")
            log.info("%s: pulling versions updated in [%s, %s) from %s", self.portal, _ts(start), _ts(end), self.url)
        last_log = time.monotonic()
        try:
            for page in self.api.pages(start, end, self.cursor, number):
                if self.load_id is None:
                    if not page.items and not page.has_more:
                        self._advance_without_batch(end)
                        log.info("%s: no versions updated in [%s, %s); no batch", self.portal, _ts(start), _ts(end))
                        return self._result(start, end, "no_changes")
                    self._open(start, end)
                    unknown = unknown_fields(page.items, self.spec)
                    if unknown:
                        log.warning("%s: fields not in the contract are ignored: %s", self.portal, sorted(unknown))
                self._load(page)
                if time.monotonic() - last_log > 10 or not page.has_more:
                    last_log = time.monotonic()
                    log.info(
                        "%s: load %s, page %s: %s rows so far in this run (batch: %s), cursor %s",
                        self.portal, self.load_id, page.number, self.counts["rows_read"], self.rows_pulled,
                        self.cursor,
                    )  # fmt: skip
                total = page.total
            self._finish(end, total)
        except Exception as exc:
            if self.load_id is not None:
                self._mark_failed(exc)
            raise
        return self._result(start, end, "loaded")

    # --- the batch --------------------------------------------------------------------------------

    def _identity(self, start: datetime | None, end: datetime) -> tuple[str, str]:
        name = f"{self.url} updated_at [{_ts(start)}, {_ts(end)})"
        digest = hashlib.sha256(f"{self.source}|{self.portal}|{_ts(start)}|{_ts(end)}".encode()).hexdigest()
        return name, digest

    def _open(self, start: datetime | None, end: datetime) -> None:
        """The batch and the watermark pointing at it, together: no batch is ever orphaned."""
        name, digest = self._identity(start, end)
        with self.conn.transaction():
            key_print = checked_fingerprint(self.conn, self.key)  # another key stops the pull here
            self.load_id = self.conn.execute(
                "insert into raw.load_audit (source, file_name, file_sha256, rows_read, rows_loaded, rows_rejected,"
                " pii_key_fingerprint) values (%s, %s, %s, 0, 0, 0, %s) returning load_id",
                (self.source, name, digest, key_print),
            ).fetchone()[0]
            self.conn.execute(
                "insert into raw.portal_api_watermark (source, portal, base_url, committed_to, load_id,"
                " window_from, window_to) values (%s, %s, %s, %s, %s, %s, %s)"
                " on conflict (source, portal) do update set base_url = excluded.base_url,"
                " load_id = excluded.load_id, window_from = excluded.window_from, window_to = excluded.window_to,"
                " cursor_updated_at = null, cursor_code = null, pages = 0, rows_pulled = 0, updated_at = now()",
                (self.source, self.portal, self.url, start, self.load_id, start, end),
            )
        log.info("%s: load %s opened: %s", self.portal, self.load_id, name)

    def _resume(self, start: datetime | None, end: datetime) -> None:
        name, digest = self._identity(start, end)
        with self.conn.transaction():
            checked_fingerprint(self.conn, self.key)  # the rest of the batch is hashed with its key
            self.conn.execute(
                "update raw.load_audit set status = 'running', message = null, finished_at = null,"
                " file_name = %s, file_sha256 = %s where load_id = %s",
                (name, digest, self.load_id),
            )
            self.conn.execute(
                "update raw.portal_api_watermark set window_to = %s, base_url = %s, updated_at = now()"
                " where source = %s and portal = %s",
                (end, self.url, self.source, self.portal),
            )

    def _late(self, page: Page) -> list[dict]:
        """Of the rows a page sent at or before the cursor, the versions the batch does not hold: committed on
        the portal after the cursor passed their key. The others were sent before."""
        behind = page.behind
        keys = [(item.get("province_code"), item["dossier_code"], item["updated_at"][:19]) for item in behind]
        held = self.conn.execute(
            "select province_code, dossier_code, to_char(updated_at, 'YYYY-MM-DD\"T\"HH24:MI:SS')"
            " from raw.portal_api_version where load_id = %s"
            " and (province_code, dossier_code, updated_at) in"
            " (select * from unnest(%s::text[], %s::text[], %s::timestamp[]))",
            (self.load_id, *map(list, zip(*keys, strict=True))),
        ).fetchall()
        # and those this run already took as late: a late row that was rejected is not in the ledger, and
        # a server that keeps sending it must not have it counted (and rejected) again on every page
        held = set(held) | self.taken_late
        late = [item for item, key in zip(behind, keys, strict=True) if key not in held]
        self.taken_late.update(key for item, key in zip(behind, keys, strict=True) if key not in held)
        if late:
            log.warning(
                "%s: load %s, page %s: %s version(s) behind the cursor that the batch did not hold"
                " (committed late on the portal) are kept, e.g. %s %s",
                self.portal, self.load_id, page.number, len(late), late[0]["dossier_code"], late[0]["updated_at"],
            )  # fmt: skip
        return late

    def _load(self, page: Page) -> None:
        """One page: its new rows, its rejects and the cursor, in one transaction."""
        late = self._late(page) if page.behind else []
        items = page.items + late
        n = len(items)
        if n == 0:
            return
        batch = page_to_batch(items, self.spec)
        row_numbers = np.arange(self.rows_pulled + 1, self.rows_pulled + n + 1, dtype=np.int64)
        table, rejects = clean_batch(batch, self.spec, self.present, self.key, row_numbers)
        conn = self.conn
        cursor = page.last or self.cursor or (None, None)  # a page of late versions only leaves it where it is
        with conn.transaction():
            moved = conn.execute(
                "update raw.portal_api_watermark set cursor_updated_at = %s, cursor_code = %s, pages = pages + 1,"
                " rows_pulled = rows_pulled + %s, updated_at = now() where source = %s and portal = %s"
                " and load_id = %s and rows_pulled = %s",
                (*cursor, n, self.source, self.portal, self.load_id, self.rows_pulled),
            ).rowcount
            if moved != 1:
                raise RuntimeError(f"the watermark of portal {self.portal} moved during the pull: another process?")
            inserted = 0
            if table.num_rows:
                with conn.cursor() as cur, cur.copy(copy_statement(self.spec, STAGE)) as copy:
                    copy.write(as_copy_csv(table, self.load_id))
                inserted = conn.execute(self.insert_new).rowcount
            copy_rejects(conn, self.spec, self.load_id, self.url, rejects)
            conn.execute(
                "update raw.load_audit set rows_read = rows_read + %s, rows_loaded = rows_loaded + %s,"
                " rows_rejected = rows_rejected + %s where load_id = %s",
                (n, inserted, n - table.num_rows, self.load_id),
            )
        self.rows_pulled += n
        self.cursor = page.last or self.cursor
        c = self.counts
        c["rows_late"] += len(late)
        c["pages"] += 1
        c["rows_read"] += n
        c["rows_loaded"] += inserted
        c["rows_rejected"] += n - table.num_rows
        c["rows_duplicate"] += table.num_rows - inserted

    def _finish(self, end: datetime, total: int) -> None:
        with self.conn.transaction():
            rows_read = self.conn.execute(
                "select rows_read from raw.load_audit where load_id = %s", (self.load_id,)
            ).fetchone()[0]
            message = None
            if rows_read != total:  # the window's content changed on the server during the pull
                message = f"the server counts {total} versions in the window; the batch received {rows_read}"
                log.warning("%s: load %s: %s", self.portal, self.load_id, message)
            self.conn.execute(
                "update raw.load_audit set status = 'loaded', finished_at = clock_timestamp(), message = %s"
                " where load_id = %s and status = 'running'",
                (message, self.load_id),
            )
            self.conn.execute(
                "update raw.portal_api_watermark set committed_to = %s, updated_at = now()"
                " where source = %s and portal = %s and load_id = %s",
                (end, self.source, self.portal, self.load_id),
            )
            # a finished batch takes no more pages: its ledger of versions has served its purpose
            self.conn.execute("delete from raw.portal_api_version where load_id = %s", (self.load_id,))
        analyze_raw(self.conn, self.spec)

    def _advance_without_batch(self, end: datetime) -> None:
        self.conn.execute(
            "insert into raw.portal_api_watermark (source, portal, base_url, committed_to) values (%s, %s, %s, %s)"
            " on conflict (source, portal) do update set committed_to = excluded.committed_to,"
            " base_url = excluded.base_url, updated_at = now()",
            (self.source, self.portal, self.url, end),
        )

    def _mark_failed(self, exc: Exception) -> None:
        message = f"{type(exc).__name__}: {exc} (resumable: the next run continues from the cursor)"
        try:
            self.conn.execute(
                "update raw.load_audit set status = 'failed', finished_at = clock_timestamp(), message = %s"
                " where load_id = %s and status = 'running'",
                (message[:2000], self.load_id),
            )
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


def _ts(value: datetime | None) -> str:
    return format_ts(value) if value is not None else "start"
