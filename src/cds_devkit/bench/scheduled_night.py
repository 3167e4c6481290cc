"""The bench's last stage: one night of `portal_dossiers_nightly` as the scheduler runs it (Airflow started
by scripts/airflow.sh, LocalExecutor, the DAG unpaused so that the scheduler makes the night's run) on the
bench's warehouse, with the night's file in the landing folder: its wall time from start to end, and each
task's."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import time
from pathlib import Path

import psycopg

from cds_devkit.airflow_rest import airflow_running
from cds_devkit.bench.stages import HEARTBEAT_SECONDS

PORTAL = "portal_dossiers_nightly"
METADATA_DB = "cds_bench_airflow"
RUN_TIMEOUT = 3 * 3600


def scheduled_night(dsn: str, work: Path, night_file: Path, pii_key: str) -> dict:
    home, state = work / "airflow", work / "airflow_state"
    for folder in (home, state):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
    landing = state / "landing" / "portal_dossiers"
    landing.mkdir(parents=True)
    shutil.copy(night_file, landing / night_file.name)
    base = dsn.rpartition("/")[0]
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f"drop database if exists {METADATA_DB} with (force)")
        admin.execute(f"create database {METADATA_DB}")
    # Airflow's processes get the warehouse from the connection only, as a deployment does
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "WAREHOUSE_DSN", "AIRFLOW"))}
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW_PORT="0",
        AIRFLOW_META_DB=METADATA_DB,
        AIRFLOW_CONN_CDS_WAREHOUSE=dsn,
        AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="True",
        CDS_STATE_DIR=str(state),
        CDS_LANDING_DIR=str(state / "landing"),
        CDS_PII_KEY=pii_key,
    )
    print("nightly_dag: starting Airflow (scripts/airflow.sh up)", flush=True)
    with airflow_running(env, home, PORTAL) as api:
        api.unpause(PORTAL)  # the scheduler makes the night's run: the latest 02:00 (catchup is off)
        run_id = api.wait_for_first_run(PORTAL)
        print(f"nightly_dag: {PORTAL} {run_id} made by the scheduler", flush=True)
        outcome = _wait_showing_tasks(api, run_id)
        run = api.run(PORTAL, run_id)
        tasks = api.tasks(PORTAL, run_id)
    seconds = (_time(run["end_date"]) - _time(run["start_date"])).total_seconds()
    print(f"nightly_dag: {outcome} in {seconds:,.1f} s", flush=True)
    if outcome != "success":
        failed = sorted(t for t, ti in tasks.items() if ti["state"] != "success")
        raise SystemExit(f"the scheduled night failed: {failed}; logs under {home / 'logs'}")
    durations = {t: round(ti["duration"] or 0, 1) for t, ti in tasks.items()}
    dbt = [d for t, d in durations.items() if t.startswith("dbt_build.")]
    return {
        "stage": "nightly_dag",
        "seconds": round(seconds, 2),
        "peak_rss_mb": None,  # many processes: the scheduler's, the api-server's, one per task
        "tasks": len(tasks),
        "dbt_tasks": len(dbt),
        "dbt_tasks_seconds_summed": round(sum(dbt), 1),
        "slowest_tasks": dict(sorted(durations.items(), key=lambda item: -item[1])[:12]),
    }


def _wait_showing_tasks(api, run_id: str) -> str:
    """The run's end state; every HEARTBEAT_SECONDS, how many of its tasks are done and which run."""
    deadline = time.monotonic() + RUN_TIMEOUT
    while (state := api.run(PORTAL, run_id)["state"]) not in ("success", "failed"):
        if time.monotonic() > deadline:
            raise SystemExit(f"{PORTAL} {run_id} still {state} after {RUN_TIMEOUT} s")
        tasks = api.tasks(PORTAL, run_id).values()
        done = sum(t["state"] in ("success", "skipped") for t in tasks)
        running = sorted(t["task_id"] for t in tasks if t["state"] == "running")
        print(f"  nightly_dag | {done} of {len(tasks)} tasks done; running: {', '.join(running) or '-'}", flush=True)
        time.sleep(HEARTBEAT_SECONDS)
    return state


def _time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
