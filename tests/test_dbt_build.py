"""The dbt builds the DAGs run: the portal models' other inputs are built once per version of the project;
source freshness warns about stale sources and fails only when it cannot measure one."""

from __future__ import annotations

import shutil

import pytest

from cds_warehouse.dbt_build import (
    build_portal_inputs,
    check_source_freshness,
    dbt_tests_left_without_a_task,
    project_digest,
)
from cds_warehouse.settings import DBT_PROJECT_DIR


@pytest.fixture
def project_copy(tmp_path):
    def build_output(folder, names):  # target*/logs* of the project root, not models/.../targets
        return [n for n in names if folder == str(DBT_PROJECT_DIR) and n.startswith(("target", "logs"))]

    copy = tmp_path / "dbt_project"
    shutil.copytree(DBT_PROJECT_DIR, copy, ignore=build_output)
    return copy


def test_the_digest_follows_the_project_files_and_ignores_build_output(project_copy):
    before = project_digest(project_copy)
    (project_copy / "target_warehouse").mkdir()
    (project_copy / "target_warehouse" / "run_results.json").write_text("{}")
    (project_copy / "logs" / "dbt.log").parent.mkdir(exist_ok=True)
    (project_copy / "logs" / "dbt.log").write_text("a run")
    assert project_digest(project_copy) == before

    seed = project_copy / "seeds" / "thresholds_766.csv"
    seed.write_text(seed.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert project_digest(project_copy) != before


@pytest.mark.slow
def test_portal_inputs_are_built_on_the_first_run_and_after_a_change_only(conn, project_copy, monkeypatch):
    assert build_portal_inputs() is True
    assert conn.execute("select count(*) from reference.targets").fetchone()[0] > 0
    assert conn.execute("select to_regclass('marts.dim_admin_unit')").fetchone()[0] is not None
    assert conn.execute("select count(*) from marts.dim_code_label").fetchone()[0] > 0  # read by BI only
    assert conn.execute("select to_regclass('marts.fct_dossier')").fetchone()[0] is None  # not an input

    assert build_portal_inputs() is False  # same project: nothing to build

    # a seed rebuilt by hand drops the views on it with CASCADE: the next night notices and rebuilds
    conn.execute("drop view staging.stg_documents__observations")
    assert build_portal_inputs() is True
    assert conn.execute("select to_regclass('staging.stg_documents__observations')").fetchone()[0] is not None
    assert build_portal_inputs() is False

    (project_copy / "macros" / "a_new_macro.sql").write_text("{% macro a_new_macro() %}1{% endmacro %}\n")
    monkeypatch.setenv("CDS_DBT_PROJECT_DIR", str(project_copy))
    assert build_portal_inputs() is True
    assert build_portal_inputs() is False


def test_source_freshness_names_stale_sources_and_fails_only_when_it_cannot_measure(conn, project_copy, monkeypatch):
    def published(source, days_ago):
        conn.execute(
            "insert into raw.load_audit (source, file_name, file_sha256, started_at, status)"
            " values (%s, 'f.csv', md5(random()::text), now() - %s * interval '1 day', 'published')",
            (source, days_ago),
        )

    published("portal_api", 3)  # the portal's only batch came through the API: warn after 2 days
    published("agency_reports", 10)
    published("agency_reports", 0.1)  # the newest batch is fresh: not stale
    published("published_766", 30)  # error after 7 days, and still a warning, not a failure
    published("published_766", 0.5)
    conn.execute(
        "update raw.load_audit set status = 'quarantined' where source = 'published_766'"
        " and started_at > now() - interval '1 day'"
    )
    stale = dict(line.split(": ", 1) for line in check_source_freshness())
    assert sorted(stale) == ["raw.portal_dossier", "raw.published_766"]
    assert stale["raw.portal_dossier"].startswith("newest published 3.0 days ago (warn after 2 days")
    # the quarantined batch of half a day ago does not count: the newest published one is 30 days old
    assert stale["raw.published_766"].startswith("newest published 30.0 days ago (error after 7 days")

    # a source dbt cannot measure (its query fails) fails the task
    sources = project_copy / "models" / "staging" / "_raw__sources.yml"
    sources.write_text(sources.read_text(encoding="utf-8").replace("max(started_at)", "max(no_such_column)", 1))
    monkeypatch.setenv("CDS_DBT_PROJECT_DIR", str(project_copy))
    with pytest.raises(RuntimeError, match="could not measure the freshness of source.cds_warehouse.raw.portal"):
        check_source_freshness()


def _manifest(models: dict[str, list[str]], tests: dict[str, list[str]]) -> dict:
    node = lambda kind, parents: {"resource_type": kind, "depends_on": {"nodes": parents}}  # noqa: E731
    return {
        "nodes": {
            **{f"model.p.{name}": node("model", [f"model.p.{p}" for p in ps]) for name, ps in models.items()},
            **{f"test.p.{name}": node("test", [f"model.p.{p}" for p in ps]) for name, ps in tests.items()},
        },
        "sources": {},
    }


def test_a_test_of_two_models_needs_one_of_them_downstream_of_the_other():
    # a -> b -> c, and d beside them
    manifest = _manifest(
        {"a": [], "b": ["a"], "c": ["b"], "d": []},
        {"not_null_b": ["b"], "c_matches_a": ["c", "a"], "a_matches_d": ["a", "d"], "seed_only": ["a"]},
    )
    rendered = {"model.p.b", "model.p.c", "model.p.d"}  # a is built elsewhere (the portal's inputs)
    # c's build runs c_matches_a (a is c's ancestor); no build of a or d runs a test comparing them
    assert dbt_tests_left_without_a_task(manifest, rendered) == ["test.p.a_matches_d"]
    # a test on models outside the rendered ones is not the DAG's to run
    assert dbt_tests_left_without_a_task(manifest, {"model.p.b"}) == []
