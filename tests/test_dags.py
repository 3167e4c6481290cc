"""The Airflow DAGs import cleanly and are wired in order. Their runs: tests/test_scheduler.py (under
Airflow's scheduler), tests/test_agency_reports_dag.py and tests/test_ingest_api.py (dag.test())."""

from __future__ import annotations

from conftest import ROOT

DAG_ID = "portal_dossiers_nightly"


def test_dagbag_imports_without_errors():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(ROOT / "dags"))
    assert bag.import_errors == {}
    # after each build of the marts: dbt's docs, and what the warehouse publishes (docs/publish.md)
    assert set(bag.get_dag("warehouse_docs").task_ids) == {"dbt_docs", "publish"}
    dag = bag.get_dag(DAG_ID)
    ids = set(dag.task_ids)
    assert {"ingest", "validate_raw", "portal_inputs", "validate_marts"} <= ids
    dbt_tasks = {t for t in ids if t.startswith("dbt_build.")}
    # the group holds the models downstream of the portal's raw tables, not the seeds they read
    assert {"dbt_build.fct_dossier_model_build", "dbt_build.mart_target_attainment_model_build"} <= dbt_tasks
    assert not any("seed" in t for t in dbt_tasks)
    # the quality gate, then the portal models' other inputs, come before every dbt task
    downstream_of_inputs = dag.get_task("portal_inputs").get_flat_relative_ids(upstream=False)
    assert dbt_tasks <= downstream_of_inputs
    assert "validate_raw" in dag.get_task("portal_inputs").get_flat_relative_ids(upstream=True)
    # a file that could not be loaded fails the run only after the marts are built and checked
    assert {"validate_marts", "ingest"} <= dag.get_task("files_loaded").get_flat_relative_ids(upstream=True)
    # source freshness is measured once the batches are gated, beside the marts: it holds nothing back
    freshness = dag.get_task("source_freshness")
    assert "validate_raw" in freshness.get_flat_relative_ids(upstream=True)
    assert freshness.get_flat_relative_ids(upstream=False) == set()
