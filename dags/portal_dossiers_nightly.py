"""Nightly: portal dossier exports and the portal API -> raw (quality gate) -> dbt marts (quality gate).

**When it runs.** Every night at 02:00 (Asia/Ho_Chi_Minh), and whenever `agency_reports_landing` published
new report batches (Asset `cds_agency_reports_published`): the facts and marts then carry the new reports
without waiting for the clock. When it has rebuilt and checked the marts it updates the Asset `cds_marts`
(consumed by `warehouse_docs`). One run at a time.

**Tasks.** `set_up` makes an empty warehouse ready (schemas, raw tables, the BI role; idempotent) and fixes
the run's evaluation date: the local date of the run's data interval end, so a re-run of a past night (a
cleared run, a backfill) evaluates the marts and the quality gates on that night's date, never on today's.
`ingest` loads each new file of the landing folder, `ingest_api` pulls the portal API (skipped without a
configured portal), `validate_raw` gates each new batch (Great Expectations), `portal_inputs` builds the
seeds and reference models the portal models read (only when the dbt project changed), `dbt_build` the
models downstream of the portal's raw tables (astronomer-cosmos, one task per model running it and its
tests, a test comparing two models in the task of the later one; dbt's profile mapped from the Airflow
connection), `validate_marts` checks what BI tools read. Beside the marts,
`source_freshness` runs `dbt source freshness` once the batches are gated: a source whose newest published
batch is older than its YAML's `freshness:` (warn after 2 days, error after 7) is logged as a warning
naming the source and its age, and the task still succeeds (agencies report monthly or quarterly and the
portal API is optional, so a stale source is a fact to look at, not a failed night); it fails only when
dbt cannot measure a source. See docs/orchestration.md. A file that cannot be loaded does
not stop the night: the others reach the marts, and the last task (`files_loaded`) fails the run naming it.
A file that cannot mean what it claims (a column the indicators read missing, cut short) is refused whole;
a bad row is a reject naming its row (an impossible date, a dossier in two rows); an empty or header-only
file is audited `empty` and the night goes on; `validate_raw` quarantines a batch with too many rejects or
whose blank values depart from the recent batches'. See docs/sources/portal_dossiers.md.

**The landing folder** (`$CDS_LANDING_DIR/portal_dossiers/`, CSV, XLSX and JSON lines, in either dialect
of docs/sources/portal_dossiers.md): `ingest` moves a file to
`archive/<load_id>_<name>` as soon as its batch is committed in raw (the night goes on from the batch, not
the file); a file that cannot be loaded, a symbolic link (never followed) or a delivery of content the gate
quarantined before goes to `failed/` with `<name>.reason.txt`, once: the next night is green for it.
`validate_raw` moves the file of a batch it quarantines from `archive/` to `failed/` the same way. A file
another run is loading is left to it ("being loaded by another run"). A `CDS_PII_KEY` other than the
warehouse's stops `ingest` before any file, which stays in the folder (`cds pii-key rotate` declares a
deliberate change). See docs/sources/portal_dossiers.md.

**Portal API** (docs/sources/portal_api.md). The watermark belongs to the configured portal (its base URL).
Each pull re-reads `CDS_PORTAL_OVERLAP_MINUTES` (default 1440) before it, landing only versions not held yet,
and fails, committing nothing, when the portal's clock is more than `CDS_PORTAL_CLOCK_TOLERANCE_MINUTES`
(default 10) ahead of the warehouse's. `reconcile_api` then compares the versions received per day of the
last `CDS_PORTAL_RECONCILE_DAYS` (default 7) with the portal's counts and fails, naming each day and both
counts, when they differ; it runs beside the marts and does not hold them back.

**Connections and environment.** `cds_warehouse` (postgres): the warehouse, for every task. `cds_portal`
(http, optional): the portal API. `cds_alerts` (smtp) with `CDS_ALERT_EMAILS`: failure and deadline mails.
`CDS_LANDING_DIR`, `CDS_PII_KEY`: landing folders and the personal-data key.

**Retries and timeouts.** Every task but `files_loaded` is idempotent (a file is recognised by its content,
the API resumes from its watermark, a gate only acts on batches still awaiting it, dbt rebuilds) and is
retried twice with exponential backoff from one minute. `files_loaded` reports a fact and is not retried.
Each task has a timeout: one hour, three for ingestion.

**Alerts.** A task that fails after its retries mails `CDS_ALERT_EMAILS` through `cds_alerts` (Airflow's
SmtpNotifier). A run not finished by `CDS_NIGHT_DEADLINE` (default 06:00, counted from when the run was
queued) mails a deadline alert (Airflow's deadline alerts, sent by the triggerer).

The logic lives in the cds_warehouse package (landing: the generic landing routine of every file source;
extract: the API); this file only wires it.
"""

from __future__ import annotations

import datetime as dt

import pendulum
from airflow.sdk import AssetOrTimeSchedule, CronTriggerTimetable, chain, dag, task
from cosmos import DbtTaskGroup, ExecutionConfig, ProjectConfig, RenderConfig
from cosmos.constants import LoadMode, TestBehavior, TestIndirectSelection

from cds_warehouse.dbt_build import DBT_MANIFEST, PORTAL_MODELS, dbt_executable
from cds_warehouse.scheduling import (
    AGENCY_REPORTS_PUBLISHED,
    MARTS,
    TIMEZONE,
    dbt_profile_config,
    default_args,
    night_deadline,
)
from cds_warehouse.settings import DBT_PROJECT_DIR

SOURCE = "portal_dossiers"
SCHEDULE_AT = dt.time(2, 0)
INGESTION_TIMEOUT = dt.timedelta(hours=3)


@dag(
    schedule=AssetOrTimeSchedule(
        timetable=CronTriggerTimetable(f"{SCHEDULE_AT.minute} {SCHEDULE_AT.hour} * * *", timezone=TIMEZONE),
        assets=AGENCY_REPORTS_PUBLISHED,
    ),
    start_date=pendulum.datetime(2024, 1, 1, tz=TIMEZONE),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    deadline=night_deadline(SCHEDULE_AT),
    tags=["portal", "dbt", "quality"],
    doc_md=__doc__,
)
def portal_dossiers_nightly():
    @task
    def set_up(data_interval_end=None, dag_run=None) -> str:
        from cds_warehouse.setup import set_up_night

        return set_up_night(data_interval_end, dag_run.run_after)

    @task(multiple_outputs=True, execution_timeout=INGESTION_TIMEOUT)
    def ingest() -> dict[str, list]:
        from cds_warehouse.landing import ingest

        return ingest(SOURCE)

    @task(execution_timeout=INGESTION_TIMEOUT)
    def ingest_api() -> list[int]:
        from cds_warehouse.extract.ingest import ingest_configured_portal

        return ingest_configured_portal()

    @task
    def reconcile_api() -> None:
        from cds_warehouse.extract.reconcile import reconcile_configured_portal

        reconcile_configured_portal()

    @task
    def validate_raw(load_ids: list[int], api_load_ids: list[int], evaluated_on: str) -> None:
        from cds_warehouse.landing import gate

        gate([*load_ids, *api_load_ids], dt.date.fromisoformat(evaluated_on), fail_on_quarantine=True)

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
        profile_config=dbt_profile_config(),
        execution_config=ExecutionConfig(
            dbt_executable_path=dbt_executable(),
            # a test comparing two models runs in the task of the later one, after both are built
            # (dbt_build.dbt_tests_left_without_a_task checks that every test has such a task)
            test_indirect_selection=TestIndirectSelection.BUILDABLE,
        ),
        render_config=RenderConfig(
            load_method=LoadMode.DBT_MANIFEST if DBT_MANIFEST.exists() else LoadMode.DBT_LS,
            select=[PORTAL_MODELS],
            emit_datasets=False,
            # one task per model runs it and its tests (dbt build): half the tasks of run + test
            test_behavior=TestBehavior.BUILD,
            # no task of its own for a test of two models: each dbt task is seconds of start-up
            should_detach_multiple_parents_tests=False,
        ),
        # the run's evaluation date (set_up), not the day the task happens to run
        operator_args={"vars": {"as_of_date": "{{ ti.xcom_pull(task_ids='set_up') }}"}},
        # ExecutionMode.LOCAL, one dbt invocation per model. cosmos's watcher mode (one `dbt build`, per-model
        # sensors) halves the nightly under the scheduler but lost runs to its rescheduled sensors, and its
        # deferrable or poking sensors hang dag.test(): see docs/orchestration.md (measured).
    )

    @task(outlets=[MARTS])
    def validate_marts() -> None:
        from cds_warehouse.quality import enforce, run_checkpoint

        enforce(run_checkpoint("marts"))

    @task
    def source_freshness() -> list[str]:
        from cds_warehouse.dbt_build import check_source_freshness

        return check_source_freshness()

    @task(retries=0)
    def files_loaded(failed: list[str]) -> None:
        from cds_warehouse.landing import raise_for_failed_files

        raise_for_failed_files(failed)

    evaluated_on = set_up()
    files = ingest()
    api = ingest_api()
    chain(evaluated_on, [files, api])
    api >> reconcile_api()
    raw_gate = validate_raw(files["load_ids"], api, evaluated_on)
    raw_gate >> source_freshness()  # beside the marts: a stale source is a warning, not a red night
    chain(
        raw_gate,
        portal_inputs(),
        transform,
        validate_marts(),
        files_loaded(files["failed"]),
    )


portal_dossiers_nightly()
