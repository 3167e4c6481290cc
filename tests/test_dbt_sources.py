"""The dbt project's one `raw` source (models/staging/_raw__sources.yml) against the source YAMLs
(src/cds_warehouse/sources/*.yml): each source's raw table is declared, and its freshness mirrors the
source's `freshness:` key (the agreed default where a YAML has none yet). No database."""

from __future__ import annotations

import yaml
from conftest import ROOT

from cds_warehouse.settings import DBT_PROJECT_DIR

SOURCES = ROOT / "src" / "cds_warehouse" / "sources"
DEFAULT_FRESHNESS = {
    "loaded_at_field": "loaded_at",
    "warn_after": {"count": 2, "period": "day"},
    "error_after": {"count": 7, "period": "day"},
}


def raw_tables() -> dict[str, dict]:
    declared = yaml.safe_load((DBT_PROJECT_DIR / "models" / "staging" / "_raw__sources.yml").read_text("utf-8"))
    [raw] = declared["sources"]  # one source, named raw
    assert raw["name"] == "raw" and raw["schema"] == "raw"
    return {table["name"]: table.get("config", {}) for table in raw["tables"]}


def test_every_raw_table_is_declared_once_in_the_one_raw_source():
    declaring = [
        path.relative_to(DBT_PROJECT_DIR).as_posix()
        for path in (DBT_PROJECT_DIR / "models").rglob("*.yml")
        if "sources" in (yaml.safe_load(path.read_text("utf-8")) or {})
    ]
    assert declaring == ["models/staging/_raw__sources.yml"]
    tables = list(raw_tables())
    assert len(tables) == len(set(tables))


def test_each_source_s_raw_table_carries_the_freshness_of_its_yaml():
    tables = raw_tables()
    sources = {path.stem: yaml.safe_load(path.read_text("utf-8")) for path in SOURCES.glob("*.yml")}
    assert {"portal_dossiers", "agency_reports", "published_766"} <= set(sources)
    for name, spec in sources.items():
        table = spec["raw_table"].removeprefix("raw.")
        config = tables[table]  # KeyError: the source's raw table is not declared
        assert name in config["meta"]["cds_sources"], (name, table)
        expected = spec.get("freshness", DEFAULT_FRESHNESS)
        assert config["freshness"] == {k: expected[k] for k in ("warn_after", "error_after")}, name
        # dbt measures the load time (`loaded_at`) of the newest published batch of exactly these sources
        assert expected["loaded_at_field"] == "loaded_at"
        query = " ".join(config["loaded_at_query"].split())
        listed = ", ".join(f"'{s}'" for s in config["meta"]["cds_sources"])
        assert query == (
            f"select max(started_at) from raw.load_audit where source in ({listed}) and status = 'published'"
        ), table
    # the API lands in the portal's raw table: one freshness for both (a missing API alone warns nothing)
    assert tables["portal_dossier"]["meta"]["cds_sources"] == ["portal_dossiers", "portal_api"]
