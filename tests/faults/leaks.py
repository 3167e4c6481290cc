"""What the fault suite asserts after each fault: no applicant's personal value anywhere in clear text.

Looked for, as substrings: every text column of every schema of the test database (raw, audit and reject
tables included), the PostgreSQL server's log written since the test began, and the files under the given
folders (dbt target folders, task logs, GX files).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import psycopg
from conftest import dossier

PERSONAL_FIELDS = ("applicant_name", "applicant_id_hash", "applicant_phone_hash", "applicant_address", "summary")
MIN_LENGTH = 6  # shorter values (a two-letter name part) would match unrelated text


def applicants(n: int, prefix: str, **overrides) -> list[dict[str, str]]:
    """Export rows of ``n`` dossiers, each with its own applicant: a name, ID number, phone, address and
    summary that a leak would show (prefix keeps the dossier codes and names of one test apart)."""
    return [
        dossier(
            dossier_code=f"{prefix}-{i:05d}",
            applicant_name=f"Phạm Văn Thử {prefix} {i}",
            applicant_id_hash=f"0271900{i:05d}",
            applicant_phone_hash=f"09123{i:05d}",
            applicant_address=f"Số {i}, ngõ Thử Nghiệm, {prefix}",
            summary=f"Hồ sơ của Phạm Văn Thử {prefix} {i}",
            **overrides,
        )
        for i in range(n)
    ]


def personal_values(rows: list[dict[str, str]]) -> set[str]:
    """The clear-text personal values of export rows (conftest.dossier's field names)."""
    return {r[f] for r in rows for f in PERSONAL_FIELDS if len(r.get(f) or "") >= MIN_LENGTH}


def server_log(conn: psycopg.Connection) -> Path | None:
    """The server's log when it is the project-local cluster (scripts/pg.sh writes it beside the data
    directory), else None: a server elsewhere keeps its log out of reach."""
    data_dir = Path(conn.execute("show data_directory").fetchone()[0])
    log = data_dir.parent / "server.log"
    return log if os.access(log, os.R_OK) else None


class LeakScan:
    """Start before the fault (it notes where the server log stands), then ``assert_clean(conn, values)``."""

    def __init__(self, conn: psycopg.Connection, *folders: Path):
        self.folders = folders
        self.log = server_log(conn)
        self.log_offset = self.log.stat().st_size if self.log and self.log.exists() else 0

    def found(self, conn: psycopg.Connection, values: set[str]) -> list[str]:
        assert values, "no personal values to look for: the scan would prove nothing"
        hits = []
        columns = conn.execute(
            "select table_schema, table_name, column_name from information_schema.columns"
            " where table_schema not in ('pg_catalog', 'information_schema')"
            " and data_type in ('text', 'character varying', 'json', 'jsonb')"
        ).fetchall()
        patterns = [f"%{v}%" for v in values]
        for schema, table, column in columns:
            count = conn.execute(
                f'select count(*) from "{schema}"."{table}" where "{column}"::text like any(%s)', (patterns,)
            ).fetchone()[0]
            if count:
                hits.append(f"table {schema}.{table}.{column}: {count} row(s)")
        needle = re.compile("|".join(re.escape(v) for v in sorted(values)))
        if self.log is not None:
            with self.log.open("rb") as fh:
                fh.seek(self.log_offset)
                text = fh.read().decode("utf-8", "replace")
            hits += [f"server log: {m.group(0)[:3]}…" for m in needle.finditer(text)]
        for folder in self.folders:
            for path in Path(folder).rglob("*"):
                if path.is_file() and needle.search(path.read_bytes().decode("utf-8", "replace")):
                    hits.append(f"file {path}")
        return hits

    def assert_clean(self, conn: psycopg.Connection, values: set[str], *texts: str) -> None:
        """Also checks the given texts (captured logs, error messages)."""
        hits = self.found(conn, values)
        hits += [f"text #{i}" for i, t in enumerate(texts) if any(v in t for v in values)]
        assert not hits, "personal data in clear text: " + "; ".join(hits)
