"""Running the pipeline in this process, as the commands do (`cds load`, `cds demo`, ...): the warehouse
named to the DAGs as Airflow names it, and one real DAG run. Airflow is imported only by `run_dag`."""

from __future__ import annotations

import os
import sys

from cds_warehouse.settings import AIRFLOW_CONN_ID, PROJECT_ROOT, warehouse_dsn

PORTAL_DAG_ID = "portal_dossiers_nightly"
AGENCY_DAG_ID = "agency_reports_landing"


def export_warehouse_env() -> str:
    """Name the warehouse to the DAGs run in this process as Airflow does: the connection cds_warehouse
    (an AIRFLOW_CONN_ variable), which every task and the dbt tasks' profile read."""
    dsn = warehouse_dsn()
    os.environ.setdefault(f"AIRFLOW_CONN_{AIRFLOW_CONN_ID.upper()}", dsn)
    return dsn


def run_dag(dag_id: str = PORTAL_DAG_ID):
    """One real DAG run in this process (Airflow's dag.test), returning the DagRun."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(PROJECT_ROOT / "dags"))
    if bag.import_errors:
        raise RuntimeError(f"DAG import errors: {bag.import_errors}")
    return bag.get_dag(dag_id).test()


def require_success(dag_id: str, run) -> None:
    """Stop the command when the DAG run did not succeed."""
    state = str(getattr(run, "state", run))
    print(f"DAG {dag_id}: {state}")
    if "success" not in state:
        sys.exit(f"The DAG run of {dag_id} did not succeed ({state}); see the task logs above.")
