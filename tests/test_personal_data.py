"""No applicant's name, ID number or phone reaches any table of the warehouse in clear text."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from conftest import run_dbt

from cds_warehouse.batches import gate_batches
from cds_warehouse.load import load_file

SCHEMAS = ("raw", "staging", "intermediate", "marts", "reference")
# Shapes of personal data, for columns that are not hashes (a hex digest can hold a run of digits).
PATTERNS = {
    "citizen ID (12 digits)": r"(^|\D)0\d{11}($|\D)",
    "mobile phone": r"(^|\D)(\+?84|0)[35789]\d{8}($|\D)",
}


def _personal_values(export: Path, limit: int = 300) -> dict[str, list[str]]:
    values = {"name": [], "id": [], "phone": [], "address": []}
    with export.open(encoding="utf-8-sig", newline="") as fh:
        for i, row in enumerate(csv.DictReader(fh)):
            if i >= limit:
                break
            values["name"].append(row["Họ tên người nộp"])
            values["id"].append(row["Số CCCD"])
            values["phone"].append(row["Số điện thoại"])
            values["address"].append(row["Địa chỉ"].split(",")[0])
    return values


@pytest.mark.slow
def test_no_personal_data_in_any_table(conn, dsn, tmp_path):
    from cds_devkit.synthetic import generate_portal_export

    export = tmp_path / "export.csv"
    generate_portal_export(export, rows=5_000, seed=11)
    gate_batches([load_file(export).load_id])
    run_dbt(tmp_path, "build", "--quiet")
    columns = conn.execute(
        "select table_schema, table_name, column_name from information_schema.columns"
        " where table_schema = any(%s) and data_type in ('text', 'character varying')",
        (list(SCHEMAS),),
    ).fetchall()
    assert {c[0] for c in columns} >= {"raw", "staging", "marts"}
    personal = _personal_values(export)
    leaks = []
    for schema, table, column in columns:
        ref = f'{schema}."{table}"."{column}"'
        for kind, values in personal.items():
            hit = conn.execute(
                f'select count(*) from {schema}."{table}" where "{column}" = any(%s)', (values,)
            ).fetchone()[0]
            if hit:
                leaks.append(f"{ref}: {hit} applicant {kind} value(s)")
        if column.endswith("_hash"):
            continue
        for kind, pattern in PATTERNS.items():
            hit = conn.execute(f'select count(*) from {schema}."{table}" where "{column}" ~ %s', (pattern,)).fetchone()[
                0
            ]
            if hit:
                leaks.append(f"{ref}: {hit} value(s) shaped like a {kind}")
    assert leaks == []
    # the hashes are there, so the check above looked at real rows
    assert conn.execute("select count(applicant_id_hash) from raw.portal_dossier").fetchone()[0] > 0
