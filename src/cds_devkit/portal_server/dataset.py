"""The portal's data: synthetic dossiers and their earlier versions, held as Arrow tables."""

from __future__ import annotations

import csv
import hashlib
import logging
import random
import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from cds_warehouse.extract.contract import (
    TIMESTAMP_FORMAT,
    api_field,
    format_ts,
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


def epoch_seconds(values: pa.Array) -> np.ndarray:
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
        from cds_devkit.synthetic import generate_portal_export

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
    received = epoch_seconds(final.column("received_at").combine_chunks())
    finished = epoch_seconds(final.column("finished_at").combine_chunks())
    updated = epoch_seconds(final.column("updated_at").combine_chunks())
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
