"""The reference seeds: indicator catalog, targets, document observations and administrative units.

Most checks read the CSVs only (no database). Every source_quote must be an exact substring of its source
document in the domain reference's seeds folder (ROOT.parent / "shared" / "seeds"); those checks are
skipped when that folder is not beside the repository. One test builds the seeds and the reference models
with dbt on a fresh database and resolves codes across the 2025 merger.
"""

from __future__ import annotations

import csv
import re
import subprocess
import sys
import unicodedata
from collections import Counter
from functools import cache
from pathlib import Path

import psycopg
import pytest
import yaml
from conftest import run_dbt

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "dbt_project" / "seeds"
SOURCES = ROOT.parent / "shared" / "seeds"

COMPUTED = [
    "online_dossier_rate",
    "on_time_rate",
    "online_payment_rate",
    "dossier_digitization_rate",
    "result_digitization_rate",
    "satisfaction_rate",
]
LEVELS = {"province", "district", "commune", "all"}
COMPARATORS = {">=", ">", "<=", "<", "=", "≈"}
PILLARS = {"chinh_quyen_so", "kinh_te_so", "xa_hoi_so", "ha_tang", "an_toan_thong_tin"}
UNITS = {"percent", "count", "points", "rank"}
DIRECTIONS = {"higher_is_better", "lower_is_better"}
OBTAINED_BY = {"computed_from_dossiers", "reported_by_agencies", "published", "document"}
PROVINCE_CODE = re.compile(r"^([0-9]{2}|VN)$")
MERGER = "2025-07-01"
LAST_DAY_BEFORE = "2025-06-30"
MY_SEEDS = ["indicators", "targets", "document_observations", "admin_units", "admin_unit_successions"]


@cache
def rows(seed: str) -> tuple[dict[str, str], ...]:
    with (SEEDS / f"{seed}.csv").open(encoding="utf-8", newline="") as fh:
        return tuple(csv.DictReader(fh))


@cache
def source_text(name: str) -> str:
    return (SOURCES / name).read_text(encoding="utf-8")


def catalog() -> dict[str, dict[str, str]]:
    return {r["indicator_code"]: r for r in rows("indicators")}


needs_sources = pytest.mark.skipif(
    not SOURCES.is_dir(), reason=f"source documents not found at {SOURCES} (the domain reference's seeds folder)"
)


# --- quotes ---------------------------------------------------------------------------------------------


def _quoted_rows():
    for seed, key in (("targets", "target_id"), ("document_observations", "observation_id")):
        for row in rows(seed):
            yield pytest.param(row, id=f"{seed}:{row[key]}")


@needs_sources
@pytest.mark.parametrize("row", list(_quoted_rows()))
def test_source_quote_is_an_exact_substring_of_its_file(row):
    assert (SOURCES / row["source_file"]).is_file(), row["source_file"]
    quote = row["source_quote"]
    assert quote and quote == quote.strip()
    assert unicodedata.is_normalized("NFC", quote)
    assert quote in source_text(row["source_file"])


@needs_sources
def test_every_seed_document_is_cited():
    cited = {r["source_file"] for r in rows("targets")} | {r["source_file"] for r in rows("document_observations")}
    assert cited == {p.name for p in SOURCES.glob("*.txt")}


# --- indicator catalog ----------------------------------------------------------------------------------


def test_catalog_has_the_computed_indicators_and_their_766_points():
    indicators = catalog()
    assert len(indicators) == len(rows("indicators")), "duplicate indicator_code"
    for code in COMPUTED:
        assert indicators[code]["obtained_by"] == "computed_from_dossiers"
        assert indicators[code]["unit"] == "percent"
        points = indicators[f"{code}_points_766"]
        assert (points["unit"], points["obtained_by"]) == ("points", "computed_from_dossiers")


def test_catalog_values_are_in_their_accepted_sets():
    for r in rows("indicators"):
        assert re.fullmatch(r"[a-z0-9_]+", r["indicator_code"]), r["indicator_code"]
        assert r["pillar"] in PILLARS
        assert r["obtained_by"] in OBTAINED_BY
        assert r["is_quantified"] in ("true", "false")
        assert r["name_vi"] and r["name_en"] and r["description"]
        assert unicodedata.is_normalized("NFC", r["name_vi"])
        float(r["weight"])
        if r["is_quantified"] == "true":
            assert r["unit"] in UNITS and r["direction"] in DIRECTIONS, r["indicator_code"]
            assert float(r["weight"]) > 0
        else:  # a qualitative goal: no number, nothing to score, and its source named
            assert (r["unit"], r["direction"], r["weight"]) == ("", "", "0"), r["indicator_code"]
            assert re.search(r"\d{3}_[0-9a-f]{16}\.txt", r["description"]), r["indicator_code"]
    assert any(r["is_quantified"] == "false" and "4G" in r["name_vi"] for r in rows("indicators"))


def test_catalog_indicators_named_in_the_brief_are_there():
    indicators = catalog()
    for code in (
        "household_fibre_rate",
        "smartphone_ownership_rate",
        "digital_economy_grdp_share",
        "work_records_online_rate",
        "adult_payment_account_rate",
        "full_process_online_service_rate",
    ):
        assert indicators[code]["is_quantified"] == "true", code


# --- targets and observations ---------------------------------------------------------------------------


def test_targets_are_well_formed():
    indicators = catalog()
    ids = [r["target_id"] for r in rows("targets")]
    assert len(ids) == len(set(ids))
    for r in rows("targets"):
        assert r["target_id"] == f"{r['province_code']}-{r['indicator_code']}-{r['admin_level']}-{r['deadline_year']}"
        assert PROVINCE_CODE.match(r["province_code"]), r["province_code"]
        assert r["indicator_code"] in indicators
        assert indicators[r["indicator_code"]]["is_quantified"] == "true"
        assert r["admin_level"] in LEVELS
        assert r["comparator"] in COMPARATORS
        assert r["unit"] == indicators[r["indicator_code"]]["unit"], r["target_id"]
        assert r["target_year_kind"] in ("by_deadline", "every_year")
        assert 2023 <= int(r["deadline_year"]) <= 2030
        float(r["target_value"])
        if r["unit"] == "percent":
            assert 0 <= float(r["target_value"]) <= 100


def test_targets_cover_the_five_documents_and_keep_the_original_rows():
    per_file = Counter(r["source_file"] for r in rows("targets"))
    assert len(rows("targets")) >= 60 and len(per_file) == 5
    by_id = {r["target_id"]: r for r in rows("targets")}
    for target_id, value in {
        "27-online_dossier_rate-province-2025": "95",
        "27-online_dossier_rate-district-2025": "90",
        "27-online_dossier_rate-commune-2025": "85",
        "40-online_dossier_rate-all-2025": "50",
    }.items():
        assert (by_id[target_id]["comparator"], by_id[target_id]["target_value"]) == (">=", value)


def test_document_observations_are_well_formed():
    indicators = catalog()
    ids = [r["observation_id"] for r in rows("document_observations")]
    assert len(ids) == len(set(ids))
    for r in rows("document_observations"):
        assert PROVINCE_CODE.match(r["province_code"]), r["province_code"]
        assert r["indicator_code"] in indicators
        assert r["admin_level"] in LEVELS
        assert r["period_type"] in ("as_of", "year", "year_to_date")
        assert r["period_start"] <= r["period_end"]
        assert r["unit"] == indicators[r["indicator_code"]]["unit"], r["observation_id"]
        float(r["value"])
    stated = {
        (r["province_code"], r["indicator_code"], r["period_end"]): r["value"] for r in rows("document_observations")
    }
    assert stated[("06", "household_fibre_rate", "2023-07-27")] == "76.6"
    assert stated[("VN", "online_dossier_rate", "2024-07-19")] == "43"
    assert stated[("VN", "digital_economy_grdp_share", "2024-06-30")] == "18.5"


def test_seed_columns_are_all_typed_in_yml():
    typed: dict[str, dict[str, str]] = {}
    for path in SEEDS.glob("*.yml"):
        for seed in yaml.safe_load(path.read_text(encoding="utf-8")).get("seeds", []):
            typed[seed["name"]] = seed.get("config", {}).get("column_types", {})
    for seed in MY_SEEDS:
        header = list(rows(seed)[0])
        assert set(header) == set(typed[seed]), seed
        codes = [c for c in header if c.endswith("_code") or c.endswith("_key") or c.endswith("_id")]
        assert all(typed[seed][c] == "text" for c in codes), seed


# --- administrative units -------------------------------------------------------------------------------


def test_63_provinces_before_the_merger_and_34_after():
    provinces = [u for u in rows("admin_units") if u["level"] == "province"]
    before = [u for u in provinces if u["valid_to"] == LAST_DAY_BEFORE]
    after = [u for u in provinces if u["valid_from"] == MERGER and u["valid_to"] == ""]
    assert (len(before), len(after), len(provinces)) == (63, 34, 97)
    assert all(re.fullmatch(r"[0-9]{2}", u["unit_code"]) for u in provinces)
    assert len({u["unit_key"] for u in rows("admin_units")}) == len(rows("admin_units"))


def test_every_pre_merger_province_has_exactly_one_post_merger_successor():
    units = {u["unit_key"]: u for u in rows("admin_units")}
    successors = Counter(s["predecessor_unit_key"] for s in rows("admin_unit_successions"))
    old = [k for k, u in units.items() if u["level"] == "province" and u["valid_to"] == LAST_DAY_BEFORE]
    assert sorted(successors) == sorted(old) and set(successors.values()) == {1}
    for s in rows("admin_unit_successions"):
        new = units[s["successor_unit_key"]]
        assert (new["level"], new["valid_from"], new["valid_to"]) == ("province", MERGER, "")
        assert s["effective_date"] == MERGER
    named = {
        (units[s["predecessor_unit_key"]]["unit_code"], units[s["successor_unit_key"]]["unit_code"])
        for s in rows("admin_unit_successions")
    }
    assert {("27", "24"), ("24", "24"), ("06", "19"), ("19", "19"), ("40", "40")} <= named
    assert len({s["successor_unit_key"] for s in rows("admin_unit_successions")}) == 34


def test_districts_of_the_seed_provinces_end_with_the_district_level():
    units = {u["unit_key"]: u for u in rows("admin_units")}
    districts = [u for u in units.values() if u["level"] == "district"]
    parents = Counter(units[d["parent_unit_key"]]["unit_code"] for d in districts)
    assert parents == {"27": 8, "06": 8, "40": 20}
    assert all(d["valid_to"] == LAST_DAY_BEFORE and re.fullmatch(r"[0-9]{3}", d["unit_code"]) for d in districts)


def test_a_code_and_a_date_resolve_to_at_most_one_unit():
    by_code: dict[tuple[str, str], list[dict[str, str]]] = {}
    for u in rows("admin_units"):
        by_code.setdefault((u["level"], u["unit_code"]), []).append(u)
    for units in by_code.values():
        spans = sorted((u["valid_from"], u["valid_to"] or "9999-12-31") for u in units)
        for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
            assert end < start, units


def test_derived_admin_units_are_up_to_date():
    pytest.importorskip("vietnamadminunits", reason="the derivation package is not installed (not a dependency)")
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "derive_admin_units.py"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr


# --- dbt on a fresh database ----------------------------------------------------------------------------


def test_dbt_builds_the_seeds_and_resolves_codes_across_the_merger(dsn, tmp_path):
    run_dbt(tmp_path, "seed", "--select", *MY_SEEDS, "code_labels")
    run_dbt(tmp_path, "build", "--select", "staging.documents", "marts.reference", "--indirect-selection", "cautious")
    # the seeds' own tests, without tests that also need models outside this selection
    run_dbt(tmp_path, "test", "--select", *MY_SEEDS, "--indirect-selection", "cautious")

    resolve = (
        "select name_vi from marts.dim_admin_unit where unit_code = %s and level = 'province'"
        " and valid_from <= %s::date and (valid_to is null or %s::date <= valid_to)"
    )
    with psycopg.connect(dsn) as conn:
        assert conn.execute(resolve, ("24", "2025-01-01", "2025-01-01")).fetchall() == [("Tỉnh Bắc Giang",)]
        assert conn.execute(resolve, ("24", "2025-08-01", "2025-08-01")).fetchall() == [("Tỉnh Bắc Ninh",)]
        assert conn.execute(resolve, ("27", "2025-08-01", "2025-08-01")).fetchall() == []
        assert conn.execute(resolve, ("06", "2024-12-31", "2024-12-31")).fetchall() == [("Tỉnh Bắc Kạn",)]
        successor = (
            "select successor_unit_code, successor_name_vi, is_merger from marts.bridge_admin_unit_succession"
            " where predecessor_unit_code = %s and predecessor_valid_to is not null"
        )
        assert conn.execute(successor, ("27",)).fetchall() == [("24", "Tỉnh Bắc Ninh", True)]
        assert conn.execute(successor, ("06",)).fetchall() == [("19", "Tỉnh Thái Nguyên", True)]
        assert conn.execute(successor, ("40",)).fetchall() == [("40", "Tỉnh Nghệ An", False)]
        observations = conn.execute(
            "select count(*), count(distinct source_kind), min(method), max(unit_code)"
            " from staging.stg_documents__observations"
        ).fetchone()
        assert observations == (len(rows("document_observations")), 1, "stated", "*")
        assert conn.execute("select count(*) from reference.targets").fetchone()[0] == len(rows("targets"))
        assert conn.execute("select count(*) from marts.dim_indicator").fetchone()[0] == len(rows("indicators"))
