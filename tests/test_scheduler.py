"""The nightly path under Airflow's own scheduler, as `make airflow` runs it (api-server, scheduler with the
LocalExecutor, dag-processor, triggerer; metadata in PostgreSQL), on a warehouse that has never seen a load.

Runs are created by the scheduler (unpausing) and through the REST API; the nights read a landing folder and
the project's local portal API (through the Airflow connection cds_portal); the marts are checked against the
same independent computation as the dag.test() runs, a past night is re-run and gives that night's answer,
and a task that fails for good is retried and mailed to a local SMTP server.
"""

from __future__ import annotations

import csv
import os
import shutil
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import psycopg
import pytest
from conftest import ROOT, bi_login, dossier, fresh_database, write_export
from mail_sink import MailSink

from cds_devkit.airflow_rest import airflow_running
from cds_devkit.portal_server import PortalDataset, PortalServer
from cds_devkit.synthetic import generate_portal_export

pytestmark = pytest.mark.slow

PORTAL, AGENCY, DOCS = "portal_dossiers_nightly", "agency_reports_landing", "warehouse_docs"
WAREHOUSE_DB, METADATA_DB = "cds_scheduler_test", "cds_scheduler_airflow"
# 02:00 in Viet Nam on 1 October 2025: before the deadline of the 2025 targets (the generated exports end in
# June 2025); the scheduler's own first night is today's, after it
NIGHT_BEFORE_DEADLINE = "2025-09-30T19:00:00Z"
PORTAL_TOKEN = "scheduler-test-token"
BUILT = {"target", "logs", "dbt_packages"}  # what dbt writes into its project folder


def _expected_rates(path: Path) -> dict[tuple[str, str], tuple[str, float]]:
    """Independent of dbt: the online share per (province, level) in each one's latest month."""
    received, online = Counter(), Counter()
    with path.open(encoding="utf-8-sig", newline="") as fh:
        for row in csv.DictReader(fh):
            month = datetime.strptime(row["Ngày tiếp nhận"], "%d/%m/%Y %H:%M:%S").strftime("%Y-%m")
            key = (row["Mã tỉnh"], row["Cấp thực hiện"], month)
            received[key] += 1
            online[key] += row["Kênh nộp"] == "2"
    latest = {}
    for province, level, month in received:
        if month > latest.get((province, level), ""):
            latest[(province, level)] = month
    return {k: (m, round(100 * online[(*k, m)] / received[(*k, m)], 2)) for k, m in latest.items()}


def _attainment(conn):
    return conn.execute(
        "select province_code, admin_level, to_char(actual_period_start, 'YYYY-MM'), actual_value::float, gap::float,"
        " status from marts.mart_target_attainment"
        " where province_code = '27' and indicator_code = 'online_dossier_rate' order by admin_level"
    ).fetchall()


def _batches(conn) -> list[tuple[str, str, int]]:
    return conn.execute("select source, status, rows_loaded from raw.load_audit order by source, load_id").fetchall()


def _assert_bi_role_reads_only_the_marts(conn):
    with bi_login(conn, "bi_test_user") as bi:
        assert bi.execute("select count(*) from marts.mart_target_attainment").fetchone()[0] > 0
        for relation in (
            "raw.portal_dossier",
            "raw.load_audit",
            "staging.stg_portal__dossiers",
            "intermediate.int_dossier_versions_deduplicated",
            "reference.targets",
        ):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                bi.execute(f"select 1 from {relation} limit 1")


@pytest.fixture(scope="module")
def mail():
    with MailSink() as sink:
        yield sink


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    path = tmp_path_factory.mktemp("export") / "export.csv"
    generate_portal_export(path, rows=5_000, seed=7)
    return path


@pytest.fixture(scope="module")
def dataset(export):
    """The export's dossiers as the portal serves them, with earlier versions of a quarter of them."""
    return PortalDataset.from_export(export, history_share=0.25, seed=7)


@pytest.fixture(scope="module")
def portal(dataset):
    """The local portal API, empty, its clock on the day before its first dossier: the dataset arrives later
    (the versions' timestamps are their commit times, so they fall after what the first night pulled)."""
    first = datetime.fromisoformat(dataset.table.column("updated_at")[0].as_py())
    with PortalServer(
        PortalDataset(dataset.table.slice(0, 0)), token=PORTAL_TOKEN, now=first - timedelta(days=1)
    ) as server:
        yield server


@pytest.fixture(scope="module")
def airflow(dsn, tmp_path_factory, mail, portal):
    """Airflow started by scripts/airflow.sh on a new warehouse database; its processes see no PG* variable
    and no WAREHOUSE_DSN, only the Airflow connections."""
    warehouse = fresh_database(dsn, WAREHOUSE_DB)
    fresh_database(dsn, METADATA_DB)
    home, state = tmp_path_factory.mktemp("airflow_home"), tmp_path_factory.mktemp("state")
    # dbt's target folders of the builds the tasks run outside cosmos, apart from other runs of the project
    # (`make test` runs this module beside the rest of the suite)
    project = state / "dbt_project"
    top = str(ROOT / "dbt_project")  # dbt's own folders are at the project's top; seeds/targets.csv is not one
    shutil.copytree(
        top,
        project,
        ignore=lambda folder, names: [n for n in names if folder == top and (n in BUILT or n.startswith("target_"))],
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "WAREHOUSE_DSN", "AIRFLOW"))}
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW_PORT="0",
        AIRFLOW_META_DB=METADATA_DB,
        AIRFLOW_CONN_CDS_WAREHOUSE=warehouse,
        AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="True",
        AIRFLOW_CONN_CDS_PORTAL=portal.url.replace("http://", f"http://:{PORTAL_TOKEN}@"),
        AIRFLOW_CONN_CDS_ALERTS=f"smtp://127.0.0.1:{mail.port}?disable_tls=true&disable_ssl=true",
        CDS_ALERT_EMAILS="ops@example.vn",
        CDS_TASK_RETRIES="1",
        CDS_RETRY_DELAY_SECONDS="1",
        CDS_PROGRESS_SECONDS="0.05",  # a 5,000-row load logs its progress too
        CDS_STATE_DIR=str(state),
        CDS_DBT_PROJECT_DIR=str(project),
        CDS_LANDING_DIR=str(state / "landing"),
    )
    with airflow_running(env, home, PORTAL, AGENCY, DOCS) as api:
        yield api, warehouse, state / "landing", home / "logs"


def test_nights_under_the_scheduler_from_an_empty_warehouse(airflow, portal, dataset, export, mail):
    api, warehouse, landing, logs = airflow
    # The first night: unpaused, each DAG gets its latest scheduled run from the scheduler, on a warehouse
    # without a single table, with no file and nothing on the portal: a green night with nothing new.
    for dag_id in (AGENCY, PORTAL, DOCS):
        api.unpause(dag_id)
    first = {}
    for dag_id in (AGENCY, PORTAL):
        first[dag_id] = api.wait_for_first_run(dag_id)
        assert first[dag_id].startswith("scheduled__")
        assert api.wait(dag_id, first[dag_id]) == "success", api.tasks(dag_id, first[dag_id])
    with psycopg.connect(warehouse) as conn:
        assert conn.execute("select count(*) from raw.load_audit").fetchone()[0] == 0
        assert conn.execute("select count(*) from marts.mart_target_attainment").fetchone()[0] > 0

    # A past night, triggered through the REST API, with the export in the landing folder and its dossiers
    # on the portal too (with earlier versions of a quarter of them): each dossier counts once.
    portal.serve(dataset)
    portal.now += timedelta(minutes=5)  # past the settling lag of the newest versions
    (landing / "portal_dossiers").mkdir(parents=True, exist_ok=True)
    (landing / "portal_dossiers" / export.name).write_bytes(export.read_bytes())
    before = api.trigger(PORTAL, NIGHT_BEFORE_DEADLINE)
    assert api.wait(PORTAL, before) == "success", api.tasks(PORTAL, before)
    # the loader's progress lines, written by its progress thread, reach the task log
    ingest_log = "".join(p.read_text() for p in logs.glob(f"dag_id={PORTAL}/run_id={before}/task_id=ingest/*.log"))
    assert "rows read (" in ingest_log and " rows/s)" in ingest_log
    # a test comparing two models runs in the task of the later one (indirect selection "buildable")
    task = "task_id=dbt_build.fct_indicator_observation_model_build"
    build_log = "".join(p.read_text() for p in logs.glob(f"dag_id={PORTAL}/run_id={before}/{task}/*.log"))
    assert "PASS assert_points_766_follow_their_rates" in build_log
    expected = _expected_rates(export)
    levels = {"province": "Tỉnh", "district": "Huyện", "commune": "Xã"}
    targets = {"province": 95.0, "district": 90.0, "commune": 85.0}
    with psycopg.connect(warehouse, autocommit=True) as conn:
        on_that_night = _attainment(conn)
        batches = _batches(conn)
        assert batches == [("portal_api", "published", len(dataset)), ("portal_dossiers", "published", 5_000)]
        assert conn.execute("select count(*) from raw.portal_dossier").fetchone()[0] == len(dataset) + 5_000
        assert conn.execute("select count(*) from marts.fct_dossier").fetchone()[0] == 5_000
        _assert_bi_role_reads_only_the_marts(conn)
    assert [r[1] for r in on_that_night] == sorted(levels)
    for province, level, period, actual, gap, status in on_that_night:
        assert (period, actual) == expected[(province, levels[level])]
        assert gap == pytest.approx(actual - targets[level], abs=0.006)
        if actual >= targets[level]:
            assert status == "achieved"
        elif level == "district":  # the district level ended on 30 June 2025: judged already
            assert status == "missed"
        else:  # the 2025 deadline is three months away
            assert status not in ("achieved", "missed")

    # The scheduler's first night re-run: its own evaluation date, after the deadline, judges the same data
    # (met, missed, or no data up to the deadline); the file and the portal are not loaded twice.
    api.clear(PORTAL, first[PORTAL])
    assert api.wait(PORTAL, first[PORTAL]) == "success", api.tasks(PORTAL, first[PORTAL])
    with psycopg.connect(warehouse) as conn:
        after_deadline = _attainment(conn)
        assert _batches(conn) == batches
        assert conn.execute("select count(*) from raw.portal_dossier").fetchone()[0] == len(dataset) + 5_000
    assert [r[:5] for r in after_deadline] == [r[:5] for r in on_that_night]
    for _province, level, period, actual, _gap, status in after_deadline:
        # a passed deadline is judged on a month that reaches it (December; June, the district level's last
        # month); on earlier data it is no_data_at_deadline, not missed
        covers = period == ("2025-06" if level == "district" else "2025-12")
        if actual >= targets[level]:
            assert status == "achieved"
        else:
            assert status == ("missed" if covers else "no_data_at_deadline")
    assert after_deadline != on_that_night  # the evaluation date is the run's, and it matters here

    # The marts Asset has a consumer: the docs were regenerated after the marts
    docs = [r for r in api.runs(DOCS) if r["run_type"] == "asset_triggered"]
    assert docs, "warehouse_docs was not triggered by the marts Asset"
    assert api.wait(DOCS, docs[-1]["dag_run_id"]) == "success"
    # ...and published the scorecard site and the open-data package from them (CDS_STATE_DIR/publish)
    published = landing.parent / "publish"
    assert (published / "site" / "index.html").is_file() and (published / "open-data" / "datapackage.json").is_file()
    assert mail.messages == []  # nothing failed, nothing mailed


def test_a_task_failing_for_good_is_retried_then_mailed(airflow, mail):
    api, warehouse, landing, logs = airflow
    with psycopg.connect(warehouse) as conn:
        built = conn.execute("select count(*) from marts.fct_dossier").fetchone()[0]
    # an export whose rows repeat one dossier: half of them are rejects, far over the gate's 5 %; the gate
    # quarantines the batch, at every attempt
    write_export(landing / "portal_dossiers" / "repeated.csv", [dossier(dossier_code="DUP")] * 2)
    run_id = api.trigger(PORTAL, None)
    assert api.wait(PORTAL, run_id) == "failed"
    tasks = api.tasks(PORTAL, run_id)
    assert tasks["validate_raw"]["state"] == "failed"
    assert tasks["validate_raw"]["try_number"] == 2  # the first attempt and its one retry
    assert tasks["portal_inputs"]["state"] == "upstream_failed"
    with psycopg.connect(warehouse) as conn:
        assert conn.execute("select count(*) from marts.fct_dossier").fetchone()[0] == built

    deadline = time.monotonic() + 60
    while not mail.messages:
        assert time.monotonic() < deadline, "no failure mail arrived"
        time.sleep(1)
    recipients, message = mail.messages[0]
    assert recipients == ["ops@example.vn"]
    assert "validate_raw" in message["Subject"] and PORTAL in message["Subject"]
    assert len(mail.messages) == 1  # one mail for the task, after its last attempt
