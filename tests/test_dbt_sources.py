"""The dbt project's one `raw` source (models/staging/_raw__sources.yml) against the source YAMLs
(src/cds_warehouse/sources/*.yml): each source's raw table is declared, and its freshness mirrors the
source's `freshness:` key (the agreed default where a YAML has none yet). No database."""

from __future__ import annotations

import yaml
from conftest import ROOT

from cds_warehouse.settings import DBT_PROJECT_DIR
from cds_warehouse.sources import load_source

SOURCES = ROOT / "src" / "cds_warehouse" / "sources"
DEFAULT_FRESHNESS = {
    "loaded_at_field": "loaded_at",
    "warn_after": {"count": 2, "period": "day"},
    "error_after": {"count": 7, "period": "day"},
}


def source_files() -> dict[str, list]:
    """The dbt YAML files that declare sources, by path: _raw__sources.yml, and one per source that
    `cds add-source` added (its table in the same `raw` source)."""
    found = {}
    for path in sorted((DBT_PROJECT_DIR / "models").rglob("*.yml")):
        declared = yaml.safe_load(path.read_text("utf-8")) or {}
        if "sources" in declared:
            found[path.relative_to(DBT_PROJECT_DIR).as_posix()] = declared["sources"]
    return found


def raw_tables() -> dict[str, dict]:
    tables = {}
    for path, declared in source_files().items():
        for source in declared:
            assert source["name"] == "raw" and source["schema"] == "raw", path  # one source, named raw
            for table in source["tables"]:
                assert table["name"] not in tables, f"{path}: raw.{table['name']} declared twice"
                tables[table["name"]] = table.get("config", {})
    return tables


def test_every_raw_table_is_declared_once_in_the_one_raw_source():
    assert "models/staging/_raw__sources.yml" in source_files()
    assert {"load_audit", "portal_dossier", "agency_report_row", "published_766"} <= set(raw_tables())


def test_each_source_s_raw_table_carries_the_freshness_of_its_yaml():
    tables = raw_tables()
    sources = {path.stem: yaml.safe_load(path.read_text("utf-8")) for path in SOURCES.glob("*.yml")}
    assert {"portal_dossiers", "agency_reports", "published_766"} <= set(sources)
    for name, spec in sources.items():
        table = load_source(name).raw_table.removeprefix("raw.")
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
