"""Dossier indicators computed by dbt: a hand-computed fixture, and incremental runs against a full rebuild.

The fixture (tests/fixtures/indicators, see its README) is two portal exports: ``dossiers.csv``, the
state on 20 March 2024, and ``changes.csv``, one day of changes. Both go through the real loader and
the real quality gate, then ``dbt build``; ``marts.fct_indicator_observation`` must equal
``expected.csv`` (computed by hand) row for row, whether the two exports are built at once, one after
the other incrementally, or rebuilt with ``--full-refresh``; and the same exports in the national portal's
dialect (CSV and JSON lines) must give the same dossiers and indicators.
"""

from __future__ import annotations

import csv
import datetime as dt
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from conftest import run_dbt
from marts_checks import assert_district_rates_answer
from national_dialect import write_national_csv, write_national_json_lines

from cds_warehouse.batches import gate_batches
from cds_warehouse.load import load_file

FIXTURES = Path(__file__).parent / "fixtures" / "indicators"
KEY = ("indicator_code", "province_code", "unit_code", "admin_level", "period_start", "method")
# Schemas dbt writes (models, seeds, the target schema): dropped so every test starts with no model state.
DBT_SCHEMAS = ("staging", "intermediate", "marts", "reference", "analytics")
# The dossier indicators end to end: every model they need and every model downstream of them (the
# attainment mart included), the seeds (reference data their tests compare with), and the tests of these
# (buildable: a test whose other parent is a model of another source is left to that source's tests).
SELECTED = (
    "+fct_indicator_observation+",
    "+int_portal_loads_processed",
    "+mart_target_attainment",
    "resource_type:seed",
)
OBSERVATION_COLUMNS = [
    ("observation_key", "text"),
    ("indicator_code", "text"),
    ("province_code", "text"),
    ("unit_code", "text"),
    ("admin_level", "text"),
    ("period_type", "text"),
    ("period_start", "date"),
    ("period_end", "date"),
    ("numerator", "numeric"),
    ("denominator", "numeric"),
    ("value", "numeric"),
    ("unit", "text"),
    ("source_kind", "text"),
    ("source", "text"),
    ("method", "text"),
    ("load_id", "bigint"),
    ("source_file", "text"),
]

# One statement per kind of rule the tables enforce: not null, check, multi-column check, key, unique index.
BROKEN_CONTRACTS = [
    "update marts.fct_dossier set admin_level_code = 'ward'",
    "update marts.fct_dossier set dossier_key = null",
    "insert into marts.fct_dossier select * from marts.fct_dossier limit 1",
    "update intermediate.int_dossiers_aggregated_to_unit_month set online_dossiers = dossiers_received + 1",
    "update marts.fct_indicator_observation set value = 100.01 where unit = 'percent'",
    "insert into marts.fct_indicator_observation select * from marts.fct_indicator_observation limit 1",
    "update marts.fct_online_dossier_rate_monthly set grain = 'district'",
    "update marts.mart_indicator_timeseries set method = 'guessed'",
    "update marts.mart_target_attainment set status = 'unknown'",
]

pytestmark = pytest.mark.slow  # several dbt builds and quality gates: about a minute and a half


@pytest.fixture
def warehouse(conn):
    """Empty raw tables (conftest) and no dbt relations left from an earlier test: incremental models
    remember which loads they processed, and load ids restart at 1."""
    conn.execute(f"drop schema if exists {', '.join(DBT_SCHEMAS)} cascade")
    return conn


@pytest.fixture(scope="module")
def dbt_dirs(tmp_path_factory) -> Path:
    """One target and log directory for the module, so later builds reuse dbt's partial parse."""
    return tmp_path_factory.mktemp("dbt_indicators")


def dbt_build(work: Path, *args: str) -> None:
    """``dbt build`` of the portal chain, the observation table and what reads it (with their tests);
    arguments with their own --select replace that selection."""
    selection = args if "--select" in args else ("--select", *SELECTED, "--indirect-selection", "buildable", *args)
    run_dbt(work, "build", *selection)


def load_and_publish(name: str) -> int:
    """Load one fixture export and pass it through the real quality gate (which publishes it)."""
    result = load_file(FIXTURES / name)
    assert (result.status, result.rows_rejected) == ("loaded", 0)
    gate_batches([result.load_id])
    return result.load_id


def _decimal(text: str) -> Decimal | None:
    return Decimal(text) if text else None


def expected_observations() -> dict[tuple, tuple]:
    with (FIXTURES / "expected.csv").open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    expected = {
        tuple(row[k] for k in KEY): tuple(_decimal(row[k]) for k in ("numerator", "denominator", "value"))
        for row in rows
    }
    assert len(expected) == len(rows), "expected.csv repeats a key"
    return expected


def observations(conn) -> dict[tuple, tuple]:
    """The rows computed from the portal exports (today every row; other sources will be unioned in)."""
    rows = conn.execute(
        "select indicator_code, province_code, unit_code, admin_level, to_char(period_start, 'YYYY-MM-DD'), method,"
        " numerator, denominator, value from marts.fct_indicator_observation"
        " where source_kind = 'computed' and source = 'portal_dossiers'"
    ).fetchall()
    return {tuple(r[:6]): tuple(r[6:]) for r in rows}


def assert_same_observations(actual: dict, expected: dict, what: str) -> None:
    missing = sorted(set(expected) - set(actual))
    extra = sorted(set(actual) - set(expected))
    different = sorted((k, actual[k], expected[k]) for k in set(actual) & set(expected) if actual[k] != expected[k])
    assert not (missing or extra or different), (
        f"{what}:\nmissing {missing[:20]}\nextra {extra[:20]}\n(key, actual, expected) {different[:20]}"
    )


def months_of_observations(obs: dict, months: set[tuple[str, str]], inside: bool) -> dict:
    return {k: v for k, v in obs.items() if ((k[1], k[4]) in months) == inside}


def aggregate_rows(conn) -> dict[tuple, tuple[str, tuple]]:
    """The incremental monthly aggregate, with each row's xmin: a row not rewritten keeps its xmin."""
    rows = conn.execute(
        "select province_code, to_char(period_start, 'YYYY-MM-DD'), unit_code, admin_level, xmin::text,"
        " row_to_json(a)::text from intermediate.int_dossiers_aggregated_to_unit_month as a"
    ).fetchall()
    return {tuple(r[:4]): (r[4], r[5]) for r in rows}


def dossier_rows(conn) -> dict[str, tuple[str, tuple]]:
    rows = conn.execute(
        "select dossier_key, xmin::text, load_id, updated_at, dossier_status, counted_from_month, counted_to_month"
        " from marts.fct_dossier"
    ).fetchall()
    return {r[0]: (r[1], tuple(r[2:])) for r in rows}


def test_indicators_equal_the_hand_computed_fixture(warehouse, dbt_dirs, tmp_path):
    conn = warehouse
    load_and_publish("dossiers.csv")
    load_and_publish("changes.csv")

    dbt_build(dbt_dirs)

    assert_same_observations(observations(conn), expected_observations(), "fct_indicator_observation vs expected.csv")

    # the shape other sources will be unioned into
    columns = conn.execute(
        "select column_name, data_type from information_schema.columns"
        " where table_schema = 'marts' and table_name = 'fct_indicator_observation' order by ordinal_position"
    ).fetchall()
    assert [(name, kind.replace("character varying", "text")) for name, kind in columns] == OBSERVATION_COLUMNS
    odd = conn.execute(
        """
        select observation_key from marts.fct_indicator_observation
        where source = 'portal_dossiers' and (
            period_type != 'month'
            or period_end != (period_start + interval '1 month' - interval '1 day')::date
            or source_kind != 'computed'
            or load_id is not null or source_file is not null
            or unit != case when indicator_code like '%\\_points\\_766' then 'points' else 'percent' end
            or (unit = 'points') != (method = '766_threshold')
            or (unit = 'points') != (numerator is null and denominator is null)
        )
        """
    ).fetchall()
    assert odd == []
    assert conn.execute(
        "select count(*) = count(distinct observation_key) from marts.fct_indicator_observation"
    ).fetchone()[0]

    # the older mart is the plain online rate of the long table, with its own columns
    rates = conn.execute(
        "select grain, province_code, unit_code, admin_level, to_char(period_start, 'YYYY-MM-DD'), numerator,"
        " denominator, value from marts.fct_online_dossier_rate_monthly"
    ).fetchall()
    expected = expected_observations()
    plain_online = {k: v for k, v in expected.items() if k[0] == "online_dossier_rate" and k[5] == "plain"}
    assert {("online_dossier_rate", *r[1:5], "plain"): tuple(r[5:]) for r in rates} == plain_online
    assert all(r[0] == ("province" if r[2] == "*" else "unit") for r in rates)
    # docs/marts.md's query "the online-dossier rate per district, month by month", run as written
    districts = {(k[2], k[4]): v for k, v in plain_online.items() if k[1:4:2] == ("27", "district") and k[2] != "*"}
    assert_district_rates_answer(conn, districts)

    # and the attainment mart still reads it: Bắc Ninh's latest month is March 2024
    attainment = conn.execute(
        "select admin_level, actual_period_start, actual_value from marts.mart_target_attainment"
        " where province_code = '27' and indicator_code = 'online_dossier_rate' order by admin_level"
    ).fetchall()
    march = dt.date(2024, 3, 1)
    assert attainment == [
        ("commune", march, Decimal("100.00")),
        ("district", march, Decimal("50.00")),
        ("province", march, Decimal("100.00")),
    ]

    # the contracts' constraints live in the tables: a row that breaks one is refused by PostgreSQL
    for statement in BROKEN_CONTRACTS:
        with pytest.raises(psycopg.errors.IntegrityError), conn.transaction():
            conn.execute(statement)

    # The same dossiers in the national portal's dialect (tests/national_dialect.py), the first export as CSV
    # and the day of changes as JSON lines, give the same dossiers and indicators (docs/sources/
    # portal_dossiers.md, "Dialects"): built again from them alone.
    todays = dossier_facts(conn)
    conn.execute("truncate raw.portal_dossier, raw.load_reject, raw.load_audit restart identity cascade")
    conn.execute(f"drop schema if exists {', '.join(DBT_SCHEMAS)} cascade")
    for national in (
        write_national_csv(FIXTURES / "dossiers.csv", tmp_path / "dossiers.csv"),
        write_national_json_lines(FIXTURES / "changes.csv", tmp_path / "changes.jsonl"),
    ):
        result = load_file(national)
        assert (result.status, result.rows_rejected) == ("loaded", 0)
        gate_batches([result.load_id])
    dbt_build(dbt_dirs)
    assert len(todays) == 33
    assert dossier_facts(conn) == todays
    assert_same_observations(observations(conn), expected_observations(), "national dialect vs expected.csv")


def test_a_day_of_changes_recomputes_only_the_touched_months(warehouse, dbt_dirs):
    conn = warehouse
    load_and_publish("dossiers.csv")
    dbt_build(dbt_dirs)
    day_one = observations(conn)
    aggregate_one, dossiers_one = aggregate_rows(conn), dossier_rows(conn)

    changes = load_and_publish("changes.csv")
    # a night whose run stopped right after fct_dossier: the load stays pending, the next run completes it
    dbt_build(dbt_dirs, "--select", "+fct_dossier", "--exclude-resource-type", "test")
    processed = "select count(*) from intermediate.int_portal_loads_processed where load_id = %s"
    assert conn.execute(processed, (changes,)).fetchone()[0] == 0
    dbt_build(dbt_dirs)
    assert conn.execute(processed, (changes,)).fetchone()[0] > 0
    day_two = observations(conn)
    aggregate_two, dossiers_two = aggregate_rows(conn), dossier_rows(conn)

    # Bắc Ninh (27): February and March through the changed dossiers, January only through the previous
    # state of dossier 8 (its receipt was moved from January to February); the stale version of January's
    # dossier 1 touches nothing. Bắc Kạn (06): its as-of time moved from 28 February to 21 March, so
    # February is recomputed although none of its dossiers changed (open ones are now judged at the end
    # of February) and March appears; January stays as it was. Nghệ An (40): its only dossier moved from
    # January to February, so January loses every row.
    touched = {
        ("40", "2024-01-01"),
        ("40", "2024-02-01"),
        ("40", "2024-03-01"),
        ("27", "2024-01-01"),
        ("27", "2024-02-01"),
        ("27", "2024-03-01"),
        ("06", "2024-02-01"),
        ("06", "2024-03-01"),
    }
    recomputed = conn.execute(
        "select province_code, to_char(period_start, 'YYYY-MM-DD') from intermediate.int_portal_months_to_recompute"
    ).fetchall()
    assert set(recomputed) == touched
    assert conn.execute(
        "select recompute_from_month, recompute_to_month from marts.fct_dossier"
        " where dossier_key = '27-27.S01-240126-0008'"
    ).fetchone() == (dt.date(2024, 1, 1), dt.date(2024, 2, 1))
    assert conn.execute(
        "select previous_as_of, as_of from intermediate.int_portal_as_of where province_code = '06'"
    ).fetchone() == (
        dt.datetime(2024, 2, 28, 15, 0),
        dt.datetime(2024, 3, 21, 15, 5),
    )
    # dossier 33, due 29 February 17:00 and still open: on time when judged at the old as-of time, late at
    # the end of February
    feb_on_time = ("on_time_rate", "06", "06.H01.X01", "commune", "2024-02-01", "plain")
    assert (day_one[feb_on_time], day_two[feb_on_time]) == (
        (Decimal(2), Decimal(4), Decimal("50.00")),
        (Decimal(1), Decimal(4), Decimal("25.00")),
    )

    assert any(k[1:5] == ("40", "40.S01", "province", "2024-01-01") for k in day_one)
    assert not any(k[1] == "40" and k[4] == "2024-01-01" for k in day_two)

    # untouched months: same figures, and their aggregate rows were not even rewritten
    assert months_of_observations(day_two, touched, inside=False) == months_of_observations(day_one, touched, False)
    untouched_keys = {k for k in aggregate_one if (k[0], k[1]) not in touched}
    assert untouched_keys and {k: aggregate_two[k] for k in untouched_keys} == {
        k: aggregate_one[k] for k in untouched_keys
    }
    assert all(aggregate_two[k][0] != aggregate_one.get(k, ("",))[0] for k in aggregate_two if (k[0], k[1]) in touched)
    assert months_of_observations(day_two, touched, True) != months_of_observations(day_one, touched, True)

    # only the dossiers that changed were written; the stale version of dossier 1 lost to the held one
    rewritten = {k for k in dossiers_two if dossiers_two[k][0] != dossiers_one.get(k, ("",))[0]}
    assert rewritten == {
        "27-27.S01-240205-0009",
        "27-27.S01-240220-0010",
        "27-27.H01-240311-0014",
        "27-27.H01.X01-240321-0031",
        "27-27.S01-240126-0008",
        "06-06.H01.X01-240321-0032",
        "40-40.S01-240131-0034",
    }
    assert dossiers_two["27-27.S01-240103-0001"][1][2] == "result_returned"

    # the incremental result is the hand-computed one, and a full rebuild gives the same rows
    assert_same_observations(day_two, expected_observations(), "after the incremental run vs expected.csv")
    dbt_build(dbt_dirs, "--full-refresh")
    assert_same_observations(observations(conn), day_two, "--full-refresh vs the incremental run")
    assert {k: v[1] for k, v in aggregate_rows(conn).items()} == {k: v[1] for k, v in aggregate_two.items()}
    assert {k: v[1] for k, v in dossier_rows(conn).items()} == {k: v[1] for k, v in dossiers_two.items()}


def test_a_nightly_run_tests_its_own_loads_and_a_full_refresh_tests_every_row(warehouse, dbt_dirs):
    conn = warehouse
    first = load_and_publish("dossiers.csv")
    dbt_build(dbt_dirs)
    changes = load_and_publish("changes.csv")
    # a channel code no quality gate would let through, written straight into the batches
    corrupt = "update raw.portal_dossier set channel = %s where load_id = %s and source_row = 1"
    original = conn.execute(
        "select channel from raw.portal_dossier where load_id = %s and source_row = 1", (changes,)
    ).fetchone()[0]
    conn.execute(corrupt, (9, changes))
    with pytest.raises(AssertionError, match="accepted_values_stg_portal__dossiers_channel"):
        dbt_build(dbt_dirs)  # the night's load is tested
    conn.execute(corrupt, (original, changes))
    conn.execute(corrupt, (9, first))
    dbt_build(dbt_dirs)  # a load processed by an earlier run is not read again, nor tested again
    with pytest.raises(AssertionError, match="accepted_values_stg_portal__dossiers_channel"):
        dbt_build(dbt_dirs, "--full-refresh")  # every row is read, every row is tested


def test_months_after_a_territory_ended_are_not_computed_and_activity_in_them_is_a_warning(
    warehouse, dbt_dirs, tmp_path
):
    """A correction dated 1 July 2025 moves Bắc Ninh's (27) as-of time past the merger: its open dossiers
    count up to June 2025 and no further, the district level ends with June, and a dossier received under
    the old code in July is reported, without breaking the night."""
    from conftest import dossier, write_export

    conn = warehouse
    load_and_publish("dossiers.csv")
    carried = dossier(
        dossier_code="27.H01-250610-0001", admin_level="Huyện", unit_code="27.H01", received_at="10/06/2025 09:00",
        due_at="15/07/2025 17:00", finished_at="", status="Đang xử lý", updated_at="01/07/2025 09:02",
    )  # fmt: skip
    received_in_july = dossier(
        dossier_code="27.S01-250701-0001", admin_level="Tỉnh", unit_code="27.S01", received_at="01/07/2025 08:30",
        due_at="", finished_at="", status="Đã tiếp nhận", updated_at="01/07/2025 08:31",
    )  # fmt: skip
    late = load_file(write_export(tmp_path / "july.csv", [carried, received_in_july]))
    gate_batches([late.load_id])

    output = run_dbt(dbt_dirs, "build", "--select", *SELECTED, "--indirect-selection", "buildable")

    assert "assert_no_dossier_activity_after_its_territory_ended" in output and "WARN 1" in output
    months = conn.execute(
        "select admin_level, max(period_start)::text from marts.fct_indicator_observation"
        " where source_kind = 'computed' and province_code = '27' group by admin_level"
    ).fetchall()
    assert dict(months) == {
        "district": "2025-06-01",
        "province": "2025-06-01",
        "commune": "2025-06-01",
        "all": "2025-06-01",
    }
    june = conn.execute(
        "select numerator, denominator from marts.fct_indicator_observation where indicator_code = 'on_time_rate'"
        " and province_code = '27' and unit_code = '27.H01' and period_start = '2025-06-01'"
    ).fetchone()
    assert june[0] >= 1 and june[1] >= 1  # open and not yet overdue at the end of June: on time in June


def dossier_facts(conn) -> list[dict]:
    """Every row of fct_dossier, every column but the load that brought it."""
    rows = conn.execute("select to_jsonb(f) - 'load_id' from marts.fct_dossier as f order by dossier_key")
    return [r[0] for r in rows.fetchall()]
