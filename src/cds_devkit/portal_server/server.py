"""The HTTP server: bearer token, status, counts and keyset-paged dossiers, with the planned faults."""

from __future__ import annotations

import bisect
import hmac
import json
import logging
import random
import threading
from collections import Counter
from collections.abc import Mapping
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import numpy as np
import pyarrow.compute as pc

from cds_devkit.portal_server.dataset import EPOCH, VIETNAM, PortalDataset, epoch_seconds
from cds_devkit.portal_server.faults import TRANSPORT_FAULTS, FaultPlan, FaultState
from cds_warehouse.extract.contract import (
    API_PREFIX,
    COUNTS_PATH,
    DOSSIERS_PATH,
    MAX_LIMIT,
    STATUS_PATH,
    format_ts,
    parse_ts,
)

log = logging.getLogger(__name__)

# --------------------------------------------------------------------------------------------------
# Server
# --------------------------------------------------------------------------------------------------


class _Index:
    """Key positions in a dataset: searchsorted on update times, then bisect on codes among ties."""

    def __init__(self, dataset: PortalDataset):
        self.dataset = dataset
        self.table = dataset.table
        self.ts = epoch_seconds(self.table.column("updated_at").combine_chunks())
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
        self.faults = FaultState(faults or FaultPlan())
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
        self.faults = FaultState(faults)

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
