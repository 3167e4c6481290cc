"""A dossier with a finished status but no finish time is counted as finished at its updated_at, and the
night says so: a warning test names the province, level and month (docs/indicators.md)."""

from __future__ import annotations

import datetime as dt
import re

from conftest import dossier, run_dbt, write_export
from leaks import LeakScan, personal_values

from cds_warehouse.batches import gate_batches
from cds_warehouse.load import load_file

SELECTED = ("--select", "+int_portal_loads_processed", "--indirect-selection", "buildable")
WARNING = "assert_finished_dossiers_have_a_finish_time"


def _load(path) -> None:
    result = load_file(path)
    assert (result.status, result.rows_rejected) == ("loaded", 0)
    gate_batches([result.load_id])


def _outcome(output: str) -> str:
    """PASS or WARN n of the warning test in a dbt build's output."""
    found = re.search(rf"(PASS|WARN \d+) {WARNING}", output)
    assert found, f"{WARNING} did not run"
    return found.group(1)


def test_a_finished_dossier_without_finish_time_is_counted_at_its_update_and_warned(conn, tmp_path):
    work = tmp_path / "dbt"
    unfinished_time = dossier(
        dossier_code="H27.99-240105-0002",
        finished_at="",
        updated_at="12/02/2024 09:00:00",
        applicant_name="Đỗ Văn Thiếu",
        applicant_id_hash="027190009999",
        applicant_phone_hash="0977000111",
    )
    later = dossier(dossier_code="H27.99-240105-0003", applicant_name="Hoàng Thị Sau")
    rows = [dossier(), unfinished_time, later]
    scan = LeakScan(conn, work)

    _load(write_export(tmp_path / "night1.csv", rows[:2]))
    assert _outcome(run_dbt(work, "build", *SELECTED)) == "WARN 1"
    counted = conn.execute(
        "select dossier_code, is_finished, counted_to_month from marts.fct_dossier order by dossier_code"
    ).fetchall()
    assert counted == [
        ("H27.99-240105-0001", True, dt.date(2024, 1, 1)),  # finished 08/01/2024
        ("H27.99-240105-0002", True, dt.date(2024, 2, 1)),  # no finish time: its update, 12/02/2024
    ]
    finished_in_february = conn.execute(
        "select sum(finished_dossiers) from intermediate.int_dossiers_aggregated_to_unit_month"
        " where period_start = '2024-02-01'"
    ).fetchone()[0]
    assert finished_in_february == 1

    # the next night brings a dossier with its finish time: nothing to warn about in its loads
    _load(write_export(tmp_path / "night2.csv", rows[2:]))
    assert _outcome(run_dbt(work, "build", *SELECTED)) == "PASS"
    assert conn.execute("select count(*), count(distinct dossier_key) from marts.fct_dossier").fetchone() == (3, 3)
    scan.assert_clean(conn, personal_values(rows))
