"""The Airflow DAGs import cleanly and are wired in order. Their runs: tests/test_scheduler.py (under
Airflow's scheduler), tests/test_agency_reports_dag.py and tests/test_ingest_api.py (dag.test())."""

from __future__ import annotations

import json

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


def test_every_test_of_the_portal_models_runs_in_the_task_of_a_model_it_reads():
    from airflow.dag_processing.dagbag import DagBag

    from cds_warehouse.dbt_build import DBT_MANIFEST, dbt_tests_left_without_a_task

    dag = DagBag(dag_folder=str(ROOT / "dags")).get_dag(DAG_ID)
    dbt_tasks = [t for t in dag.tasks if t.task_id.startswith("dbt_build.")]
    # one task per model; a test comparing two models runs in the later one's `dbt build`
    assert dbt_tasks and all(t.task_id.endswith("_model_build") for t in dbt_tasks)
    assert {t.indirect_selection for t in dbt_tasks} == {"buildable"}
    manifest = json.loads(DBT_MANIFEST.read_text(encoding="utf-8"))
    by_name = {n["name"]: key for key, n in manifest["nodes"].items() if n["resource_type"] == "model"}
    rendered = {by_name[t.task_id.removeprefix("dbt_build.").removesuffix("_model_build")] for t in dbt_tasks}
    assert dbt_tests_left_without_a_task(manifest, rendered) == []
    # and there are such tests to place: the comparisons between two models or a model and a seed
    parents = {k: set(n["depends_on"]["nodes"]) for k, n in manifest["nodes"].items() if k.startswith("test.")}
    assert len([k for k, p in parents.items() if len(p) > 1 and p & rendered]) >= 10
