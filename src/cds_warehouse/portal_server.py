"""A local stand-in for a provincial portal's dossier API, with faults on demand.

It serves synthetic dossiers (from ``cds_warehouse.generate``) through the contract documented in
docs/sources/portal_api.md: bearer token, ``GET /api/v1/status`` and ``GET /api/v1/dossiers`` with keyset
paging on (updated_at, dossier_code). Every change of a dossier is one *version*: some dossiers are served
as 'Đã tiếp nhận', then 'Đang xử lý', ..., then their final state, each with its own update time.

Faults are switched on per server instance with a ``FaultPlan``: rates per request (drawn from a seeded
generator, so a given sequence of requests always meets the same faults) and/or explicit page numbers.

    dataset = PortalDataset.generate(rows=5_000, seed=7)
    with PortalServer(dataset, token="t", faults=FaultPlan(rates={"error": 0.1})) as server:
        server.url  # http://127.0.0.1:<free port>/api/v1

For tests, demos and benchmarks only: it listens on 127.0.0.1 and holds the dataset in memory (Arrow).
``python -m cds_warehouse.portal_server --rows 20000`` runs one in the foreground.
"""

from __future__ import annotations

import argparse
import bisect
import csv
import hashlib
import hmac
import json
import logging
import random
import secrets
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from cds_warehouse.extract.contract import (
    API_PREFIX,
    COUNTS_PATH,
    DOSSIERS_PATH,
    MAX_LIMIT,
    STATUS_PATH,
    TIMESTAMP_FORMAT,
    api_field,
    format_ts,
    parse_ts,
)
from cds_warehouse.sources import load_source

log = logging.getLogger(__name__)

OPEN = ("Đã tiếp nhận", "Đang xử lý", "Chờ bổ sung")
RECEIVED, IN_PROGRESS, AWAITING, ENDED, RETURNED = (
    "Đã tiếp nhận",
    "Đang xử lý",
    "Chờ bổ sung",
    "Đã kết thúc",
    "Đã trả kết quả",
)
EPOCH = datetime(1970, 1, 1)
VIETNAM = timezone(timedelta(hours=7))  # timestamps are local time without a zone

# Faults: transport faults hit any endpoint, page faults only /dossiers.
TRANSPORT_FAULTS = ("error", "unavailable", "throttle", "timeout", "disconnect")
PAGE_FAULTS = ("truncate", "repeat", "skip", "shuffle", "trickle", "sparse", "zoned", "echo")
FAULT_KINDS = TRANSPORT_FAULTS + PAGE_FAULTS


# --------------------------------------------------------------------------------------------------
# Dataset: every version of every dossier, sorted by (updated_at, dossier_code)
# --------------------------------------------------------------------------------------------------


def _api_columns() -> list[tuple[str, str]]:
    """(API field, contract type) in the contract's order; personal data is served (this is the portal)."""
    spec = load_source("portal_dossiers")
    return [(api_field(c.name), "text" if c.pii else c.type) for c in spec.columns]


def _null_blank(values: pa.Array) -> pa.Array:
    return pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values)


def _iso_from_seconds(seconds: np.ndarray, valid: np.ndarray | None = None) -> pa.Array:
    ts = pa.array(seconds.astype(np.int64), pa.timestamp("s"), mask=None if valid is None else ~valid)
    return pc.strftime(ts, format=TIMESTAMP_FORMAT)


def _seconds(values: pa.Array) -> np.ndarray:
    """Epoch seconds of ISO timestamps; -1 for null."""
    parsed = pc.strptime(values, format=TIMESTAMP_FORMAT, unit="s")
    return pc.fill_null(parsed.cast(pa.int64()), -1).to_numpy()


@dataclass(frozen=True)
class PortalDataset:
    """All versions a portal can serve, as an Arrow table in key order (updated_at, dossier_code)."""

    table: pa.Table

    def __post_init__(self):
        ordered = self.table.sort_by([("updated_at", "ascending"), ("dossier_code", "ascending")])
        object.__setattr__(self, "table", ordered)

    def __len__(self) -> int:
        return self.table.num_rows

    @property
    def dossiers(self) -> int:
        return len(pc.unique(self.table.column("dossier_code")))

    @property
    def fingerprint(self) -> str:
        digest = hashlib.sha256()
        for column in ("updated_at", "dossier_code"):
            for chunk in self.table.column(column).chunks:
                for buf in chunk.buffers():
                    if buf is not None:
                        digest.update(buf)
        return digest.hexdigest()

    def version_keys(self) -> list[tuple[str, str, str]]:
        """(province_code, dossier_code, updated_at) of every version."""
        cols = [self.table.column(c).to_pylist() for c in ("province_code", "dossier_code", "updated_at")]
        return list(zip(*cols, strict=True))

    def rows(self) -> list[dict]:
        return self.table.to_pylist()

    # --- building ---------------------------------------------------------------------------------

    @classmethod
    def generate(cls, rows: int, seed: int = 2025, history_share: float = 0.25, **generator_args) -> PortalDataset:
        """Dossiers from the synthetic export generator, with earlier versions for some of them."""
        from cds_warehouse.generate import generate_portal_export

        with tempfile.TemporaryDirectory(prefix="cds_portal_") as tmp:
            path = Path(tmp) / "export.csv"
            generate_portal_export(path, rows=rows, seed=seed, **generator_args)
            return cls.from_export(path, history_share=history_share, seed=seed)

    @classmethod
    def from_export(
        cls, path: str | Path, limit: int | None = None, history_share: float = 0.25, seed: int = 0
    ) -> PortalDataset:
        """The dossiers of a generated export file (the first `limit` rows) as their final versions,
        plus earlier versions for a share of them: received -> in process -> awaiting supplements ->
        ended -> result returned, each at its own time before the final update."""
        spec = load_source("portal_dossiers")
        with open(path, encoding="utf-8-sig", newline="") as fh:
            header = next(csv.reader(fh))
        names = [spec.column_for_header(h).name for h in header]
        convert = pacsv.ConvertOptions(column_types={n: pa.string() for n in names}, strings_can_be_null=False)
        # Streamed and single-threaded (the threaded reader reads ahead), so a limit reads only its rows.
        read = pacsv.ReadOptions(column_names=names, skip_rows=1, use_threads=False)
        reader = pacsv.open_csv(path, read_options=read, convert_options=convert)
        batches, rows = [], 0
        for batch in reader:
            batches.append(batch)
            rows += batch.num_rows
            if limit is not None and rows >= limit:
                break
        raw = pa.Table.from_batches(batches, schema=reader.schema)
        if limit is not None:
            raw = raw.slice(0, limit)
        columns = {}
        for (name, kind), col in zip(_api_columns(), spec.columns, strict=True):
            values = _null_blank(pc.utf8_trim_whitespace(raw.column(col.name).combine_chunks()))
            if kind == "integer":
                values = values.cast(pa.int64())
            elif kind == "numeric":
                values = values.cast(pa.float64())
            elif kind == "timestamp":
                values = pc.strftime(pc.strptime(values, format="%d/%m/%Y %H:%M:%S", unit="s"), format=TIMESTAMP_FORMAT)
            columns[name] = values
        final = pa.table(columns)
        return cls(pa.concat_tables([final, *_earlier_versions(final, history_share, seed)]))

    def with_changes(self, at: datetime, finish: int = 0, new: int = 0, seed: int = 0) -> PortalDataset:
        """A later state: `finish` open dossiers get their result returned and `new` dossiers arrive,
        one second apart from `at` on."""
        t = self.table
        latest: dict[str, int] = {}
        for i, code in enumerate(t.column("dossier_code").to_pylist()):
            latest[code] = i  # key order: the last occurrence is the latest version
        status = t.column("status").to_pylist()
        open_rows = [i for i in latest.values() if status[i] in OPEN]
        rng = random.Random(seed)
        finished = sorted(rng.sample(open_rows, min(finish, len(open_rows))))
        stamps = iter(at + timedelta(seconds=k) for k in range(len(finished) + new))
        added = []
        if finished:
            part = t.take(finished)
            when = pa.array([format_ts(next(stamps)) for _ in finished])
            part = _replace(part, status=pa.array([RETURNED] * len(finished)), finished_at=when, updated_at=when)
            added.append(part)
        if new:
            source_rows = sorted(rng.sample(range(t.num_rows), min(new, t.num_rows)))
            part = t.take(source_rows)
            when = [next(stamps) for _ in source_rows]
            codes = [
                f"{unit}-{w:%y%m%d}-N{seed:03d}{k:05d}"
                for k, (unit, w) in enumerate(zip(part.column("unit_code").to_pylist(), when, strict=True))
            ]
            iso = pa.array([format_ts(w) for w in when])
            part = _replace(
                part,
                dossier_code=pa.array(codes),
                received_at=iso,
                due_at=pa.array([format_ts(w + timedelta(days=5)) for w in when]),
                finished_at=pa.nulls(len(when), pa.string()),
                status=pa.array([RECEIVED] * len(when)),
                supplement_count=pa.array([0] * len(when), pa.int64()),
                supplement_days=pa.array([0.0] * len(when)),
                electronic_result=pa.array([0] * len(when), pa.int64()),
                rating=pa.nulls(len(when), pa.string()),
                complaint=pa.array([0] * len(when), pa.int64()),
                updated_at=iso,
            )
            added.append(part)
        return PortalDataset(pa.concat_tables([t, *added]))


def _replace(table: pa.Table, **columns: pa.Array) -> pa.Table:
    for name, values in columns.items():
        table = table.set_column(table.schema.get_field_index(name), name, values.cast(table.schema.field(name).type))
    return table


def _earlier_versions(final: pa.Table, share: float, seed: int) -> list[pa.Table]:
    """Versions before the final one for about `share` of the dossiers, at strictly increasing times."""
    n = final.num_rows
    if n == 0 or share <= 0:
        return []
    rng = np.random.default_rng([seed, 7])
    received = _seconds(final.column("received_at").combine_chunks())
    finished = _seconds(final.column("finished_at").combine_chunks())
    updated = _seconds(final.column("updated_at").combine_chunks())
    status = np.array(final.column("status").to_pylist(), dtype=object)
    supplements = pc.fill_null(final.column("supplement_count"), 0).to_numpy()
    chosen = rng.random(n) < share
    end = np.where(finished >= 0, finished, updated)
    span = np.maximum(end - received, 0)
    times = {
        RECEIVED: received + rng.integers(60, 600, n),
        IN_PROGRESS: received + (span * rng.uniform(0.2, 0.5, n)).astype(np.int64),
        AWAITING: received + (span * rng.uniform(0.55, 0.8, n)).astype(np.int64),
        ENDED: finished,
    }
    eligible = {
        RECEIVED: np.ones(n, dtype=bool),
        IN_PROGRESS: status != RECEIVED,
        AWAITING: (supplements > 0) & ~np.isin(status, [RECEIVED, IN_PROGRESS]),
        ENDED: (status == RETURNED) & (finished >= 0),
    }
    last = received.copy()
    out = []
    for state in (RECEIVED, IN_PROGRESS, AWAITING, ENDED):
        when = times[state]
        mask = chosen & eligible[state] & (when > last) & (when < updated)
        last = np.where(mask, when, last)
        rows = np.flatnonzero(mask)
        if not rows.size:
            continue
        part = final.take(rows)
        k = rows.size
        iso = _iso_from_seconds(when[rows])
        changes = {"status": pa.array([state] * k), "updated_at": iso, "rating": pa.nulls(k, pa.string())}
        changes["complaint"] = pa.array([0] * k, pa.int64())
        if state != ENDED:
            changes["finished_at"] = pa.nulls(k, pa.string())
            changes["electronic_result"] = pa.array([0] * k, pa.int64())
            changes["supplement_days"] = pa.array([0.0] * k)
        if state in (RECEIVED, IN_PROGRESS):
            changes["supplement_count"] = pa.array([0] * k, pa.int64())
        out.append(_replace(part, **changes))
    return out


# --------------------------------------------------------------------------------------------------
# Faults
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FaultPlan:
    """Which requests go wrong, and how.

    rates: kind -> probability per request (kinds in FAULT_KINDS; their sum at most 1). One draw per
        request from a generator seeded with `seed`: the same request sequence meets the same faults.
    pages: page number within the requested window (1-based, at the requested limit) -> kind, or
        (kind, times): the fault hits the first `times` requests of that page (default once).
    Kinds: error (500), unavailable (503), throttle (429 with Retry-After: `retry_after`), timeout (the
    answer comes after `delay` seconds), disconnect (connection closed without an answer), truncate (JSON
    cut in half), repeat (the previous page's rows again, as an unstable sort order produces), skip (the
    next page's rows instead of this one's), shuffle (this page's rows out of order), trickle (the page
    sent in small pieces spread over `delay` seconds: no single read waits long, the whole answer does).
    echo (a 500 whose body echoes the page's first record, personal data included, as some error pages do).
    Two variants the contract allows, for a pull that must still be exact: sparse (fields whose value is
    null left out of each row, as some serialisers do) and zoned (timestamps written with "+07:00").
    latency: seconds added to every /dossiers answer (to slow a pull down, e.g. to kill it midway).
    """

    seed: int = 0
    rates: Mapping[str, float] = field(default_factory=dict)
    pages: Mapping[int, str | tuple[str, int]] = field(default_factory=dict)
    retry_after: str = "1"
    delay: float = 2.0
    latency: float = 0.0

    def __post_init__(self):
        unknown = set(self.rates) | {(v if isinstance(v, str) else v[0]) for v in self.pages.values()}
        unknown -= set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; known: {FAULT_KINDS}")
        if sum(self.rates.values()) > 1:
            raise ValueError("fault rates add up to more than 1")


class _FaultState:
    def __init__(self, plan: FaultPlan):
        self.plan = plan
        self.rng = random.Random(plan.seed)
        self.page_hits: Counter = Counter()
        self.lock = threading.Lock()

    def draw(self, page: int | None) -> str | None:
        with self.lock:
            u = self.rng.random()  # drawn for every request, so explicit page faults do not shift the sequence
            if page is not None and page in self.plan.pages:
                entry = self.plan.pages[page]
                kind, times = (entry, 1) if isinstance(entry, str) else entry
                self.page_hits[page] += 1
                if self.page_hits[page] <= times:
                    return kind
            cumulative = 0.0
            for kind, rate in self.plan.rates.items():
                if page is None and kind in PAGE_FAULTS:
                    continue
                cumulative += rate
                if u < cumulative:
                    return kind
            return None


# --------------------------------------------------------------------------------------------------
# Server
# --------------------------------------------------------------------------------------------------


class _Index:
    """Key positions in a dataset: searchsorted on update times, then bisect on codes among ties."""

    def __init__(self, dataset: PortalDataset):
        self.dataset = dataset
        self.table = dataset.table
        self.ts = _seconds(self.table.column("updated_at").combine_chunks())
        self.codes = self.table.column("dossier_code").to_pylist()

    def counts_per_day(self, lo: int, hi: int) -> list[dict]:
        """Versions per day of updated_at among positions [lo, hi)."""
        days, counts = np.unique(self.ts[lo:hi] // 86400, return_counts=True)
        return [
            {"day": (EPOCH + timedelta(days=int(d))).date().isoformat(), "versions": int(c)}
            for d, c in zip(days, counts, strict=True)
        ]

    def before(self, when: datetime) -> int:
        """Number of versions updated strictly before `when`."""
        return int(np.searchsorted(self.ts, _epoch(when), side="left"))

    def through(self, when: datetime, code: str) -> int:
        """Number of versions whose key is <= (when, code)."""
        second = _epoch(when)
        lo = int(np.searchsorted(self.ts, second, side="left"))
        hi = int(np.searchsorted(self.ts, second, side="right"))
        return bisect.bisect_right(self.codes, code, lo, hi)

    def key(self, i: int) -> dict:
        return {"updated_at": self.table.column("updated_at")[i].as_py(), "dossier_code": self.codes[i]}

    def rows(self, lo: int, hi: int) -> list[dict]:
        return self.table.slice(lo, max(hi - lo, 0)).to_pylist()


def _epoch(when: datetime) -> int:
    return int((when - EPOCH).total_seconds())


class _BadRequest(Exception):
    pass


class PortalServer:
    """The API on a free loopback port, served from a thread. Use as a context manager."""

    def __init__(
        self,
        dataset: PortalDataset,
        token: str,
        faults: FaultPlan | None = None,
        now: datetime | None = None,
        portal_id: str | None = None,
        max_limit: int = MAX_LIMIT,
    ):
        self.token = token
        self.faults = _FaultState(faults or FaultPlan())
        self.portal_id = portal_id or f"local-{dataset.fingerprint[:12]}"
        self.max_limit = max_limit
        self.stats: Counter = Counter()
        self._lock = threading.Lock()
        self._index = _Index(dataset)
        latest = dataset.table.column("updated_at")
        newest = parse_ts(pc.max(latest).as_py()) if len(latest) else EPOCH
        wall = datetime.now(VIETNAM).replace(tzinfo=None, microsecond=0)
        self.now = max(now or wall, newest + timedelta(seconds=1))  # the server's clock; moves with changes
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self.url = ""  # http://127.0.0.1:<port>/api/v1 once started
        self._thread: threading.Thread | None = None

    # --- life cycle -------------------------------------------------------------------------------

    def start(self) -> PortalServer:
        handler = type("Handler", (_Handler,), {"portal": self})
        self._httpd = _QuietServer(("127.0.0.1", 0), handler)
        host, port = self._httpd.server_address[:2]
        self.url = f"http://{host}:{port}{API_PREFIX}"
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="portal-server", daemon=True
        )
        self._thread.start()
        log.info("local portal API on %s (%s versions)", self.url, len(self.dataset))
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._httpd = None

    def __enter__(self) -> PortalServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def dataset(self) -> PortalDataset:
        return self._index.dataset

    def set_faults(self, faults: FaultPlan) -> None:
        self.faults = _FaultState(faults)

    def serve(self, dataset: PortalDataset) -> None:
        """Serve another dataset from now on (the clock never goes back)."""
        with self._lock:
            self._index = _Index(dataset)
            latest = dataset.table.column("updated_at")
            if len(latest):
                self.now = max(self.now, parse_ts(pc.max(latest).as_py()) + timedelta(seconds=1))

    def add_changes(self, finish: int = 0, new: int = 0, seed: int = 0) -> int:
        """Finish `finish` open dossiers and receive `new` ones, stamped from the server's clock on;
        the clock then moves past them. Returns the number of versions added."""
        with self._lock:
            before = len(self.dataset)
            changed = self.dataset.with_changes(self.now, finish=finish, new=new, seed=seed)
            self._index = _Index(changed)
            added = len(changed) - before
            self.now += timedelta(seconds=added + 1)
            return added

    # --- requests ---------------------------------------------------------------------------------

    def handle(self, req: _Handler) -> None:
        self.stats["requests"] += 1
        parts = urlsplit(req.path)
        if not parts.path.startswith(API_PREFIX):
            return req.send_json(404, {"error": f"no such resource: {parts.path}"})
        if not self._authorized(req.headers.get("Authorization", "")):
            self.stats["unauthorized"] += 1
            return req.send_json(
                401, {"error": "missing or invalid bearer token"}, {"WWW-Authenticate": 'Bearer realm="portal"'}
            )
        path = parts.path[len(API_PREFIX) :]
        if path not in (STATUS_PATH, DOSSIERS_PATH, COUNTS_PATH):
            return req.send_json(404, {"error": f"no such resource: {parts.path}"})
        index = self._index  # one consistent snapshot for the whole answer
        try:
            query = _query(parts.query)
            window = self._window(index, query) if path == DOSSIERS_PATH else None
            counted = self._counted(index, query) if path == COUNTS_PATH else None
        except _BadRequest as exc:
            return req.send_json(400, {"error": str(exc)})
        fault = self.faults.draw(window["page"] if window else None)
        if fault:
            self.stats[f"fault_{fault}"] += 1
        if fault in TRANSPORT_FAULTS and self._transport_fault(req, fault):
            return
        if path == STATUS_PATH:
            body = {
                "portal_id": self.portal_id,
                "server_time": format_ts(self.now),
                "max_limit": self.max_limit,
                "api_version": "1",
            }
            return req.send_json(200, body)
        if counted is not None:
            return req.send_json(200, {"days": index.counts_per_day(*counted), "server_time": format_ts(self.now)})
        if fault == "echo":  # as an error page that names the record it failed on
            row = (index.rows(window["first"], min(window["first"] + 1, window["hi"])) or [{}])[0]
            who = ", ".join(str(row.get(k)) for k in ("applicant_name", "applicant_id", "applicant_phone"))
            return req.send_json(500, {"error": f"could not serialise the dossier of {who}", "record": row})
        if self.faults.plan.latency:
            self._stopping.wait(self.faults.plan.latency)
        body = self._page(index, window, fault)
        data = json.dumps(body, ensure_ascii=False).encode()
        if fault == "truncate":
            data = data[: len(data) // 2]
        self.stats["pages"] += 1
        if fault == "trickle":
            return req.send_bytes(200, data, pieces=40, spread=self.faults.plan.delay, stopping=self._stopping)
        req.send_bytes(200, data)

    def _authorized(self, header: str) -> bool:
        scheme, _, credentials = header.partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(credentials.strip().encode(), self.token.encode())

    def _transport_fault(self, req: _Handler, fault: str) -> bool:
        if fault == "error":
            req.send_json(500, {"error": "internal server error"})
        elif fault == "unavailable":
            req.send_json(503, {"error": "service unavailable"})
        elif fault == "throttle":
            req.send_json(429, {"error": "too many requests"}, {"Retry-After": self.faults.plan.retry_after})
        elif fault == "disconnect":
            req.close_connection = True  # no answer at all
        elif fault == "timeout":
            self._stopping.wait(self.faults.plan.delay)
            return False  # then answers, too late for a client with a shorter timeout
        return True

    def _window(self, index: _Index, query: dict[str, str]) -> dict:
        allowed = {"updated_from", "updated_to", "after_updated_at", "after_code", "limit"}
        unknown = set(query) - allowed
        if unknown:
            raise _BadRequest(f"unknown parameters: {sorted(unknown)}")
        try:
            limit = int(query.get("limit", "100"))
        except ValueError:
            raise _BadRequest("limit must be a whole number") from None
        if not 1 <= limit <= self.max_limit:
            raise _BadRequest(f"limit must be between 1 and {self.max_limit}")
        try:
            start = parse_ts(query["updated_from"]) if "updated_from" in query else None
            end = parse_ts(query["updated_to"]) if "updated_to" in query else None
            after_ts = parse_ts(query["after_updated_at"]) if "after_updated_at" in query else None
        except ValueError as exc:
            raise _BadRequest(str(exc)) from None
        after_code = query.get("after_code")
        if (after_ts is None) != (after_code is None):
            raise _BadRequest("after_updated_at and after_code go together")
        w_lo = index.before(start) if start else 0
        w_hi = index.before(end) if end else len(index.codes)
        w_hi = max(w_hi, w_lo)
        first = index.through(after_ts, after_code) if after_ts else 0
        first = min(max(first, w_lo), w_hi)
        after = {"updated_at": format_ts(after_ts), "dossier_code": after_code} if after_ts else None
        return {
            "lo": w_lo,
            "hi": w_hi,
            "first": first,
            "limit": limit,
            "after": after,
            "page": (first - w_lo) // limit + 1,
        }

    def _counted(self, index: _Index, query: dict[str, str]) -> tuple[int, int]:
        """Positions [lo, hi) of the versions a /counts request asks about."""
        unknown = set(query) - {"updated_from", "updated_to"}
        if unknown:
            raise _BadRequest(f"unknown parameters: {sorted(unknown)}")
        try:
            start = parse_ts(query["updated_from"]) if "updated_from" in query else None
            end = parse_ts(query["updated_to"]) if "updated_to" in query else None
        except ValueError as exc:
            raise _BadRequest(str(exc)) from None
        lo = index.before(start) if start else 0
        return lo, max(index.before(end) if end else len(index.codes), lo)

    def _page(self, index: _Index, w: dict, fault: str | None) -> dict:
        lo, hi, first, limit = w["lo"], w["hi"], w["first"], w["limit"]
        end = min(first + limit, hi)
        served_lo, served_hi, last = first, end, end  # rows served, and the position the page claims to reach
        if fault == "repeat" and first - limit >= lo:
            served_lo, served_hi = first - limit, first
        elif fault == "skip":
            served_lo, served_hi = end, min(end + limit, hi)
            last = served_hi
        rows = index.rows(served_lo, served_hi)
        if fault == "shuffle":
            random.Random(first).shuffle(rows)
        more = last < hi
        next_key = index.key(last - 1) if more else None
        if fault == "sparse":
            rows = [{k: v for k, v in row.items() if v is not None} for row in rows]
        elif fault == "zoned":
            rows = [{k: _zoned(v) if k in _TIMESTAMP_FIELDS else v for k, v in row.items()} for row in rows]
            next_key = next_key and {**next_key, "updated_at": _zoned(next_key["updated_at"])}
        return {
            "data": rows,
            "paging": {
                "limit": limit,
                "after": w["after"],
                "next": next_key,
                "has_more": more,
                # versions in the window after the request's cursor up to `next` (to the window's end on
                # the last page): counted from the index, not from the rows served
                "count_in_range": last - first,
                "total": hi - lo,
            },
            "server_time": format_ts(self.now),
        }


_TIMESTAMP_FIELDS = {"received_at", "due_at", "finished_at", "updated_at"}


def _zoned(value: str | None) -> str | None:
    return value and value + "+07:00"


def _query(text: str) -> dict[str, str]:
    parsed = parse_qs(text, keep_blank_values=True, strict_parsing=False)
    repeated = [k for k, v in parsed.items() if len(v) > 1]
    if repeated:
        raise _BadRequest(f"parameters given twice: {repeated}")
    return {k: v[0] for k, v in parsed.items()}


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def handle_error(self, request, client_address):
        # Clients that gave up (timeouts) leave broken pipes behind; that is the point, not news.
        log.debug("connection from %s ended abruptly", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive: a pull reuses one connection
    portal: PortalServer

    def do_GET(self):  # noqa: N802 (http.server's naming)
        self.portal.handle(self)

    def _not_allowed(self):
        self.send_json(405, {"error": "only GET is supported"}, {"Allow": "GET"})

    do_POST = do_PUT = do_DELETE = do_PATCH = _not_allowed  # noqa: N815

    def send_json(self, status: int, body: dict, headers: Mapping[str, str] | None = None) -> None:
        self.send_bytes(status, json.dumps(body, ensure_ascii=False).encode(), headers)

    def send_bytes(
        self,
        status: int,
        data: bytes,
        headers: Mapping[str, str] | None = None,
        pieces: int = 1,
        spread: float = 0.0,
        stopping: threading.Event | None = None,
    ) -> None:
        """The answer; with pieces > 1 the body goes out in that many parts over `spread` seconds."""
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        size = -(-len(data) // pieces)
        for offset in range(0, len(data), size):
            if offset and stopping is not None and stopping.wait(spread / pieces):
                return
            self.wfile.write(data[offset : offset + size])
            self.wfile.flush()

    def log_message(self, format, *args):  # noqa: A002
        log.debug("%s %s", self.address_string(), format % args)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m cds_warehouse.portal_server", description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=20_000, help="dossiers to generate")
    parser.add_argument("--seed", type=int, default=2025)
    parser.add_argument("--token", default=None, help="bearer token (default: a random one, printed)")
    parser.add_argument("--error-rate", type=float, default=0.0, help="share of requests answered with 500")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    token = args.token or secrets.token_urlsafe(24)
    dataset = PortalDataset.generate(rows=args.rows, seed=args.seed)
    faults = FaultPlan(seed=args.seed, rates={"error": args.error_rate} if args.error_rate else {})
    with PortalServer(dataset, token=token, faults=faults) as server:
        print(f"CDS_PORTAL_URL={server.url}\nCDS_PORTAL_TOKEN={token}\n{len(dataset):,} versions; Ctrl-C stops")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
