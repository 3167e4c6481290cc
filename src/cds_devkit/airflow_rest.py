"""Airflow 3's REST API (v2) with a token of the simple auth manager, and Airflow started by
scripts/airflow.sh: what the test under the scheduler and the benchmark's scheduled night drive."""

from __future__ import annotations

import contextlib
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import requests

AIRFLOW_SH = Path(__file__).resolve().parents[2] / "scripts" / "airflow.sh"


class AirflowApi:
    def __init__(self, url: str, user: str, password: str):
        self.url = url
        answer = requests.post(f"{url}/auth/token", json={"username": user, "password": password}, timeout=30)
        answer.raise_for_status()
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"

    def call(self, method: str, path: str, **kwargs) -> dict:
        answer = self.session.request(method, f"{self.url}/api/v2{path}", timeout=60, **kwargs)
        assert answer.ok, f"{method} {path}: {answer.status_code} {answer.text[:500]}"
        return answer.json()

    def wait_for_dags(self, *dag_ids: str, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while True:
            known = {d["dag_id"]: d for d in self.call("GET", "/dags")["dags"]}
            if all(d in known for d in dag_ids):
                assert not any(known[d]["has_import_errors"] for d in dag_ids)
                return
            assert time.monotonic() < deadline, f"the dag-processor did not register {dag_ids}: {sorted(known)}"
            time.sleep(2)

    def unpause(self, dag_id: str) -> None:
        self.call("PATCH", f"/dags/{dag_id}", json={"is_paused": False})

    def trigger(self, dag_id: str, logical_date: str | None) -> str:
        return self.call("POST", f"/dags/{dag_id}/dagRuns", json={"logical_date": logical_date})["dag_run_id"]

    def run(self, dag_id: str, run_id: str) -> dict:
        return self.call("GET", f"/dags/{dag_id}/dagRuns/{run_id}")

    def runs(self, dag_id: str) -> list[dict]:
        return self.call("GET", f"/dags/{dag_id}/dagRuns", params={"order_by": "run_after"})["dag_runs"]

    def wait(self, dag_id: str, run_id: str, timeout: float = 900) -> str:
        deadline = time.monotonic() + timeout
        while True:
            state = self.run(dag_id, run_id)["state"]
            if state in ("success", "failed"):
                return state
            assert time.monotonic() < deadline, f"{dag_id} {run_id} still {state} after {timeout} s"
            time.sleep(3)

    def wait_for_first_run(self, dag_id: str, timeout: float = 120) -> str:
        deadline = time.monotonic() + timeout
        while not (runs := self.runs(dag_id)):
            assert time.monotonic() < deadline, f"the scheduler made no run of {dag_id}"
            time.sleep(2)
        return runs[0]["dag_run_id"]

    def tasks(self, dag_id: str, run_id: str) -> dict[str, dict]:
        found = self.call("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances", params={"limit": 200})
        return {t["task_id"]: t for t in found["task_instances"]}

    def clear(self, dag_id: str, run_id: str) -> None:
        self.call(
            "POST",
            f"/dags/{dag_id}/clearTaskInstances",
            json={"dag_run_id": run_id, "only_failed": False, "reset_dag_runs": True, "dry_run": False},
        )


@contextlib.contextmanager
def airflow_running(env: dict, home: Path, *dag_ids: str) -> Iterator[AirflowApi]:
    """scripts/airflow.sh up with ``env`` (its AIRFLOW_HOME is ``home``), the DAGs registered; down after."""
    script = str(AIRFLOW_SH)
    started = subprocess.run([script, "up"], env=env, capture_output=True, text=True, timeout=600)
    try:
        assert started.returncode == 0, started.stdout[-3000:] + started.stderr[-3000:]
        port = (home / "run" / "port").read_text().strip()
        password = subprocess.run([script, "password"], env=env, capture_output=True, text=True, check=True)
        api = AirflowApi(f"http://127.0.0.1:{port}", "admin", password.stdout.strip())
        api.wait_for_dags(*dag_ids)
        yield api
    finally:
        subprocess.run([script, "down"], env=env, capture_output=True, text=True, timeout=120)
