"""The API watermark under a wrong portal clock, late commits and portals that misreport who they are:
every served version lands once, and no applicant's value appears in clear text."""

from __future__ import annotations

from datetime import timedelta

import pytest
from api_helpers import TOKEN, applicants, assert_exactly_once, pull
from leaks import LeakScan

from cds_devkit.portal_server import PortalDataset, PortalServer
from cds_warehouse.db import SCHEMA_APPLIED, apply_raw_schema
from cds_warehouse.extract.clock import PortalClockError
from cds_warehouse.extract.ingest import DEFAULT_OVERLAP


@pytest.fixture(scope="module")
def dataset() -> PortalDataset:
    return PortalDataset.generate(rows=400, seed=31)


def watermarks(conn) -> list[dict]:
    cur = conn.execute("select * from raw.portal_api_watermark order by portal")
    return [dict(zip([c.name for c in cur.description], row, strict=True)) for row in cur.fetchall()]


def test_a_portal_clock_a_year_ahead_fails_the_run_and_the_next_night_pulls_the_new_versions(conn, dataset):
    with PortalServer(dataset, token=TOKEN) as server:
        scan = LeakScan(conn)
        first = pull(server)
        right = server.now
        server.now = right + timedelta(days=365)
        with pytest.raises(PortalClockError) as wrong:
            pull(server)
        message = str(wrong.value)
        assert (
            "portal time" in message
            and "warehouse time" in message
            and "tolerance 0:10:00" in message
            and "ahead" in message
        )
        assert [m["committed_to"] for m in watermarks(conn)] == [first.window_to]  # nothing committed past it

        server.now = right  # the portal's clock is fixed; the night brings 50 new dossiers
        assert server.add_changes(new=50, seed=5) == 50
        second = pull(server)
    assert second.status == "loaded" and second.rows_loaded == 50
    assert_exactly_once(conn, server)
    scan.assert_clean(conn, applicants(server), message)


def test_a_watermark_left_in_the_future_by_an_earlier_clock_stops_the_run_with_how_to_repair(conn, dataset):
    with PortalServer(dataset, token=TOKEN) as server:
        scan = LeakScan(conn)
        pull(server)
        conn.execute("update raw.portal_api_watermark set committed_to = committed_to + interval '1 year'")
        server.add_changes(new=3, seed=6)
        with pytest.raises(PortalClockError, match=r"committed_to .* lies in the future.*Re-pulling a window") as e:
            pull(server)
        conn.execute("update raw.portal_api_watermark set committed_to = committed_to - interval '1 year'")
        assert pull(server).rows_loaded == 3
        assert_exactly_once(conn, server)
        scan.assert_clean(conn, applicants(server), str(e.value))


def test_a_version_committed_later_than_the_lag_is_pulled_by_the_overlap_and_re_reads_land_nothing_twice(conn, dataset):
    with PortalServer(dataset, token=TOKEN) as server:
        scan = LeakScan(conn)
        first = pull(server)
        added = server.add_changes(finish=5, new=10, seed=1)
        # a version stamped half an hour before the watermark, committed on the portal only now
        server.serve(server.dataset.with_changes(first.window_to - timedelta(minutes=30), new=1, seed=9))
        second = pull(server)
        assert second.window_from == first.window_to - DEFAULT_OVERLAP
        assert second.rows_loaded == added + 1 and second.rows_duplicate == 0
        assert_exactly_once(conn, server)

        server.add_changes(new=4, seed=2)  # the next night re-reads the second night's through the overlap
        third = pull(server)
    assert third.rows_loaded == 4 and third.rows_duplicate == second.rows_loaded
    assert_exactly_once(conn, server)
    scan.assert_clean(conn, applicants(server))


def test_two_portals_reporting_the_same_id_are_both_pulled(conn, dataset):
    other = PortalDataset.generate(rows=300, seed=32)
    with (
        PortalServer(dataset, token=TOKEN, portal_id="bn-motcua-01") as one,
        PortalServer(other, token=TOKEN, portal_id="bn-motcua-01") as two,
    ):
        scan = LeakScan(conn)
        first, second = pull(one), pull(two)
        assert first.rows_loaded == len(dataset) and second.rows_loaded == len(other)
        assert_exactly_once(conn, one, two)
        assert [(m["portal"], m["reported_id"]) for m in watermarks(conn)] == sorted(
            [(one.url, "bn-motcua-01"), (two.url, "bn-motcua-01")]
        )
        scan.assert_clean(conn, applicants(one) | applicants(two))


def test_a_portal_that_changes_its_reported_id_continues_from_its_watermark(conn, dataset, caplog):
    with PortalServer(dataset, token=TOKEN, portal_id="bn-motcua-01") as server:
        scan = LeakScan(conn)
        first = pull(server)
        server.portal_id = "bn-dvc-2026"
        added = server.add_changes(finish=3, new=7, seed=4)
        with caplog.at_level("WARNING"):
            second = pull(server)
    assert not second.resumed and second.rows_loaded == added and second.load_id == first.load_id + 1
    assert "now reports portal_id 'bn-dvc-2026'" in caplog.text
    (mark,) = watermarks(conn)
    assert mark["reported_id"] == "bn-dvc-2026" and mark["committed_to"] == second.window_to
    assert_exactly_once(conn, server)
    scan.assert_clean(conn, applicants(server), caplog.text)


LEGACY_DDL = """
create table raw.portal_api_watermark (
    source text not null, portal text not null, base_url text not null, committed_to timestamp,
    load_id bigint references raw.load_audit (load_id), window_from timestamp, window_to timestamp,
    cursor_updated_at timestamp, cursor_code text, pages integer not null default 0,
    rows_pulled bigint not null default 0, updated_at timestamptz not null default now(),
    primary key (source, portal), check ((cursor_updated_at is null) = (cursor_code is null)));
create table raw.portal_api_version (
    load_id bigint not null references raw.load_audit (load_id), province_code text not null,
    dossier_code text not null, updated_at timestamp not null,
    primary key (load_id, province_code, dossier_code, updated_at));
"""


def _reapply(conn) -> None:
    conn.execute(f"drop table if exists {SCHEMA_APPLIED}")  # as on the first run of a new version
    apply_raw_schema(conn)


def test_watermarks_keyed_by_the_reported_id_move_under_their_portal_without_a_restart(conn, dataset):
    with PortalServer(dataset, token=TOKEN, portal_id="bn-motcua-01") as server:
        scan = LeakScan(conn)
        first = pull(server)  # then written as the code before the change wrote it
        mark = watermarks(conn)[0]
        conn.execute("drop table raw.portal_api_version, raw.portal_api_watermark")
        conn.execute(LEGACY_DDL)
        conn.execute(
            "insert into raw.portal_api_watermark (source, portal, base_url, committed_to, load_id, window_from,"
            " window_to) values ('portal_api', 'bn-motcua-01', %s, %s, %s, null, %s),"
            " ('portal_api', 'bn-old-id', %s, '2025-01-01', %s, null, '2025-01-01')",
            (server.url, first.window_to, first.load_id, first.window_to, server.url, first.load_id),
        )
        conn.execute(
            "update raw.portal_api_watermark set updated_at = updated_at - interval '1 day' where portal = 'bn-old-id'"
        )
        _reapply(conn)
        _reapply(conn)  # idempotent
        marks = {m["portal"]: m for m in watermarks(conn)}
        assert set(marks) == {server.url, "bn-old-id"}
        assert marks[server.url]["reported_id"] == "bn-motcua-01"
        assert marks[server.url]["committed_to"] == marks[server.url]["ledger_from"] == mark["committed_to"]

        server.add_changes(new=6, seed=8)
        second = pull(server)
    assert second.rows_loaded == 6 and second.window_from == first.window_to  # no overlap before the ledger
    assert_exactly_once(conn, server)
    scan.assert_clean(conn, applicants(server))


def test_a_rejected_version_re_read_through_the_overlap_is_not_rejected_again(conn, dataset):
    with PortalServer(dataset, token=TOKEN) as server:
        scan = LeakScan(conn)
        pull(server)
        changed = server.dataset.with_changes(server.now, new=3, seed=12)
        table = changed.table
        channel = table.column("channel").to_pylist()
        channel[-1] = 9  # the last new dossier breaks the contract
        server.serve(PortalDataset(table.set_column(table.schema.get_field_index("channel"), "channel", [channel])))
        second = pull(server)
        server.add_changes(new=2, seed=13)
        third = pull(server)  # re-reads the second night's three through the overlap
    assert (second.rows_loaded, second.rows_rejected) == (2, 1)
    assert (third.rows_loaded, third.rows_rejected, third.rows_duplicate) == (2, 0, 3)
    assert_exactly_once(conn, server, rejected=1)  # and its reject once
    scan.assert_clean(conn, applicants(server))


def test_the_documented_re_pull_of_a_window_lands_it_again_in_a_new_batch_once(conn, dataset):
    with PortalServer(dataset, token=TOKEN) as server:
        scan = LeakScan(conn)
        pull(server)
        frm = server.now
        server.add_changes(new=6, seed=14)
        second = pull(server)
        conn.execute("update raw.load_audit set status = 'quarantined' where load_id = %s", (second.load_id,))
        # the procedure of docs/sources/portal_api.md, 'Re-pulling a window'
        conn.execute(
            "update raw.portal_api_watermark set committed_to = %s, ledger_from = %s where portal = %s",
            (frm, frm, server.url),
        )
        conn.execute("delete from raw.portal_api_version where portal = %s and updated_at >= %s", (server.url, frm))
        again = pull(server)
    assert again.load_id == second.load_id + 1 and again.window_from == frm and again.rows_loaded == 6
    assert_exactly_once(conn, server, ignored_loads=(second.load_id,))  # the quarantined batch aside
    scan.assert_clean(conn, applicants(server))


def test_a_portal_clock_behind_is_logged_and_loses_nothing(conn, dataset, caplog):
    with PortalServer(dataset, token=TOKEN) as server:
        scan = LeakScan(conn)
        first = pull(server)
        server.now -= timedelta(hours=7)  # e.g. a portal writing UTC
        server.add_changes(new=4, seed=15)  # stamped by its clock: before the watermark, inside the overlap
        with caplog.at_level("WARNING"):
            second = pull(server)
    assert "the portal's clock is behind: portal time" in caplog.text
    assert second.rows_loaded == 4 and second.window_to < first.window_to
    assert_exactly_once(conn, server)
    scan.assert_clean(conn, applicants(server), caplog.text)
