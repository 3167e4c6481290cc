"""Portal API ingestion into the warehouse: exactly the server's versions, once; resumable after kill -9;
incremental by update time; one audited batch per run, published or quarantined by the quality gate."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import psycopg
import pyarrow as pa
import pytest
from conftest import ROOT

from cds_devkit.portal_server import FaultPlan, PortalDataset, PortalServer
from cds_warehouse.extract import PortalApiError, RetryPolicy, ingest_api
from cds_warehouse.extract import portal_api as portal_api_module
from cds_warehouse.extract.contract import parse_ts
from cds_warehouse.extract.ingest import DEFAULT_OVERLAP
from cds_warehouse.extract.portal_api import Key, Page, PortalConfig
from cds_warehouse.load.personal_data import keyed_hash

TOKEN = "test-token-9b2e"
FAST = RetryPolicy(max_attempts=5, backoff_base=0.01, backoff_max=0.05, connect_timeout=0.5, read_timeout=1.0)
PAGE = 100


@pytest.fixture(scope="module")
def dataset() -> PortalDataset:
    return PortalDataset.generate(rows=1200, seed=23)


@pytest.fixture
def server(dataset):
    with PortalServer(dataset, token=TOKEN) as s:
        yield s


def ingest(server: PortalServer, policy: RetryPolicy = FAST, **kw):
    return ingest_api(PortalConfig(server.url, TOKEN), policy=policy, page_size=PAGE, lag=timedelta(0), **kw)


def raw_keys(conn, load_id: int | None = None) -> list[tuple[str, str, str]]:
    where = "" if load_id is None else f"where load_id = {int(load_id)}"
    return conn.execute(
        "select province_code, dossier_code, to_char(updated_at, 'YYYY-MM-DD\"T\"HH24:MI:SS')"
        f" from raw.portal_dossier {where} order by updated_at, dossier_code"
    ).fetchall()


def server_keys(server: PortalServer) -> list[tuple[str, str, str]]:
    return server.dataset.version_keys()


def audit(conn) -> list[tuple]:
    return conn.execute(
        "select load_id, source, status, rows_read, rows_loaded, rows_rejected from raw.load_audit order by load_id"
    ).fetchall()


def watermark(conn) -> dict:
    cur = conn.execute("select * from raw.portal_api_watermark")
    row = cur.fetchone()
    return dict(zip([c.name for c in cur.description], row, strict=True)) if row else {}


def test_a_pull_lands_every_version_once_typed_and_without_clear_personal_data(conn, server, dataset):
    result = ingest(server)

    assert result.status == "loaded" and not result.resumed
    assert result.rows_read == result.rows_loaded == len(dataset) and result.pages == -(-len(dataset) // PAGE)
    assert raw_keys(conn) == server_keys(server)
    assert audit(conn) == [(result.load_id, "portal_api", "loaded", len(dataset), len(dataset), 0)]
    file_name = conn.execute("select file_name from raw.load_audit").fetchone()[0]
    assert file_name.startswith(f"{server.url} updated_at [start, ") and TOKEN not in file_name
    mark = watermark(conn)
    assert mark["portal"] == server.url and mark["reported_id"] == server.portal_id  # keyed by the configured portal
    assert mark["load_id"] == result.load_id
    assert mark["committed_to"] == mark["window_to"] == result.window_to == server.now
    assert mark["rows_pulled"] == len(dataset)
    # source_row is the ordinal in the pull, which is key order
    rows = conn.execute("select source_row from raw.portal_dossier order by updated_at, dossier_code").fetchall()
    assert [r[0] for r in rows] == list(range(1, len(dataset) + 1))

    # every version stays in raw; the latest by updated_at is the dossier's current state
    served = dataset.rows()
    code = next(r["dossier_code"] for r in served if r["status"] == "Đã trả kết quả" and _versions(served, r) >= 3)
    stored = conn.execute(
        "select status, finished_at is null from raw.portal_dossier where dossier_code = %s order by updated_at",
        (code,),
    ).fetchall()
    assert stored[0] == ("Đã tiếp nhận", True) and stored[1] == ("Đang xử lý", True)
    assert stored[-1] == ("Đã trả kết quả", False) and len(stored) == _versions(served, {"dossier_code": code})

    # typed like file rows; identifiers keyed-hashed with the loader's key; names and summaries dropped
    one = next(r for r in served if r["applicant_id"] and r["applicant_phone"] and r["channel"] == 2)
    typed = conn.execute(
        "select channel, fee_vnd, received_at, applicant_id_hash, applicant_phone_hash from raw.portal_dossier"
        " where dossier_code = %s and updated_at = %s",
        (one["dossier_code"], one["updated_at"]),
    ).fetchone()
    from cds_warehouse.settings import pii_key

    hashed = keyed_hash(pa.array([one["applicant_id"], one["applicant_phone"]]), pii_key()).to_pylist()
    assert typed[:2] == (2, one["fee_vnd"]) and typed[2].isoformat() == one["received_at"]
    assert list(typed[3:]) == hashed
    for clear in (one["applicant_id"], one["applicant_phone"], one["applicant_name"]):
        for table, column in (("portal_dossier", "applicant_id_hash"), ("portal_dossier", "applicant_phone_hash")):
            assert conn.execute(f"select count(*) from raw.{table} where {column} = %s", (clear,)).fetchone()[0] == 0
    columns = {
        r[0] for r in conn.execute("select column_name from information_schema.columns where table_schema = 'raw'")
    }
    assert not columns & {"applicant_name", "applicant_address", "summary", "applicant_id", "applicant_phone"}


def _open_dossiers(dataset: PortalDataset) -> int:
    latest = {r["dossier_code"]: r["status"] for r in dataset.rows()}  # rows are in key order
    return sum(status in ("Đang xử lý", "Chờ bổ sung") for status in latest.values())


def _versions(rows, row) -> int:
    return sum(r["dossier_code"] == row["dossier_code"] for r in rows)


def test_the_next_run_brings_only_the_changes_and_advances_the_watermark(conn, server, dataset):
    first = ingest(server)
    added = server.add_changes(finish=8, new=15, seed=1)  # 8 open dossiers finished, 15 new ones received
    second = ingest(server)

    assert added == 23 and second.status == "loaded" and second.load_id == first.load_id + 1
    # the window starts an overlap before the last one's end: what was committed late there is met again
    assert second.window_from == first.window_to - DEFAULT_OVERLAP and second.window_to == server.now
    assert second.rows_read == second.rows_loaded == 23
    assert raw_keys(conn) == server_keys(server)  # nothing lost, nothing twice, across batches
    assert len(raw_keys(conn, second.load_id)) == 23
    assert watermark(conn)["committed_to"] == second.window_to
    statuses = conn.execute(
        "select status, count(*) from raw.portal_dossier where load_id = %s group by status order by status",
        (second.load_id,),
    ).fetchall()
    assert statuses == [("Đã tiếp nhận", 15), ("Đã trả kết quả", 8)]
    # the finished ones were open in the first batch: their current state is the newer version
    latest_open = conn.execute(
        "select count(*) from (select distinct on (dossier_code) status from raw.portal_dossier"
        " order by dossier_code, updated_at desc) s where status in ('Đang xử lý', 'Chờ bổ sung')"
    ).fetchone()[0]
    assert latest_open == _open_dossiers(server.dataset)

    third = ingest(server)  # nothing changed (the overlap re-reads the 23, known already): no batch at all
    assert third.status == "no_changes" and third.load_id is None and third.rows_duplicate == 23
    assert len(audit(conn)) == 2 and raw_keys(conn) == server_keys(server)


def test_rows_breaking_the_contract_are_rejected_with_their_ordinal(conn, dataset):
    table = dataset.table
    channel = table.column("channel").to_pylist()
    received = table.column("received_at").to_pylist()
    channel[4], received[9] = 9, "2024-02-30T08:00:00"
    broken = table.set_column(table.schema.get_field_index("channel"), "channel", pa.array(channel))
    broken = broken.set_column(broken.schema.get_field_index("received_at"), "received_at", pa.array(received))
    with PortalServer(PortalDataset(broken), token=TOKEN) as server:
        result = ingest(server)
    assert (result.rows_read, result.rows_loaded, result.rows_rejected) == (len(dataset), len(dataset) - 2, 2)
    rejects = conn.execute("select file_name, source_row, column_name, reason from raw.load_reject").fetchall()
    assert sorted(rejects) == [
        (server.url, 5, "channel", "'9' is not one of [1, 2, 3]"),
        (server.url, 10, "received_at", "'30/02/2024 08:00:00' is not a date dd/mm/yyyy [HH:MM[:SS]]"),
    ]


@pytest.mark.faults  # part of the fault suite (tests/faults/)
def test_a_page_the_server_repeats_is_not_stored_twice_even_by_a_client_that_trusts_it(conn, dataset, monkeypatch):
    """The warehouse's own defence: the batch's version ledger, whatever the client let through."""

    def key(row) -> Key:
        return Key(parse_ts(row["updated_at"]), row["dossier_code"])

    def trusting(body, start, end, after, number):
        items = sorted(body["data"], key=key)
        nxt = body["paging"]["next"]
        last = key(nxt) if nxt else (key(items[-1]) if items else None)
        return Page(number, after, items, last, nxt is not None, body["paging"]["total"])

    monkeypatch.setattr(portal_api_module, "verify_page", trusting)
    with PortalServer(dataset, token=TOKEN, faults=FaultPlan(pages={3: "repeat", 6: "repeat"})) as server:
        result = ingest(server)
    keys = raw_keys(conn)
    assert len(keys) == len(set(keys)) == result.rows_loaded
    assert result.rows_duplicate == 2 * PAGE and result.rows_read == result.rows_loaded + 2 * PAGE
    # which is why the real client checks pages: this one also lost the pages the repeats stood in for
    assert len(keys) == len(dataset) - 2 * PAGE


def _landed_rows(conn, load_id: int) -> list[dict]:
    return [
        r[0]
        for r in conn.execute(
            "select to_jsonb(p) - 'load_id' from raw.portal_dossier p where load_id = %s"
            " order by updated_at, dossier_code",
            (load_id,),
        )
    ]


def test_rows_without_their_null_fields_and_zoned_timestamps_land_as_plain_ones(conn, dataset):
    """What the contract allows: a field missing from any row (the first too) is null; "+07:00" is local time."""
    with PortalServer(dataset, token=TOKEN) as server:
        plain = ingest(server, source="portal_api_plain")
    every_page_varied = FaultPlan(seed=4, rates={"sparse": 0.5, "zoned": 0.5})
    with PortalServer(dataset, token=TOKEN, faults=every_page_varied) as server:
        varied = ingest(server)
        assert server.stats["fault_sparse"] > 2 and server.stats["fault_zoned"] > 2
    assert varied.rows_loaded == plain.rows_loaded == len(dataset) and varied.rows_rejected == 0
    assert _landed_rows(conn, varied.load_id) == _landed_rows(conn, plain.load_id)


@pytest.mark.faults  # part of the fault suite (tests/faults/)
def test_a_version_committed_late_behind_the_cursor_is_kept_and_a_repeat_is_not(conn, dataset, monkeypatch):
    late, repeat = dataset.rows()[150], dataset.rows()[10]  # pages 2 and 1 of the pull
    served = PortalDataset(pa.concat_tables([dataset.table.slice(0, 150), dataset.table.slice(151)]))
    verify = portal_api_module.verify_page

    broken_late = {**late, "dossier_code": late["dossier_code"] + "-B", "province_code": None}

    def page_with_rows_behind_the_cursor(body, start, end, after, number):
        page = verify(body, start, end, after, number)
        if number == 4:  # the portal now holds a version it committed after the cursor passed its key
            page.behind.extend([late, repeat])
        if number >= 4:  # and one without its province, sent again with every page
            page.behind.append(broken_late)
        return page

    monkeypatch.setattr(portal_api_module, "verify_page", page_with_rows_behind_the_cursor)
    with PortalServer(served, token=TOKEN) as server:
        result = ingest(server)
    assert raw_keys(conn) == dataset.version_keys()
    assert result.rows_late == 2 and result.rows_duplicate == 0 and result.rows_loaded == len(dataset)
    rejects = conn.execute("select column_name, reason from raw.load_reject").fetchall()
    assert rejects == [("province_code", "required value is missing")]  # taken, and rejected, once


@pytest.mark.faults  # part of the fault suite (tests/faults/)
def test_giving_up_marks_the_batch_failed_and_the_next_run_resumes_it(conn, dataset):
    faults = FaultPlan(pages={4: ("error", 99)})
    with PortalServer(dataset, token=TOKEN, faults=faults) as server:
        with pytest.raises(PortalApiError, match=r"page 4, .* failed after 3 attempts"):
            ingest(server, RetryPolicy(**{**FAST.__dict__, "max_attempts": 3}))
        (load_id, _, status, rows_read, _, _), *_ = audit(conn)
        message = conn.execute("select message from raw.load_audit").fetchone()[0]
        assert status == "failed" and rows_read == 3 * PAGE and len(raw_keys(conn)) == 3 * PAGE
        assert f"GET {server.url}/dossiers?" in message and "HTTP 500" in message and "resumable" in message
        assert watermark(conn)["pages"] == 3

        server.set_faults(FaultPlan())
        result = ingest(server)
    assert result.resumed and result.load_id == load_id and result.rows_read == len(dataset) - 3 * PAGE
    assert audit(conn) == [(load_id, "portal_api", "loaded", len(dataset), len(dataset), 0)]
    assert raw_keys(conn) == server_keys(server)


def _pull_in_a_subprocess(server: PortalServer) -> subprocess.Popen:
    env = {
        **os.environ,
        "CDS_PORTAL_URL": server.url,
        "CDS_PORTAL_TOKEN": TOKEN,
        "PYTHONPATH": str(ROOT / "src"),
    }
    cds = str(Path(sys.executable).parent / "cds")
    command = [cds, "ingest-api", "--page-size", str(PAGE), "--lag", "0"]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _kill_after(proc: subprocess.Popen, server: PortalServer, pages: int) -> None:
    """SIGKILL the pull once the server has answered `pages` more pages: whatever it was doing then."""
    deadline = time.monotonic() + 30
    pages += server.stats["pages"]
    while server.stats["pages"] < pages:
        assert proc.poll() is None, proc.stderr.read().decode()[-2000:]
        assert time.monotonic() < deadline, "the pull did not get going"
        time.sleep(0.005)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()


@pytest.mark.faults  # part of the fault suite (tests/faults/)
def test_kill_9_at_any_point_then_rerun_loses_nothing_and_duplicates_nothing(conn, dataset):
    # a slow server, so that the pull is still going when it is killed
    with PortalServer(dataset, token=TOKEN, faults=FaultPlan(latency=0.03)) as server:
        load_ids, progress = set(), []
        for pages in (3, 5, 8):  # three runs killed at different points, each resuming the one before
            _kill_after(_pull_in_a_subprocess(server), server, pages)
            batches = audit(conn)
            assert len(batches) <= 1  # killed before its first page, a run may not have opened a batch
            for load_id, _, status, rows_read, rows_loaded, _ in batches:
                load_ids.add(load_id)
                mark = watermark(conn)
                assert status == "running"  # left running by the kill
                # exactly the rows up to the cursor are in: the watermark moved with them
                assert rows_read == rows_loaded == mark["rows_pulled"] == len(raw_keys(conn)) == mark["pages"] * PAGE
                assert raw_keys(conn) == server_keys(server)[: len(raw_keys(conn))]
                assert conn.execute("select count(*) from raw.portal_api_version").fetchone()[0] == rows_loaded
            progress.append(len(raw_keys(conn)))
        assert len(load_ids) == 1 and progress == sorted(progress) and 0 < progress[-1] < len(dataset)

        server.set_faults(FaultPlan())
        result = ingest(server)
    assert result.resumed and result.load_id in load_ids
    assert audit(conn) == [(result.load_id, "portal_api", "loaded", len(dataset), len(dataset), 0)]
    assert raw_keys(conn) == server_keys(server)
    # pruned when done: every version is older than the overlap and the reconciliation's days
    assert conn.execute("select count(*) from raw.portal_api_version").fetchone()[0] == 0


@pytest.mark.faults  # part of the fault suite (tests/faults/)
def test_a_second_pull_of_the_same_portal_at_the_same_time_is_refused(conn, server):
    ingest(server)  # creates the watermark and learns the portal id
    lock = f"cds_warehouse.portal_api:portal_api:{server.url}"
    with psycopg.connect(os.environ["WAREHOUSE_DSN"], autocommit=True) as other:
        other.execute("select pg_advisory_lock(hashtext(%s))", (lock,))
        with pytest.raises(RuntimeError, match="another ingestion of portal .* is running"):
            ingest(server)


def test_the_quality_gate_publishes_a_good_batch_and_quarantines_a_bad_one(conn, dataset):
    from cds_warehouse.batches import gate_batches
    from cds_warehouse.quality import QualityGateFailed

    with PortalServer(dataset, token=TOKEN) as server:
        good = ingest(server)
    channel = dataset.table.column("channel").to_pylist()
    bad_channels = pa.array([9 if i % 10 == 0 else c for i, c in enumerate(channel)])  # 10% rejected
    broken = dataset.table.set_column(dataset.table.schema.get_field_index("channel"), "channel", bad_channels)
    with PortalServer(PortalDataset(broken), token=TOKEN, portal_id="another-portal") as server:
        bad = ingest(server)

    with pytest.raises(QualityGateFailed) as failure:
        gate_batches([good.load_id, bad.load_id])
    assert f"load {good.load_id}" not in str(failure.value)
    assert "checkpoint raw_portal_api_batch failed" in str(failure.value)
    assert "rejected_share" in str(failure.value)
    statuses = dict(conn.execute("select load_id, status from raw.load_audit").fetchall())
    assert statuses == {good.load_id: "published", bad.load_id: "quarantined"}


def test_without_a_configured_portal_the_dag_task_skips_with_a_log_line(monkeypatch, caplog):
    from cds_warehouse.extract.ingest import ingest_configured_portal

    for key in ("CDS_PORTAL_URL", "CDS_PORTAL_TOKEN", "AIRFLOW_CONN_CDS_PORTAL"):
        monkeypatch.delenv(key, raising=False)
    with caplog.at_level("INFO"):
        assert ingest_configured_portal() == []
    assert "API ingestion skipped" in caplog.text


def test_the_dag_task_returns_the_batches_awaiting_the_gate(conn, server, monkeypatch, caplog):
    from cds_warehouse.extract.ingest import ingest_configured_portal

    monkeypatch.setenv("CDS_PORTAL_URL", server.url)
    monkeypatch.setenv("CDS_PORTAL_TOKEN", TOKEN)
    server.now += timedelta(minutes=5)  # past the default settling lag
    with caplog.at_level("INFO"):
        load_ids = ingest_configured_portal()
    assert load_ids == [1] and raw_keys(conn) == server_keys(server)
    assert TOKEN not in caplog.text
