"""The raw quality gate: a good batch is published, a bad one quarantined and the gate fails."""

from __future__ import annotations

import pytest
from conftest import dossier, write_export

from cds_warehouse.load import load_file
from cds_warehouse.quality import QualityGateFailed, gate_batches


def _status(conn, load_id):
    return conn.execute("select status, message from raw.load_audit where load_id = %s", (load_id,)).fetchone()


def test_good_batch_is_published_and_bad_batches_are_quarantined(conn, tmp_path):
    good = load_file(write_export(tmp_path / "good.csv", [dossier(dossier_code=f"G{i}") for i in range(20)]))
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

    with pytest.raises(QualityGateFailed) as failure:
        gate_batches([good.load_id, repeated.load_id, future.load_id, mostly_bad.load_id])

    message = str(failure.value)
    assert f"load {good.load_id}" not in message
    assert "expect_compound_columns_to_be_unique" in message
    assert "expect_column_values_to_be_between on received_at" in message
    assert "expect_column_values_to_be_between on rejected_share" in message
    assert _status(conn, good.load_id) == ("published", None)
    for bad in (repeated, future, mostly_bad):
        status, reason = _status(conn, bad.load_id)
        assert status == "quarantined" and reason.startswith("[critical]")


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

    in_2030 = [dossier(dossier_code="F30", received_at="05/01/2030 08:00:00", updated_at="06/01/2030 08:00:00")]
    late = load_file(write_export(tmp_path / "2030.csv", in_2030))
    with pytest.raises(QualityGateFailed):  # dated after the day after today: refused tonight
        gate_batches([late.load_id])
    again = load_file(write_export(tmp_path / "2030b.csv", [dict(in_2030[0], dossier_code="F31")]))
    gate_batches([again.load_id], evaluated_on=dt.date(2030, 1, 5))  # a night of January 2030 takes it
    assert _status(conn, again.load_id) == ("published", None)

    password = urlsplit(warehouse_dsn()).password
    if password:
        written = [p for p in GX_DIR.rglob("*") if p.is_file() and password.encode() in p.read_bytes()]
        assert written == []
