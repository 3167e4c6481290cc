"""Agency reports and portal-published 766 figures: landing folder -> raw (quality gate) -> dbt models.

ingest: every workbook in $CDS_LANDING_DIR/agency_reports/ (and CSV in published_766/) becomes one
audited batch; unreadable files go to failed/ with a <file>.reason.txt. validate_raw: the Great
Expectations gate publishes or quarantines each batch and files it in archive/ or failed/. dbt_build:
the agency-report models, every run, so an alias added to indicator_aliases.csv re-matches rows already
loaded. report: logs how many rows await review, and fails the run when a file was refused.

The logic lives in cds_warehouse.agency_reports.landing; this file only wires it.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import chain, dag, task


@dag(
    schedule="30 1 * * *",  # before portal_dossiers_nightly (02:00), which builds the facts
    start_date=pendulum.datetime(2026, 1, 1, tz="Asia/Ho_Chi_Minh"),
    catchup=False,
    max_active_runs=1,
    tags=["agency_reports", "published_766", "dbt", "quality"],
    doc_md=__doc__,
)
def agency_reports_landing():
    @task
    def ingest() -> dict:
        from cds_warehouse.agency_reports.landing import ingest

        return ingest()

    @task
    def validate_raw(ingested: dict) -> dict:
        from cds_warehouse.agency_reports.landing import gate_and_file

        return gate_and_file(ingested)

    @task
    def dbt_build() -> None:
        from cds_warehouse.agency_reports.landing import build_models

        build_models()

    @task
    def report(summary: dict) -> int:
        from cds_warehouse.agency_reports.landing import report

        return report(summary)

    summary = validate_raw(ingest())
    chain(summary, dbt_build(), report(summary))


agency_reports_landing()
