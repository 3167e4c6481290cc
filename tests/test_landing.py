"""What a source's YAML says about its files, its gate and its freshness, and the one landing routine that
acts on it for every file source: patterns, loader by format.kind, after_load, the checkpoint by name.
Also the package's rooms: the batch life cycle is the only code on raw.load_audit, and no import cycle."""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

import pytest
import yaml

from cds_warehouse import sources
from cds_warehouse.landing import land, waiting_files
from cds_warehouse.sources import file_sources, load_source

PACKAGE = Path(sources.__file__).resolve().parents[1]
PUBLISHED_CSV = (
    "province_code,period,indicator_code,admin_level,value,numerator,denominator,retrieved_at,source_url\n"
    "40,2025-09,online_dossier_rate,,66.9,,,05/10/2025 08:00,https://dichvucong.gov.vn\n"
)


@pytest.fixture
def source_folder(tmp_path, monkeypatch):
    """The real source YAMLs in a folder of the test's own, to which a test adds or changes one."""
    folder = tmp_path / "sources"
    shutil.copytree(sources.SOURCES_DIR, folder, ignore=shutil.ignore_patterns("*.py", "__pycache__"))
    monkeypatch.setattr(sources, "SOURCES_DIR", folder)
    load_source.cache_clear()
    yield folder
    load_source.cache_clear()


def write_source(folder: Path, name: str, **keys) -> None:
    (folder / f"{name}.yml").write_text(yaml.safe_dump({"name": name, **keys}, allow_unicode=True), "utf-8")


def test_every_source_names_its_checkpoint_and_freshness_and_a_file_source_its_landing():
    for name in ("portal_dossiers", "portal_api", "agency_reports", "published_766"):
        spec = load_source(name)
        assert (PACKAGE.parents[1] / "expectations" / "checkpoints" / f"{spec.checkpoint}.yml").is_file()
        assert spec.freshness.loaded_at_field == "loaded_at"
        assert (spec.freshness.warn_after, spec.freshness.error_after) == ((2, "day"), (7, "day"))
    assert file_sources() == ["agency_reports", "portal_dossiers", "published_766"]
    assert load_source("portal_dossiers").landing.patterns == ("*.csv", "*.xlsx", "*.jsonl", "*.ndjson")
    assert load_source("agency_reports").kind == "report_workbook"
    api, export = load_source("portal_api"), load_source("portal_dossiers")
    assert api.landing is None and api.kind == "api"
    assert (api.raw_table, api.columns) == (export.raw_table, export.columns)  # the export's contract


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ({"landing": {"patterns": ["*.csv"], "after_load": "delete"}}, "after_load must be one of"),
        ({"landing": {"patterns": []}}, "at least one pattern"),
        ({"landing": {"folder": "../elsewhere", "patterns": ["*.csv"]}}, "a folder name under"),
        ({"checkpoint": "no_such_checkpoint"}, "no expectations/checkpoints/no_such_checkpoint.yml"),
        (
            {"freshness": {"loaded_at_field": "loaded_at", "warn_after": {"count": 2, "period": "week"}}},
            "freshness.warn_after must be",
        ),
        (
            {
                "freshness": {
                    "loaded_at_field": "loaded_at",
                    "warn_after": {"count": 3, "period": "day"},
                    "error_after": {"count": 1, "period": "day"},
                }
            },
            "warn_after is longer than error_after",
        ),
        ({"format": {"kind": "parquet"}}, "format.kind must be one of"),
        ({"format": {"kind": "api"}}, "an api source none"),
    ],
)
def test_a_source_yaml_that_says_something_impossible_is_refused_with_the_key(source_folder, keys, message):
    spec = yaml.safe_load((source_folder / "published_766.yml").read_text(encoding="utf-8"))
    spec.pop("name")
    for key, value in keys.items():
        spec[key] = {**spec[key], **value} if key == "format" else value
    write_source(source_folder, "published_766_variant", **spec)
    with pytest.raises(ValueError, match=re.escape(message)):
        load_source("published_766_variant")


def test_the_landing_patterns_say_which_waiting_files_are_the_sources(source_folder, tmp_path, monkeypatch):
    monkeypatch.setenv("CDS_LANDING_DIR", str(tmp_path / "landing"))
    folder = tmp_path / "landing" / "monthly_counts"
    folder.mkdir(parents=True)
    for name in ("a.CSV", "b.csv", "c.txt", "counts_2025.tsv", ".hidden.csv", "~$open.csv"):
        (folder / name).write_text("x", encoding="utf-8")
    write_source(
        source_folder,
        "monthly_counts",
        format={"kind": "csv", "timestamp_formats": ["%d/%m/%Y"]},
        contract="published_766",
        landing={"folder": "monthly_counts", "patterns": ["*.csv", "counts_*.tsv"]},
    )
    files, refused = waiting_files("monthly_counts")
    assert [p.name for p in files] == ["a.CSV", "b.csv", "counts_2025.tsv"] and refused == []


def test_a_kept_file_is_loaded_gated_by_its_yamls_checkpoint_and_left_where_it_is(
    conn, source_folder, tmp_path, monkeypatch
):
    """after_load: keep leaves a loaded file in its folder; the next run recognises its content and makes no
    second batch. The batch is gated by the checkpoint the YAML names, through the CSV loader (format.kind)."""
    monkeypatch.setenv("CDS_LANDING_DIR", str(tmp_path / "landing"))
    folder = tmp_path / "landing" / "kept_766"
    folder.mkdir(parents=True)
    (folder / "cong_dvc.csv").write_text(PUBLISHED_CSV, encoding="utf-8")
    write_source(
        source_folder,
        "published_766_kept",
        format={"kind": "csv"},
        contract="published_766",
        landing={"folder": "kept_766", "patterns": ["*.csv"], "after_load": "keep"},
        checkpoint="raw_agency_report_published_batch",
    )

    first = land("published_766_kept")
    (load_id,) = [e["load_id"] for e in first["published"]]
    assert first == {
        "published": [{"source": "published_766_kept", "load_id": load_id, "file": "cong_dvc.csv"}],
        "quarantined": [],
        "failed": [],
    }
    assert sorted(p.name for p in folder.iterdir()) == ["cong_dvc.csv"]  # kept: no archive/
    assert conn.execute("select count(*) from raw.published_766 where load_id = %s", (load_id,)).fetchone() == (1,)

    assert land("published_766_kept") == {"published": [], "quarantined": [], "failed": []}
    audit = conn.execute("select source, status from raw.load_audit").fetchall()
    assert audit == [("published_766_kept", "published")]


def test_a_source_without_a_checkpoint_cannot_be_gated(conn, source_folder, tmp_path, monkeypatch):
    monkeypatch.setenv("CDS_LANDING_DIR", str(tmp_path / "landing"))
    folder = tmp_path / "landing" / "ungated_766"
    folder.mkdir(parents=True)
    (folder / "cong_dvc.csv").write_text(PUBLISHED_CSV, encoding="utf-8")
    write_source(
        source_folder,
        "published_766_ungated",
        format={"kind": "csv"},
        contract="published_766",
        landing={"folder": "ungated_766", "patterns": ["*.csv"]},
    )
    with pytest.raises(ValueError, match="names no checkpoint"):
        land("published_766_ungated")
    assert conn.execute("select status from raw.load_audit").fetchall() == [("loaded",)]  # awaits a gate


def _sql_run_on_the_audit(path: Path) -> bool:
    """Whether the module runs a statement (execute, copy) whose text names raw.load_audit."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        runs = isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args
        if runs and node.func.attr in ("execute", "executemany", "copy"):
            texts = [n.value for n in ast.walk(node.args[0]) if isinstance(n, ast.Constant)]
            if any(isinstance(t, str) and "raw.load_audit" in t for t in texts):
                return True
    return False


def test_only_the_batch_life_cycle_runs_sql_on_the_load_audit():
    assert _sql_run_on_the_audit(PACKAGE / "batches.py")  # the test finds what it looks for
    running = sorted(
        str(path.relative_to(PACKAGE))
        for path in PACKAGE.rglob("*.py")
        if path.name != "batches.py" and _sql_run_on_the_audit(path)
    )
    assert running == []


def _module_imports(path: Path) -> set[str]:
    """The cds_warehouse modules a module imports when it is imported (top-level statements only)."""
    names = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("cds_warehouse"):
            names.add(node.module)
            names.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names if a.name.startswith("cds_warehouse"))
    return names


def test_the_package_imports_without_a_cycle():
    modules = {}
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        modules[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    graph = {name: {m for m in _module_imports(path) if m in modules and m != name} for name, path in modules.items()}
    visiting, done = [], set()

    def visit(name: str) -> None:
        if name in done:
            return
        assert name not in visiting, "import cycle: " + " -> ".join([*visiting[visiting.index(name) :], name])
        visiting.append(name)
        for imported in graph[name]:
            visit(imported)
        visiting.pop()
        done.add(name)

    for name in graph:
        visit(name)
