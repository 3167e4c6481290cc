"""Nightly: portal dossier exports and the portal API -> raw (quality gate) -> dbt marts (quality gate).

A file that cannot be loaded does not stop the night: the others go on to the marts, and the last task
(files_loaded) fails the run with the files and their reasons (also in raw.load_audit).

dbt_build renders the models downstream of the portal's raw tables as tasks (one `dbt build` of a
model and its tests each). What they read besides the portal (seeds, reference dimensions, agency-report
models) is built by portal_inputs on the first run and whenever the dbt project changes.

The logic lives in the cds_warehouse package; this file only wires it.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import Asset, chain, dag, task
from cosmos import DbtTaskGroup, ExecutionConfig, ProfileConfig, ProjectConfig, RenderConfig
from cosmos.constants import LoadMode, TestBehavior

from cds_warehouse.dbt_build import DBT_MANIFEST, PORTAL_MODELS, dbt_executable
from cds_warehouse.settings import DBT_PROJECT_DIR

SOURCE = "portal_dossiers"
MARTS = Asset("postgres://warehouse/marts/mart_target_attainment")


@dag(
    schedule="0 2 * * *",
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Ho_Chi_Minh"),
    catchup=False,
    max_active_runs=1,
    tags=["portal", "dbt", "quality"],
    doc_md=__doc__,
)
def portal_dossiers_nightly():
    @task(multiple_outputs=True)
    def ingest() -> dict[str, list]:
        from cds_warehouse.orchestration import ingest_landing

        return ingest_landing(SOURCE)

    @task
    def ingest_api() -> list[int]:
        from cds_warehouse.orchestration import ingest_portal_api

        return ingest_portal_api()

    @task
    def validate_raw(load_ids: list[int], api_load_ids: list[int]) -> None:
        from cds_warehouse.quality import gate_batches

        gate_batches([*load_ids, *api_load_ids])

    @task
    def portal_inputs() -> bool:
        from cds_warehouse.dbt_build import build_portal_inputs

        return build_portal_inputs()

    transform = DbtTaskGroup(
        group_id="dbt_build",
        project_config=ProjectConfig(
            DBT_PROJECT_DIR,
            manifest_path=DBT_MANIFEST if DBT_MANIFEST.exists() else None,
            install_dbt_deps=False,
        ),
        profile_config=ProfileConfig(
            profile_name="cds_warehouse",
            target_name="default",
            profiles_yml_filepath=DBT_PROJECT_DIR / "profiles.yml",
        ),
        execution_config=ExecutionConfig(dbt_executable_path=dbt_executable()),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST if DBT_MANIFEST.exists() else LoadMode.DBT_LS,
            select=[PORTAL_MODELS],
            emit_datasets=False,
            # one task per model runs it and its tests (dbt build): half the tasks of run + test
            test_behavior=TestBehavior.BUILD,
            # a relationships test between two models runs after both, not with the first one built
            should_detach_multiple_parents_tests=True,
        ),
    )

    @task(outlets=[MARTS])
    def validate_marts() -> None:
        from cds_warehouse.quality import enforce, run_checkpoint

        enforce(run_checkpoint("marts"))

    @task
    def files_loaded(failed: list[str]) -> None:
        from cds_warehouse.orchestration import raise_for_failed_files

        raise_for_failed_files(failed)

    files = ingest()
    chain(
        validate_raw(files["load_ids"], ingest_api()),
        portal_inputs(),
        transform,
        validate_marts(),
        files_loaded(files["failed"]),
    )


portal_dossiers_nightly()
