"""A change of the personal-data key (CDS_PII_KEY) is caught: a load hashing with another key than the
warehouse's earlier batches stops before any row lands, until the change is declared as a rotation."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
from conftest import write_export
from leaks import LeakScan, applicants, personal_values

from cds_devkit.portal_server import PortalDataset, PortalServer
from cds_warehouse import cli
from cds_warehouse.extract import PortalConfig, RetryPolicy, ingest_api
from cds_warehouse.landing import ingest
from cds_warehouse.load import load_file
from cds_warehouse.pii_key import PiiKeyChanged, fingerprint

FIRST_KEY = "test-key-not-a-secret"  # tests/conftest.py's
SECOND_KEY = "a-second-key-for-the-rotation-test-0123456789"
TOKEN = "pii-key-test-token"
FAST = RetryPolicy(max_attempts=3, backoff_base=0.01, backoff_max=0.05, connect_timeout=0.5, read_timeout=1.0)


@pytest.fixture
def keys(conn, monkeypatch):
    """A warehouse with no declared rotation, left without one and without batches of the second key (the
    other tests hash with the first key)."""
    conn.execute("truncate raw.pii_key_rotation")
    monkeypatch.setenv("CDS_PII_KEY", FIRST_KEY)
    yield
    conn.execute("truncate raw.pii_key_rotation, raw.portal_dossier, raw.load_reject, raw.load_audit cascade")


def counts(conn) -> tuple[int, int]:
    return (
        conn.execute("select count(*) from raw.portal_dossier").fetchone()[0],
        conn.execute("select count(*) from raw.load_audit").fetchone()[0],
    )


def test_a_second_key_is_refused_then_accepted_after_a_declared_rotation(
    conn, keys, tmp_path, monkeypatch, caplog, capsys
):
    monkeypatch.setenv("CDS_LANDING_DIR", str(tmp_path))
    landing = tmp_path / "portal_dossiers"
    landing.mkdir()
    before, after = applicants(3, "BEFORE"), applicants(3, "AFTER")
    write_export(landing / "before.csv", before)
    scan = LeakScan(conn)
    caplog.set_level(logging.INFO)
    (first_load,) = ingest("portal_dossiers")["load_ids"]
    assert counts(conn) == (3, 1)

    monkeypatch.setenv("CDS_PII_KEY", SECOND_KEY)
    write_export(landing / "after.csv", after)
    with pytest.raises(PiiKeyChanged) as refused:
        ingest("portal_dossiers")
    message = str(refused.value)
    assert "CDS_PII_KEY" in message and "cds pii-key rotate" in message
    assert fingerprint(FIRST_KEY.encode()) in message and fingerprint(SECOND_KEY.encode()) in message
    assert counts(conn) == (3, 1)  # no row, no batch
    assert (landing / "after.csv").exists()  # a key is not the file's fault: it waits, not in failed/
    assert not (landing / "failed").exists()
    with pytest.raises(PiiKeyChanged):  # `cds load` refuses too
        load_file(landing / "after.csv")
    assert counts(conn) == (3, 1)

    cli.main(["pii-key", "rotate", "--note", "the yearly rotation"])
    said = capsys.readouterr().out
    assert "do not join" in said and fingerprint(SECOND_KEY.encode()) in said
    night = ingest("portal_dossiers")
    assert night["failed"] == [] and len(night["load_ids"]) == 2
    assert counts(conn) == (6, 2)
    prints = dict(conn.execute("select load_id, pii_key_fingerprint from raw.load_audit").fetchall())
    assert prints[first_load] == fingerprint(FIRST_KEY.encode())
    assert set(prints.values()) == {fingerprint(FIRST_KEY.encode()), fingerprint(SECOND_KEY.encode())}
    rotation = conn.execute("select previous_fingerprint, fingerprint, note from raw.pii_key_rotation").fetchall()
    assert rotation == [(fingerprint(FIRST_KEY.encode()), fingerprint(SECOND_KEY.encode()), "the yearly rotation")]

    # the old key is now the odd one out
    monkeypatch.setenv("CDS_PII_KEY", FIRST_KEY)
    write_export(landing / "late.csv", applicants(3, "LATE"))
    with pytest.raises(PiiKeyChanged):
        ingest("portal_dossiers")
    assert counts(conn) == (6, 2)
    scan.assert_clean(conn, personal_values(before + after), caplog.text, message, said)
    scan.assert_clean(conn, {FIRST_KEY, SECOND_KEY}, caplog.text, message, said)  # the keys are stored nowhere


def test_an_api_pull_with_another_key_stops_before_its_first_row(conn, keys, tmp_path, monkeypatch, caplog):
    first = write_export(tmp_path / "first.csv", applicants(3, "FILE"))
    load_file(first)
    dataset = PortalDataset.generate(rows=40, seed=7)
    served = dataset.rows()
    fields = ("applicant_name", "applicant_id", "applicant_phone", "applicant_address", "summary")
    values = {r[f] for r in served for f in fields if len(r.get(f) or "") >= 6}
    scan = LeakScan(conn)
    caplog.set_level(logging.INFO)
    monkeypatch.setenv("CDS_PII_KEY", SECOND_KEY)
    with PortalServer(dataset, token=TOKEN) as server:
        config = PortalConfig(server.url, TOKEN)
        with pytest.raises(PiiKeyChanged, match="cds pii-key rotate"):
            ingest_api(config, policy=FAST, page_size=20, lag=timedelta(0))
        assert counts(conn) == (3, 1)
        assert conn.execute("select count(*) from raw.portal_api_watermark").fetchone()[0] == 0

        cli.main(["pii-key", "rotate"])
        pulled = ingest_api(config, policy=FAST, page_size=20, lag=timedelta(0))
    assert pulled.status == "loaded" and pulled.rows_loaded == len(served)
    assert counts(conn) == (3 + len(served), 2)
    (api_print,) = conn.execute(
        "select pii_key_fingerprint from raw.load_audit where load_id = %s", (pulled.load_id,)
    ).fetchone()
    assert api_print == fingerprint(SECOND_KEY.encode())
    scan.assert_clean(conn, values | personal_values(applicants(3, "FILE")), caplog.text)
