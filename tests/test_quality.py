"""The raw quality gate: a good batch is published, a bad one quarantined and the gate fails."""

from __future__ import annotations

import pytest
from conftest import dossier, write_export

from cds_warehouse.batches import gate_batches
from cds_warehouse.load import load_file
from cds_warehouse.quality import QualityGateFailed


def _status(conn, load_id):
    return conn.execute("select status, message from raw.load_audit where load_id = %s", (load_id,)).fetchone()


def test_good_batch_is_published_and_bad_batches_are_quarantined(conn, tmp_path):
    good = load_file(write_export(tmp_path / "good.csv", [dossier(dossier_code=f"G{i}") for i in range(20)]))
    # rows the loader rejects (a dossier in two rows that differ, a year typo) leave batches without a row
    repeated = load_file(
        write_export(tmp_path / "repeated.csv", [dossier(dossier_code="R1"), dossier(dossier_code="R1", unit_code="x")])
    )
    future = load_file(
        write_export(tmp_path / "future.csv", [dossier(dossier_code="F1", received_at="05/01/2205 08:00:00")])
    )
    mostly_bad = load_file(
        write_export(
            tmp_path / "mostly_bad.csv",
            [dossier(dossier_code=f"M{i}", channel="7") for i in range(5)] + [dossier(dossier_code="M9")],
        )
    )
    assert (repeated.rows_rejected, future.rows_rejected, mostly_bad.rows_rejected) == (2, 1, 5)

    with pytest.raises(QualityGateFailed) as failure:
        gate_batches([good.load_id, repeated.load_id, future.load_id, mostly_bad.load_id])

    message = str(failure.value)
    assert f"load {good.load_id}" not in message
    assert "expect_table_row_count_to_be_between failed (observed: 0)" in message
    assert "expect_column_values_to_be_between on rejected_share" in message
    assert _status(conn, good.load_id) == ("published", None)
    for bad in (repeated, future, mostly_bad):
        status, reason = _status(conn, bad.load_id)
        assert status == "quarantined" and reason.startswith("[critical]")


def test_a_batch_holding_a_dossier_twice_is_quarantined_should_the_loader_let_one_through(conn, tmp_path):
    batch = load_file(write_export(tmp_path / "pair.csv", [dossier(dossier_code=f"P{i}") for i in range(2)]))
    # what a loader fault would leave: the second row's dossier code made the first one's
    conn.execute("update raw.portal_dossier set dossier_code = 'P0' where load_id = %s", (batch.load_id,))
    with pytest.raises(QualityGateFailed, match="expect_compound_columns_to_be_unique"):
        gate_batches([batch.load_id])
    assert _status(conn, batch.load_id)[0] == "quarantined"


def test_warnings_do_not_stop_a_batch(conn, tmp_path):
    # due before received breaks a warning-level expectation only
    batch = load_file(
        write_export(
            tmp_path / "odd_due.csv",
            [dossier(dossier_code="W1", due_at="01/01/2024 08:00:00"), dossier(dossier_code="W2")],
        )
    )
    gate_batches([batch.load_id])
    assert _status(conn, batch.load_id)[0] == "published"


def test_the_gate_bounds_dates_by_the_runs_evaluation_date_and_writes_no_password(conn, tmp_path):
    import datetime as dt
    from urllib.parse import urlsplit

    from cds_warehouse.quality import GX_DIR
    from cds_warehouse.settings import warehouse_dsn

    # The loader refuses rows dated after the day of the load; the gate, those dated after the night's
    # evaluation date, which for a re-run of a past night comes earlier.
    june = [dossier(dossier_code="J25", received_at="05/06/2025 08:00:00", updated_at="06/06/2025 08:00:00")]
    early = load_file(write_export(tmp_path / "june.csv", june))
    # the night of 5 January 2025 cannot hold it; the message names the row at fault
    with pytest.raises(QualityGateFailed, match=r"on received_at failed \(observed: 1; rows 1\)"):
        gate_batches([early.load_id], evaluated_on=dt.date(2025, 1, 5))
    again = load_file(write_export(tmp_path / "june_b.csv", [dict(june[0], dossier_code="J26")]))
    gate_batches([again.load_id], evaluated_on=dt.date(2025, 6, 6))  # the night of 6 June 2025 takes it
    assert _status(conn, again.load_id) == ("published", None)

    password = urlsplit(warehouse_dsn()).password
    if password:
        written = [p for p in GX_DIR.rglob("*") if p.is_file() and password.encode() in p.read_bytes()]
        assert written == []
