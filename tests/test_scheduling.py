"""What the DAGs are wired with: the run's evaluation date, task defaults, alerts and the deadline."""

from __future__ import annotations

import datetime as dt

import pytest
from conftest import ROOT

from cds_warehouse.run_dates import evaluation_date, load_day_after

UTC = dt.UTC


def test_the_evaluation_date_is_the_local_day_of_the_runs_data_interval_end():
    # the 02:00 run of 7 December (Viet Nam) is 19:00 UTC on the 6th
    assert evaluation_date(dt.datetime(2026, 12, 6, 19, 0, tzinfo=UTC)) == dt.date(2026, 12, 7)
    assert evaluation_date(dt.datetime(2026, 12, 6, 16, 59, tzinfo=UTC)) == dt.date(2026, 12, 6)
    assert evaluation_date(dt.datetime(2026, 12, 6, 19, 0)) == dt.date(2026, 12, 7)  # naive: UTC
    # a run triggered without a logical date has no data interval: its run_after
    assert evaluation_date(None, dt.datetime(2025, 9, 30, 19, 0, tzinfo=UTC)) == dt.date(2025, 10, 1)
    with pytest.raises(ValueError):
        evaluation_date(None, None)
    assert load_day_after(dt.date(2025, 12, 31)) == "2026-01-01T00:00:00"


def test_task_defaults_retry_with_backoff_and_mail_only_when_recipients_are_set(monkeypatch):
    from airflow.providers.smtp.notifications.smtp import SmtpNotifier

    from cds_warehouse.scheduling import default_args, night_deadline

    monkeypatch.delenv("CDS_ALERT_EMAILS", raising=False)
    monkeypatch.setenv("CDS_TASK_RETRIES", "3")
    args = default_args()
    assert args["owner"] == "cds-data-engineering" and args["retries"] == 3
    assert args["retry_exponential_backoff"] and args["execution_timeout"] == dt.timedelta(hours=1)
    assert args["on_failure_callback"] == [] and night_deadline(dt.time(2)) is None

    monkeypatch.setenv("CDS_ALERT_EMAILS", "ops@example.vn, lead@example.vn")
    (notifier,) = default_args()["on_failure_callback"]
    assert isinstance(notifier, SmtpNotifier)
    assert notifier.smtp_conn_id == "cds_alerts" and notifier.to == ["ops@example.vn", "lead@example.vn"]

    monkeypatch.setenv("CDS_NIGHT_DEADLINE", "06:30")
    assert night_deadline(dt.time(2)).interval == dt.timedelta(hours=4, minutes=30)
    monkeypatch.setenv("CDS_NIGHT_DEADLINE", "01:00")  # past midnight: the next day
    assert night_deadline(dt.time(2)).interval == dt.timedelta(hours=23)


def test_every_task_has_an_owner_a_timeout_and_retries_unless_it_gives_a_verdict(monkeypatch):
    from airflow.dag_processing.dagbag import DagBag

    monkeypatch.setenv("CDS_TASK_RETRIES", "2")
    monkeypatch.setenv("CDS_ALERT_EMAILS", "ops@example.vn")
    bag = DagBag(dag_folder=str(ROOT / "dags"))
    assert bag.import_errors == {}
    verdicts = {("portal_dossiers_nightly", "files_loaded"), ("agency_reports_landing", "report")}
    for dag in bag.dags.values():
        for task in dag.tasks:
            assert task.owner == "cds-data-engineering"
            assert task.execution_timeout is not None and task.on_failure_callback, task.task_id
            assert task.retries == (0 if (dag.dag_id, task.task_id) in verdicts else 2), task.task_id
    nightly = bag.get_dag("portal_dossiers_nightly")
    assert nightly.deadline and nightly.deadline[0].interval == dt.timedelta(hours=4)
    # every dbt task evaluates on the run's date, handed over by set_up
    dbt_tasks = [t for t in nightly.tasks if t.task_id.startswith("dbt_build.") and t.task_type != "EmptyOperator"]
    assert dbt_tasks and all(t.vars == {"as_of_date": "{{ ti.xcom_pull(task_ids='set_up') }}"} for t in dbt_tasks)
    # the night is rebuilt when the agency DAG published something, and hands the marts on
    assert "cds_agency_reports_published" in str(nightly.timetable)
    assert [o.name for o in nightly.get_task("validate_marts").outlets] == ["cds_marts"]
    assert "cds_marts" in str(bag.get_dag("warehouse_docs").timetable)
