"""The reconciliation of per-day version counts with the portal's: a version the pulls never met (committed
on the portal later than the overlap reaches back) is found, named by its day with both counts."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta

import pytest
from api_helpers import TOKEN, applicants, assert_exactly_once, pull, raw_keys, served_keys
from conftest import ROOT
from leaks import LeakScan

from cds_devkit.portal_server import PortalDataset, PortalServer
from cds_warehouse.extract.contract import parse_ts
from cds_warehouse.extract.portal_api import PortalConfig
from cds_warehouse.extract.reconcile import CountsMismatch, reconcile_api


@pytest.fixture(scope="module")
def dataset() -> PortalDataset:
    return PortalDataset.generate(rows=300, seed=41)


def reconcile(server: PortalServer, **kw):
    return reconcile_api(PortalConfig(server.url, TOKEN), **kw)


def test_counts_that_agree_pass_and_a_version_lost_behind_the_overlap_is_named_with_its_day(conn, dataset):
    with PortalServer(dataset, token=TOKEN) as server:
        scan = LeakScan(conn)
        assert reconcile(server).window_from is None  # nothing pulled yet: nothing to compare
        first = pull(server)
        added = server.add_changes(finish=4, new=20, seed=3)
        second = pull(server)
        agreed = reconcile(server)
        assert not agreed.mismatches and sum(d.portal for d in agreed.days) == added
        assert agreed.window_to == second.window_to

        # committed on the portal two days before the watermark: beyond the 24-hour overlap, never pulled
        lost_at = second.window_to - timedelta(days=2)
        before = set(server.dataset.version_keys())
        server.serve(server.dataset.with_changes(lost_at, new=1, seed=7))
        (lost,) = set(server.dataset.version_keys()) - before
        server.add_changes(new=2, seed=8)
        third = pull(server)
        assert third.rows_loaded == 2
        with pytest.raises(CountsMismatch) as mismatch:
            reconcile(server)
    day = lost_at.date()
    held = conn.execute(
        "select count(*) from raw.portal_dossier where updated_at::date = %s and load_id > %s", (day, first.load_id)
    ).fetchone()[0]
    assert f"{day}: portal {held + 1}, warehouse {held}" in str(mismatch.value)
    assert "differ on 1 day(s)" in str(mismatch.value)
    assert raw_keys(conn) == served_keys(server) - Counter([lost])  # that one only, which the mismatch names
    scan.assert_clean(conn, applicants(server), str(mismatch.value))


def test_a_day_the_warehouse_holds_more_of_is_named_too(conn, dataset):
    with PortalServer(dataset, token=TOKEN) as server:
        scan = LeakScan(conn)
        pull(server)
        server.add_changes(new=5, seed=3)
        pull(server)
        # the portal loses a version it had served (a restore from an older backup)
        served = server.dataset
        shrunk = PortalDataset(served.table.slice(0, len(served) - 1))
        server.serve(shrunk)
        with pytest.raises(CountsMismatch, match="differ on 1 day") as mismatch:
            reconcile(server)
    portal, warehouse = map(int, re.search(r"portal (\d+), warehouse (\d+)$", str(mismatch.value)).groups())
    assert warehouse == portal + 1
    assert_exactly_once(conn, served)
    scan.assert_clean(conn, applicants(server), str(mismatch.value))


def test_the_reconciliation_ends_at_the_watermark_so_versions_not_pulled_yet_are_not_a_mismatch(conn, dataset):
    with PortalServer(dataset, token=TOKEN) as server:
        scan = LeakScan(conn)
        pull(server)
        server.add_changes(new=5, seed=3)
        pull(server)
        server.add_changes(new=9, seed=4)  # on the portal, after the watermark: tomorrow's pull
        result = reconcile(server, days=3)
    assert not result.mismatches and sum(d.warehouse for d in result.days) == 5
    assert_exactly_once(conn, PortalDataset(server.dataset.table.slice(0, len(server.dataset) - 9)))  # all but the 9
    scan.assert_clean(conn, applicants(server))


def test_the_nightly_dag_reconciles_after_the_pull_beside_the_marts():
    from airflow.dag_processing.dagbag import DagBag

    dag = DagBag(dag_folder=str(ROOT / "dags")).get_dag("portal_dossiers_nightly")
    task = dag.get_task("reconcile_api")
    assert "ingest_api" in task.upstream_task_ids and task.downstream_task_ids == set()


def test_a_portal_that_starts_empty_with_its_clock_in_the_past_is_pulled_whole_and_reconciled(conn, dataset):
    """As tests/test_scheduler.py runs its nights: the portal first empty, its clock the day before its
    first version; the versions arrive; a cleared night re-runs."""
    first_at = min(key[2] for key in dataset.version_keys())
    empty = PortalDataset(dataset.table.slice(0, 0))
    with PortalServer(empty, token=TOKEN, now=parse_ts(first_at) - timedelta(days=1)) as server:
        scan = LeakScan(conn)
        assert pull(server).status == "no_changes"
        server.serve(dataset)
        loaded = pull(server)
        assert loaded.rows_loaded == len(dataset)
        assert not reconcile(server).mismatches
        again = pull(server)
        assert again.status == "no_changes" and again.load_id is None
    assert_exactly_once(conn, server)
    scan.assert_clean(conn, applicants(server))
