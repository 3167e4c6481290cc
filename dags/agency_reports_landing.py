"""Agency reports and portal-published 766 figures: landing folder -> raw (quality gate) -> dbt models.

**When it runs.** Every night at 01:30 (Asia/Ho_Chi_Minh). When it published at least one new batch it
updates the Asset `cds_agency_reports_published`, which starts `portal_dossiers_nightly`: the facts and
marts are rebuilt because there is something new, not because of clock order. One run at a time.

**Tasks.** `set_up` makes an empty warehouse ready (idempotent) and fixes the run's evaluation date (the
local date of the data interval end: a re-run of a past night gates on that night's date). `ingest`: every
file source but the portal's exports (landed by `portal_dossiers_nightly`): each workbook in
$CDS_LANDING_DIR/agency_reports/, each CSV in published_766/, and the files of any source added with
`cds add-source`, becomes one audited batch and moves to archive/<load_id>_<name> (the folders, patterns
and checkpoints are in the sources' YAML files);
unreadable files go to failed/ with a <file>.reason.txt. `validate_raw`: the Great Expectations gate
publishes or quarantines each batch; a quarantined batch's file moves from archive/ to failed/.
`dbt_build`: the agency-report models, every run, so an alias added to indicator_aliases.csv re-matches
rows already loaded, and the models that read the other sources it lands; its output streams into the
task log. `announce`: updates the Asset when something was published (skipped otherwise). `report`: logs
how many rows await review, and fails the run when a file was refused.

**Connections and environment.** `cds_warehouse` (postgres), `cds_alerts` (smtp) with `CDS_ALERT_EMAILS`,
`CDS_LANDING_DIR`. Retries: twice with exponential backoff on every task but `report` (a verdict, not
retried); timeouts: one hour. A failed task mails `CDS_ALERT_EMAILS` through Airflow's SmtpNotifier.

The logic lives in cds_warehouse.landing (the generic landing routine of every file source) and
cds_warehouse.agency_reports.review; this file only wires it.
"""

from __future__ import annotations

import datetime as dt

import pendulum
from airflow.sdk import CronTriggerTimetable, chain, dag, task

from cds_warehouse.scheduling import AGENCY_REPORTS_PUBLISHED, TIMEZONE, default_args


@dag(
    schedule=CronTriggerTimetable("30 1 * * *", timezone=TIMEZONE),
    start_date=pendulum.datetime(2024, 1, 1, tz=TIMEZONE),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    tags=["agency_reports", "published_766", "dbt", "quality"],
    doc_md=__doc__,
)
def agency_reports_landing():
    @task
    def set_up(data_interval_end=None, dag_run=None) -> str:
        from cds_warehouse.setup import set_up_night

        return set_up_night(data_interval_end, dag_run.run_after)

    @task
    def ingest() -> dict:
        from cds_warehouse.agency_reports.review import landed_sources
        from cds_warehouse.landing import ingest

        return ingest(*landed_sources())

    @task
    def validate_raw(ingested: dict, evaluated_on: str) -> dict:
        from cds_warehouse.landing import gate

        return gate(ingested["load_ids"], dt.date.fromisoformat(evaluated_on), failed=ingested["failed"])

    @task
    def dbt_build() -> None:
        from cds_warehouse.agency_reports.review import build_models

        build_models()

    @task(outlets=[AGENCY_REPORTS_PUBLISHED])
    def announce(summary: dict) -> int:
        from airflow.sdk.exceptions import AirflowSkipException

        if not summary["published"]:
            raise AirflowSkipException("no new batch published: the marts need no rebuild for the reports")
        return len(summary["published"])

    @task(retries=0)
    def report(summary: dict) -> int:
        from cds_warehouse.agency_reports.review import report

        return report(summary)

    evaluated_on = set_up()
    ingested = ingest()
    chain(evaluated_on, ingested)
    summary = validate_raw(ingested, evaluated_on)
    built = dbt_build()
    chain(summary, built, [announce(summary), report(summary)])


agency_reports_landing()
