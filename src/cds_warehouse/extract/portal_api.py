"""The portal dossier API (docs/sources/portal_api.md) from the client's side: configuration, verified
pages and their conversion to the loader's input.

A page is used only once it proves itself complete: every row lies in the requested window and after the
cursor, ``next`` is the largest key of the page, and the number of distinct new rows equals
``count_in_range``, the server's count of versions between the cursor and ``next``. A page repeated or
skipped by an unstable sort order, or cut short, fails that check and is asked for again. Rows arrive in
any order within a page; the client sorts them by key.
"""

from __future__ import annotations

import logging
import os
import queue
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple
from urllib.parse import urlsplit, urlunsplit

import pyarrow as pa
import pyarrow.compute as pc

from cds_warehouse.extract.contract import (
    COUNTS_PATH,
    DOSSIERS_PATH,
    FIELD_ALIASES,
    MAX_LIMIT,
    STATUS_PATH,
    api_field,
    format_ts,
    parse_ts,
    shape_of,
)
from cds_warehouse.extract.http import ContractViolation, JsonClient, Retryable, RetryPolicy
from cds_warehouse.sources import SourceSpec

log = logging.getLogger(__name__)

AIRFLOW_CONN_ID = "cds_portal"


# --- configuration --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PortalConfig:
    base_url: str  # e.g. https://dichvucong.example.gov.vn/api/v1
    token: str = field(repr=False)

    @property
    def safe_url(self) -> str:
        """The base URL without user info, query or fragment: what logs and the audit may show."""
        parts = urlsplit(self.base_url)
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
        return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


def portal_config() -> PortalConfig | None:
    """CDS_PORTAL_URL and CDS_PORTAL_TOKEN, else the Airflow connection ``cds_portal``, else None.

    The connection, e.g. ``AIRFLOW_CONN_CDS_PORTAL=https://:TOKEN@portal.example.vn/api/v1``: type http or
    https, host, port, schema = the path of the API, password = the token; an extra ``{"base_url": ...}``
    overrides all but the token.
    """
    url, token = os.environ.get("CDS_PORTAL_URL"), os.environ.get("CDS_PORTAL_TOKEN")
    if url:
        if not token:
            raise RuntimeError("CDS_PORTAL_URL is set but CDS_PORTAL_TOKEN is not")
        return _masked(PortalConfig(url.strip(), token.strip()))
    conn = _airflow_connection()
    if conn is None:
        return None
    base_url, token = conn
    if not base_url or not token:
        raise RuntimeError(f"Airflow connection {AIRFLOW_CONN_ID} needs a host (or extra base_url) and a password")
    return _masked(PortalConfig(base_url, token))


def _airflow_connection() -> tuple[str, str] | None:
    if "airflow.sdk" in sys.modules:  # inside Airflow: whatever secrets backend holds the connection
        try:
            from airflow.sdk import Connection

            conn = Connection.get(AIRFLOW_CONN_ID)
        except Exception:  # no such connection, or not in a task context
            conn = None
        if conn is not None:
            extra = conn.extra_dejson or {}
            host, schema = conn.host or "", conn.schema or ""
            if extra.get("base_url"):
                base = extra["base_url"]
            elif "://" in host:
                base = host
            else:  # https://:TOKEN@host:port/api/v1 gives conn_type https and schema "api/v1"
                web = ("http", "https")
                scheme = conn.conn_type if conn.conn_type in web else (schema if schema in web else "https")
                path = f"/{schema.strip('/')}" if schema and schema not in web else ""
                base = f"{scheme}://{host}{f':{conn.port}' if conn.port else ''}{path}"
            return base, conn.password or ""
    uri = os.environ.get(f"AIRFLOW_CONN_{AIRFLOW_CONN_ID.upper()}")
    if not uri:
        return None
    parts = urlsplit(uri)  # e.g. https://:TOKEN@portal.example/api/v1
    scheme = parts.scheme if parts.scheme in ("http", "https") else "https"
    netloc = f"{parts.hostname}:{parts.port}" if parts.port else (parts.hostname or "")
    return urlunsplit((scheme, netloc, parts.path, "", "")), parts.password or ""


def _masked(config: PortalConfig) -> PortalConfig:
    if "airflow.sdk" in sys.modules:  # Airflow's log masker then hides the token wherever it appears
        try:
            from airflow.sdk.log import mask_secret

            mask_secret(config.token)
        except Exception:  # pragma: no cover - an Airflow without the masker
            pass
    return config


# --- pages ----------------------------------------------------------------------------------------


class Key(NamedTuple):
    """Position in the feed: versions are ordered by update time, then dossier code (code point order)."""

    updated_at: datetime
    dossier_code: str

    def params(self) -> dict[str, str]:
        return {"after_updated_at": format_ts(self.updated_at), "after_code": self.dossier_code}

    def __str__(self) -> str:
        return f"({format_ts(self.updated_at)}, {self.dossier_code})"


@dataclass(frozen=True)
class Status:
    portal_id: str
    server_time: datetime
    max_limit: int


@dataclass
class Page:
    number: int
    after: Key | None
    items: list[dict]  # new rows, in key order
    last: Key | None  # key of the last row (the next cursor); None when the page is empty
    has_more: bool
    total: int  # versions in the whole window
    # rows at or before the cursor: sent before (an unstable order, a repeated page), or versions committed
    # late behind it; the ingestion keeps those the batch does not hold yet
    behind: list[dict] = field(default_factory=list)


class PortalApi:
    def __init__(
        self,
        config: PortalConfig,
        policy: RetryPolicy | None = None,
        page_size: int = MAX_LIMIT,
        prefetch: bool = True,
        **kw,
    ):
        self.config = config
        self.page_size = page_size
        self.prefetch = prefetch
        self.http = JsonClient(config.base_url, config.token, policy, **kw)

    def close(self) -> None:
        self.http.close()

    def status(self) -> Status:
        def check(body):
            try:
                portal_id, server_time, max_limit = body["portal_id"], body["server_time"], body["max_limit"]
            except (KeyError, TypeError) as exc:
                raise Retryable(f"status answer without portal_id/server_time/max_limit: {exc!r}") from None
            try:
                clock = parse_ts(server_time)
            except ValueError as exc:  # its message shows the value's shape only
                raise ContractViolation(f"status answer: {exc}") from None
            try:
                limit = int(max_limit)
            except (TypeError, ValueError):  # int()'s message would quote the value
                raise ContractViolation("status answer: max_limit is not a whole number") from None
            return Status(str(portal_id), clock, limit)

        return self.http.get(STATUS_PATH, {}, "status", check)

    def counts(self, start: datetime, end: datetime) -> dict[date, int]:
        """The portal's count of versions per day of updated_at, for versions updated in [start, end)."""
        params = {"updated_from": format_ts(start), "updated_to": format_ts(end)}

        def check(body) -> dict[date, int]:
            try:
                return {date.fromisoformat(d["day"]): int(d["versions"]) for d in body["days"]}
            except KeyError as exc:
                raise Retryable(f"counts answer without the field {exc}") from None
            except (TypeError, ValueError):  # the message would quote the value
                raise ContractViolation("counts answer: days that are not {day: YYYY-MM-DD, versions: n}") from None

        return self.http.get(COUNTS_PATH, params, f"counts [{format_ts(start)}, {format_ts(end)})", check)

    def page(self, start: datetime | None, end: datetime, after: Key | None, number: int) -> Page:
        params: dict[str, Any] = {"updated_to": format_ts(end), "limit": self.page_size}
        if start is not None:
            params["updated_from"] = format_ts(start)
        if after is not None:
            params.update(after.params())
        what = f"page {number}, after {after or 'the start of the window'}"
        return self.http.get(DOSSIERS_PATH, params, what, lambda body: verify_page(body, start, end, after, number))

    def pages(self, start: datetime | None, end: datetime, after: Key | None, number: int = 1) -> Iterator[Page]:
        """Verified pages from `after` to the end of the window [start, end).

        With prefetch, the next page is fetched (from a daemon thread) while the caller loads this one;
        the caller still receives the pages one by one, in order.
        """
        if not self.prefetch:
            while True:
                page = self.page(start, end, after, number)
                yield page
                if not page.has_more:
                    return
                after, number = page.last, number + 1
        ready: queue.Queue = queue.Queue(maxsize=1)
        stop = threading.Event()

        def fetch(cursor: Key | None, n: int) -> None:
            while not stop.is_set():
                try:
                    item: Page | BaseException = self.page(start, end, cursor, n)
                except BaseException as exc:  # handed to the caller's thread
                    item = exc
                while not stop.is_set():
                    try:
                        ready.put(item, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if isinstance(item, BaseException) or not item.has_more:
                    return
                cursor, n = item.last, n + 1

        threading.Thread(target=fetch, args=(after, number), name="portal-prefetch", daemon=True).start()
        try:
            while True:
                item = ready.get()
                if isinstance(item, BaseException):
                    raise item
                yield item
                if not item.has_more:
                    return
        finally:
            stop.set()


def verify_page(body: Any, start: datetime | None, end: datetime, after: Key | None, number: int) -> Page:
    """The page's new rows in key order, if the page is complete for the range it claims; else Retryable."""
    try:
        data, paging = body["data"], body["paging"]
        count, total, has_more = int(paging["count_in_range"]), int(paging["total"]), bool(paging["has_more"])
        nxt = paging.get("next")
        next_key = Key(parse_ts(nxt["updated_at"]), str(nxt["dossier_code"])) if nxt else None
    except KeyError as exc:
        raise Retryable(f"page without the field {exc}") from None
    except (TypeError, ValueError):  # the message would quote the value: the answer's text stays out
        raise Retryable("page whose paging fields are not of the contract's types") from None
    if not isinstance(data, list):
        raise Retryable("data is not a list")
    if has_more != (next_key is not None):
        raise Retryable("has_more and next disagree")
    keyed: dict[Key, dict] = {}
    behind: dict[Key, dict] = {}
    for item in data:
        try:
            if not isinstance(item, dict):
                raise ValueError(f"{shape_of(item)} is not an object")
            code = item.get("dossier_code")
            if not isinstance(code, str) or not code.strip():
                raise ValueError(f"dossier_code {shape_of(code)} is not a non-blank string")
            key = Key(parse_ts(item.get("updated_at")), code)
        except ValueError as exc:
            raise ContractViolation(f"a row without a valid updated_at and dossier_code: {exc}") from None
        if not ((start is None or key.updated_at >= start) and key.updated_at < end):
            raise Retryable(f"row {key} lies outside the requested window")
        if after is not None and key <= after:
            # sent before (an unstable order, a repeated page), or committed late behind the cursor
            behind.setdefault(key, item)
            continue
        keyed.setdefault(key, item)
    repeated = len(behind)
    keys = sorted(keyed)
    last = keys[-1] if keys else None
    if next_key is not None and last != next_key:
        raise Retryable(f"next cursor {next_key} is not the page's last row {last}")
    if len(keys) != count:
        raise Retryable(
            f"the server counts {count} versions after the cursor up to {next_key or 'the end of the window'}"
            f" but the page holds {len(keys)} new ones ({repeated} at or before the cursor)"
        )
    return Page(number, after, [keyed[k] for k in keys], last, has_more, total, list(behind.values()))


# --- to the loader --------------------------------------------------------------------------------


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, int | float):
        return str(value)
    return repr(value)  # a list or an object where a scalar belongs: kept as text, fails typed columns


def _strings(values: list | None, typed: pa.Array | None = None) -> pa.Array:
    """JSON scalars of one field as text; vectorised when the field holds one kind of scalar (the
    normal case), value by value when kinds are mixed ("2" here, 2 there) or not scalars."""
    if typed is None:
        try:
            typed = pa.array(values)
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            typed = None
    if typed is not None:
        kind = typed.type
        if pa.types.is_string(kind) or pa.types.is_null(kind) or pa.types.is_integer(kind):
            return typed.cast(pa.string())
        if pa.types.is_floating(kind):
            return typed.cast(pa.string())  # 2.5 -> "2.5", 2.0 -> "2"
        if values is None:
            values = typed.to_pylist()
    return pa.array([_text(v) for v in values], pa.string())


_ISO_SECONDS = r"^(\d{4})-(\d{2})-(\d{2})T(\d{2}:\d{2}:\d{2})(?:\+07:00)?$"
_ISO_DATE = r"^(\d{4})-(\d{2})-(\d{2})$"


def _as_file_timestamp(values: pa.Array) -> pa.Array:
    """API timestamps (ISO, local time) in the file layout the loader parses: dd/mm/yyyy HH:MM:SS."""
    values = pc.replace_substring_regex(values, _ISO_SECONDS, r"\3/\2/\1 \4")
    return pc.replace_substring_regex(values, _ISO_DATE, r"\3/\2/\1")


def page_to_batch(items: list[dict], spec: SourceSpec) -> pa.RecordBatch:
    """The landed fields of the rows as strings keyed by contract field name, ready for clean_batch.
    Personal data that is dropped (names, addresses, summaries) is not even read. A field may be missing
    from any row (it then counts as null), the first one included."""
    try:
        whole = pa.RecordBatch.from_pylist(items)  # one pass in C++ when every field holds one kind
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        whole = None
    # from_pylist takes its fields from the first row: a field that row lacks is read field by field
    fields = set().union(*items)
    arrays, names = [], []
    for col in spec.landed_columns:
        key = api_field(col.name)
        if key not in fields:
            values = pa.nulls(len(items), pa.string())
        elif whole is not None and key in whole.schema.names:
            values = _strings(None, whole.column(key))
        else:
            values = _strings([item.get(key) for item in items])
        if col.type == "timestamp":
            values = _as_file_timestamp(values)
        arrays.append(values)
        names.append(col.name)
    return pa.RecordBatch.from_arrays(arrays, names=names)


def unknown_fields(items: list[dict], spec: SourceSpec) -> set[str]:
    known = {api_field(c.name) for c in spec.columns} | set(FIELD_ALIASES)
    return {k for item in items[:50] for k in item if k not in known}
