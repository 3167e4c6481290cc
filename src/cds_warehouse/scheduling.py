"""What both DAGs share as Airflow objects: task defaults, the failure and deadline alerts, the Assets they
hand over through, and the dbt profile of the cosmos tasks. Imported by the DAG files only (it imports
Airflow); the decisions it wires are tested in tests/test_scheduling.py.

Configuration, all from Airflow connections or the environment of the Airflow components:
- Airflow connection ``cds_warehouse`` (postgres): the warehouse, for every task and dbt (cosmos maps it
  to dbt's profile; the other tasks read it through ``settings.warehouse_dsn``).
- Airflow connection ``cds_alerts`` (smtp) and ``CDS_ALERT_EMAILS`` (comma-separated): where failures and
  missed deadlines are mailed, with Airflow's SmtpNotifier. Without ``CDS_ALERT_EMAILS`` nothing is mailed
  and the failure is only in the task log and the UI.
- ``CDS_NIGHT_DEADLINE`` (local time ``HH:MM``, default 06:00): the nightly DAG's run must have finished
  by then, else a deadline alert is mailed (Airflow's deadline alerts, run by the triggerer).
- ``CDS_TASK_RETRIES`` (default 2) and ``CDS_RETRY_DELAY_SECONDS`` (default 60, doubled at each retry up
  to 20 minutes): the retries of the tasks that are safe to retry.
"""

from __future__ import annotations

import datetime as dt
import os

from airflow.sdk import Asset, AsyncCallback, DeadlineAlert, DeadlineReference

OWNER = "cds-data-engineering"
ALERTS_CONN_ID = "cds_alerts"
WAREHOUSE_CONN_ID = "cds_warehouse"
TIMEZONE = "Asia/Ho_Chi_Minh"

# What the DAGs hand over: a source published new batches, the marts were rebuilt and checked.
AGENCY_REPORTS_PUBLISHED = Asset(name="cds_agency_reports_published", uri="cds://raw/agency_reports")
MARTS = Asset(name="cds_marts", uri="postgres://warehouse/marts/mart_target_attainment")


def alert_recipients() -> list[str]:
    return [a.strip() for a in os.environ.get("CDS_ALERT_EMAILS", "").split(",") if a.strip()]


def _mail(subject: str, body: str) -> dict:
    return {
        "smtp_conn_id": ALERTS_CONN_ID,
        "to": alert_recipients(),
        # the connection's extra may carry from_email; this is the fallback
        "from_email": os.environ.get("CDS_ALERT_FROM", "airflow@localhost"),
        "subject": subject,
        "html_content": body,
    }


def failure_notifiers() -> list:
    """Airflow's SmtpNotifier, when recipients are configured: one mail per failed task attempt that will
    not be retried (on_failure_callback runs after the last retry)."""
    if not alert_recipients():
        return []
    from airflow.providers.smtp.notifications.smtp import SmtpNotifier

    return [
        SmtpNotifier(
            **_mail(
                "[CĐS warehouse] {{ dag.dag_id }}.{{ ti.task_id }} failed ({{ run_id }})",
                "<p>Task <b>{{ ti.task_id }}</b> of <b>{{ dag.dag_id }}</b> failed after {{ ti.try_number }}"
                " attempt(s), run {{ run_id }}.</p><p>Log: {{ ti.log_url }}</p>",
            )
        )
    ]


def default_args() -> dict:
    """Task defaults: retries with exponential backoff (every task is idempotent unless it says
    otherwise), a timeout, and the failure mail."""
    return {
        "owner": OWNER,
        "retries": int(os.environ.get("CDS_TASK_RETRIES", "2")),
        "retry_delay": dt.timedelta(seconds=int(os.environ.get("CDS_RETRY_DELAY_SECONDS", "60"))),
        "retry_exponential_backoff": True,
        "max_retry_delay": dt.timedelta(minutes=20),
        "execution_timeout": dt.timedelta(hours=1),
        "on_failure_callback": failure_notifiers(),
    }


def night_deadline(schedule_at: dt.time) -> DeadlineAlert | None:
    """The alert when a night has not finished by CDS_NIGHT_DEADLINE (local time): measured from when the
    run was queued, so a run triggered by hand gets the same allowance as the 02:00 one."""
    if not alert_recipients():
        return None
    hours, minutes = (int(p) for p in os.environ.get("CDS_NIGHT_DEADLINE", "06:00").split(":"))
    allowance = dt.datetime.combine(dt.date.min, dt.time(hours, minutes)) - dt.datetime.combine(
        dt.date.min, schedule_at
    )
    if allowance <= dt.timedelta(0):
        allowance += dt.timedelta(days=1)
    from airflow.providers.smtp.notifications.smtp import SmtpNotifier

    return DeadlineAlert(
        reference=DeadlineReference.DAGRUN_QUEUED_AT,
        interval=allowance,
        callback=AsyncCallback(
            SmtpNotifier,
            kwargs=_mail(
                "[CĐS warehouse] {{ dag_run.dag_id }} has not finished by its deadline",
                f"<p>The run {{{{ dag_run.run_id }}}} was queued {allowance} ago and has not finished.</p>",
            ),
        ),
    )


def dbt_profile_config():
    """cosmos's dbt profile, mapped from the Airflow connection cds_warehouse (the password reaches dbt
    as an environment variable of the dbt process, never in a file)."""
    from cosmos import ProfileConfig
    from cosmos.profiles import PostgresUserPasswordProfileMapping

    return ProfileConfig(
        profile_name="cds_warehouse",
        target_name="default",
        profile_mapping=PostgresUserPasswordProfileMapping(
            conn_id=WAREHOUSE_CONN_ID, profile_args={"schema": "analytics", "threads": 2}
        ),
    )
