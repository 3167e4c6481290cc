"""The DAG agency_reports_landing: it imports and is wired in order, and (slow) a real dag.test() run loads
the landing folder, gates it, files the workbooks, builds the models and counts the rows awaiting review."""

from __future__ import annotations

import logging
import sys
from decimal import Decimal
from pathlib import Path

import pytest
from conftest import ROOT

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "agency_reports"))
from report_workbooks import dbt_project_copy, simple_report  # noqa: E402
from test_scaffold import CERTIFICATES, apply_scaffolded_ddl, certificates_csv, project_copy  # noqa: E402

DAG_ID = "agency_reports_landing"
DAG_FILE = ROOT / "dags" / "agency_reports_landing.py"


def _dag():
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(DAG_FILE))
    assert bag.import_errors == {}
    return bag.get_dag(DAG_ID)


def test_the_dag_sets_up_then_gates_before_dbt_and_reports_last():
    dag = _dag()
    assert set(dag.task_ids) == {"set_up", "ingest", "validate_raw", "dbt_build", "announce", "report"}
    assert dag.get_task("set_up").downstream_task_ids == {"ingest", "validate_raw"}
    assert dag.get_task("ingest").downstream_task_ids == {"validate_raw"}
    assert dag.get_task("validate_raw").downstream_task_ids == {"dbt_build", "announce", "report"}
    assert dag.get_task("dbt_build").downstream_task_ids == {"announce", "report"}
    # the Asset that starts the portal DAG is updated by `announce` only, after the models are built
    assert [o.name for o in dag.get_task("announce").outlets] == ["cds_agency_reports_published"]
    assert not any(dag.get_task(t).outlets for t in dag.task_ids if t != "announce")


@pytest.fixture
def scaffolded(tmp_path, monkeypatch, conn):
    """A project copy with a source added by `cds add-source` from a sample (digital signature certificates
    per agency, a source the project does not have), its raw table made; the DAG lands it with the others."""
    from cds_warehouse import sources
    from cds_warehouse.scaffold import add_source

    project = project_copy(tmp_path / "project", monkeypatch, dbt_project_copy(tmp_path / "dbt_project"))
    add_source(CERTIFICATES, certificates_csv(tmp_path / "sample.csv"))
    apply_scaffolded_ddl(conn, project, CERTIFICATES)
    monkeypatch.setenv("CDS_DBT_PROJECT_DIR", str(project / "dbt_project"))
    yield project
    sources.load_source.cache_clear()


@pytest.mark.slow
def test_a_dag_run_files_the_workbooks_and_logs_the_rows_awaiting_review(
    conn, tmp_path, monkeypatch, caplog, capsys, scaffolded
):
    """…and takes a source added with `cds add-source` from its landing folder to its staging model, with
    no code written for it."""
    landing = tmp_path / "landing"
    monkeypatch.setenv("CDS_LANDING_DIR", str(landing))
    (landing / CERTIFICATES).mkdir(parents=True)
    certificates_csv(landing / CERTIFICATES / "cks_2025_02.csv")
    reports = landing / "agency_reports"
    simple_report(
        reports / "na_q3.xlsx",
        [
            (1, "Tỷ lệ hộ gia đình có cáp quang", "%", None, 90, "76,6"),
            (2, "Tỷ lệ hộ gia đình dùng wifi", "%", None, 90, "55,5"),  # not in the catalog: review
        ],
    )
    simple_report(
        reports / "na_q2.xlsx", [(1, "Tỷ lệ hộ gia đình có cáp quang", "%", None, 90, 74)], period="Quý II/2025"
    )

    with caplog.at_level(logging.INFO):
        run = _dag().test()

    assert "success" in str(run.state)
    published = "select file_name, load_id from raw.load_audit where status = 'published' and source = %s"
    loads = dict(conn.execute(published, ("agency_reports",)).fetchall())
    assert sorted(p.name for p in (reports / "archive").iterdir()) == sorted(f"{i}_{f}" for f, i in loads.items())
    assert not [p for p in reports.iterdir() if p.is_file()]
    assert conn.execute(
        "select period_start::text, value from intermediate.int_agency_report_values_current order by 1"
    ).fetchall() == [("2025-04-01", Decimal("74")), ("2025-07-01", Decimal("76.6"))]
    assert conn.execute("select indicator_text from marts.agency_report_rows_awaiting_review").fetchall() == [
        ("Tỷ lệ hộ gia đình dùng wifi",)
    ]
    # task logs reach the standard logging or, once Airflow has set up structlog in this process, stdout
    logged = caplog.text + capsys.readouterr().out
    assert "1 report row(s) await review in marts.agency_report_rows_awaiting_review" in logged
    assert "'Tỷ lệ hộ gia đình dùng wifi' (indicator_not_in_catalog)" in logged
    assert conn.execute(
        f"select thang, ma_don_vi, so_chung_thu_so_cap_moi, source_file from staging.stg_{CERTIFICATES}__rows"
        " order by source_row"
    ).fetchall() == [
        ("01/2025", "000.00.01.H04", 12, "cks_2025_02.csv"),
        ("01/2025", "000.00.02.H04", 0, "cks_2025_02.csv"),
        ("02/2025", "000.00.01.H04", 1200, "cks_2025_02.csv"),
    ]
    ((cks_load,),) = conn.execute("select load_id from raw.load_audit where source = %s", (CERTIFICATES,))
    assert [p.name for p in (landing / CERTIFICATES / "archive").iterdir()] == [f"{cks_load}_cks_2025_02.csv"]
