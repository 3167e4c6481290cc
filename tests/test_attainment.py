"""The attainment marts (mart_target_attainment, mart_province_scorecard, mart_indicator_timeseries) built by
dbt at fixed evaluation dates (dbt var as_of_date), checked against numbers worked out by hand.

1. The seeds alone (targets.csv, document_observations.csv): of the 71 targets only the national one has a
   stated actual; the Bắc Kạn mid-2023 figures (002) are all for indicators the Bắc Kạn 2023 targets (001)
   do not name, so those seven targets have no data (the combined 31,6% digitization figure is deliberately
   not read as either digitization rate: docs/indicators.md).
2. A small fixture of portal-published 766 figures (tests/fixtures/attainment/published_766.csv, loaded by
   the real CSV loader) and four dossiers (the real loader and quality gate): Bắc Kạn's 2023 targets with a
   projection, the merger (Bắc Ninh 27 → 24, Bắc Kạn 06 → Thái Nguyên 19), the district cut-off, the
   preference of computed over published figures, yearly figures for every-year targets, a rank target
   (lower is better) and the scorecard. Every expected number is derived in the comments and in the
   fixture's README.

The whole project is built once per test; the marts are then rebuilt at other dates (int_attainment_as_of
and everything downstream). The old singular test assert_target_attainment_status_consistent, written for
the previous mart (gap = actual − target for every indicator, actual ≤ 100), is left out of the builds with
data: assert_attainment_status_follows_the_rules replaces it.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from conftest import bi_login, dossier, run_dbt, write_export
from marts_checks import check_marts_for_bi
from publish_checks import check_publish

from cds_warehouse.batches import gate_batches
from cds_warehouse.load import load_file

FIXTURES = Path(__file__).parent / "fixtures" / "attainment"
DBT_SCHEMAS = ("staging", "intermediate", "marts", "reference", "analytics")
D = Decimal
BAC_KAN_2023 = {  # the seven targets of 001_195cca2149ea4db1.txt
    "06-full_process_online_service_rate-all-2023",
    "06-online_services_national_portal_share-all-2023",
    "06-work_records_online_rate-province-2023",
    "06-work_records_online_rate-district-2023",
    "06-work_records_online_rate-commune-2023",
    "06-dossier_digitization_rate-all-2023",
    "06-result_digitization_rate-all-2023",
}
COLUMNS = (
    "target_id, status, status_basis, actual_value, actual_period_type, actual_period_start, actual_period_end,"
    " actual_source_kind, actual_source, actual_method, actual_numerator, actual_denominator, gap, attainment_ratio,"
    " evaluation_unit_key, evaluation_province_code, evaluation_province_name, evaluated_on_successor,"
    " evaluation_end_date, actual_province_code, projection_points, projection_window_start,"
    " projection_window_end, linear_trend_slope_per_year, projected_value_linear, projection_method,"
    " projected_value, open_sdg_points, open_sdg_window_start, open_sdg_window_end, open_sdg_base_value,"
    " open_sdg_observed_growth_rate, open_sdg_required_growth_rate, open_sdg_growth_ratio, open_sdg_progress,"
    " as_of_date"
)

pytestmark = pytest.mark.slow  # four to six dbt builds: about a minute and a half


@pytest.fixture
def warehouse(conn):
    """Empty raw tables (conftest) and no dbt relations left from an earlier test."""
    conn.execute(f"drop schema if exists {', '.join(DBT_SCHEMAS)} cascade")
    return conn


@pytest.fixture(scope="module")
def dbt_dirs(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("dbt_attainment")


def dbt_build(work: Path, as_of: str, *args: str) -> None:
    """``dbt build`` (the whole project unless the arguments select) at the evaluation date ``as_of``."""
    run_dbt(work, "build", *args, "--vars", f'{{as_of_date: "{as_of}"}}')


def rebuild_marts(work: Path, as_of: str) -> None:
    """Only what depends on the evaluation date: the attainment chain, the scorecard and their tests."""
    dbt_build(work, as_of, "--select", "int_attainment_as_of+")


def attainment(conn) -> dict[str, dict]:
    cur = conn.execute(f"select {COLUMNS} from marts.mart_target_attainment")
    names = [c.name for c in cur.description]
    return {row[0]: dict(zip(names, row, strict=True)) for row in cur.fetchall()}


def scorecard(conn) -> dict[str, tuple]:
    return {
        r[0]: tuple(r[1:])
        for r in conn.execute(
            "select scorecard_key, targets_count, achieved_count, on_track_count, at_risk_count, off_track_count,"
            " missed_count, no_data_count, score_percent, data_coverage_percent from marts.mart_province_scorecard"
        ).fetchall()
    }


def assert_row(row: dict, **expected) -> None:
    got = {k: row[k] for k in expected}
    assert got == expected, f"{row['target_id']}: {got} != {expected}"


NO_PROJECTION = {
    "linear_trend_slope_per_year": None,
    "projected_value_linear": None,
    "projection_method": None,
    "projected_value": None,
}


def test_seed_targets_against_the_seed_actuals(warehouse, dbt_dirs):
    conn = warehouse
    # The whole project in an empty warehouse (raw schema only), as the first night would build it.
    dbt_build(dbt_dirs, "2024-12-31")

    # The rules' dbt unit tests (off in builds: they check logic, not data) on the relations just built.
    unit = run_dbt(dbt_dirs, "test", "--select", "test_type:unit", "--vars", "{unit_tests: true}")
    assert re.search(r"Finished running .*\b13 unit tests\b", unit) and "ERROR=0" in unit, unit[-3000:]

    rows = attainment(conn)
    assert len(rows) == 71
    assert {r["status"] for r in rows.values()} == {"achieved", "no_data"}
    assert all(r["as_of_date"] == dt.date(2024, 12, 31) for r in rows.values())

    # 004: "tỷ lệ người trưởng thành có tài khoản thanh toán đạt 87%" (19/07/2024) against "mục tiêu năm 2025
    # là 80%": gap 87 − 80 = +7 points, ratio 87 / 80 = 1.0875; met, so achieved although 2025 is not over.
    # One observation: nothing to project.
    assert_row(
        rows["VN-adult_payment_account_rate-all-2025"],
        status="achieved",
        status_basis="actual",
        actual_value=D(87),
        actual_period_type="as_of",
        actual_period_start=dt.date(2024, 7, 19),
        actual_period_end=dt.date(2024, 7, 19),
        actual_source_kind="document",
        actual_source="document_observations.csv",
        actual_method="stated",
        gap=D(7),
        attainment_ratio=D("1.0875"),
        evaluation_unit_key=None,
        evaluation_province_code="VN",
        evaluation_province_name="Việt Nam",
        evaluated_on_successor=False,
        projection_points=1,
        open_sdg_progress="target_achieved",
        **NO_PROJECTION,
    )
    assert all(r["status"] == "no_data" for k, r in rows.items() if not k.startswith("VN-"))

    # Bắc Kạn mid-2023 (002): smartphones 73, mobile broadband 96, household fibre 76.6, services with dossiers
    # 58, online dossiers 50, digitization (combined) 31.6, one-stop users 133, agency coverage 100. The 2023
    # targets (001) name none of these indicators: all seven have no data, on Bắc Kạn itself (2023 is before
    # the merger), and nothing else is counted for them.
    stated = conn.execute(
        "select indicator_code, value, province_unit_key, province_name from marts.mart_indicator_timeseries"
        " where province_code = '06' order by indicator_code"
    ).fetchall()
    assert [(code, value) for code, value, _, _ in stated] == [
        ("dossier_result_digitization_rate", D("31.6")),
        ("household_fibre_rate", D("76.6")),
        ("mobile_broadband_village_coverage_rate", D(96)),
        ("one_stop_system_agency_coverage_rate", D(100)),
        ("one_stop_system_user_units", D(133)),
        ("online_dossier_rate", D(50)),
        ("online_services_with_dossiers_rate", D(58)),
        ("smartphone_ownership_rate", D(73)),
    ]
    assert {(key, name) for _, _, key, name in stated} == {("province:06:2008-08-01", "Tỉnh Bắc Kạn")}
    for target_id in BAC_KAN_2023:
        assert_row(
            rows[target_id],
            status="no_data",
            status_basis="no_observation",
            actual_value=None,
            gap=None,
            evaluation_unit_key="province:06:2008-08-01",
            evaluated_on_successor=False,
        )
    assert conn.execute("select count(*) from marts.mart_indicator_timeseries").fetchone()[0] == 18

    # scorecard: one row per province as set × pillar × deadline year, 71 targets in all
    cards = scorecard(conn)
    assert sum(c[0] for c in cards.values()) == 71
    assert cards["VN|kinh_te_so|2025"] == (1, 1, 0, 0, 0, 0, 0, D("100.0"), D("100.0"))
    assert cards["06|chinh_quyen_so|2023"] == (7, 0, 0, 0, 0, 0, 7, None, D("0.0"))
    assert cards["27|chinh_quyen_so|2025"][0] == 28

    # The 766 items as DOMAIN.md gives them: 7 items and 4 groups of items not computed, each with how its
    # scoring was established; an item not computed says what input it needs.
    items = {
        r[0]: r[1:]
        for r in conn.execute(
            "select item_code, indicator_code, threshold_percent, max_points, scoring_basis, needed_input is not null"
            " from marts.mart_766_items"
        ).fetchall()
    }
    assert items["2.1"] == ("on_time_rate", None, D(20), "official", False)
    assert items["3.3"] == ("online_dossier_rate", D(50), D(12), "project_assumption", False)
    assert items["5.4"] == ("satisfaction_rate", D(90), D(6), "secondary_source", False)
    assert {k for k, v in items.items() if v[3] == "not_computed"} == {"4.3", "1.*", "3.*", "4.*", "5.*"}
    assert all(v[4] == (v[3] == "not_computed") for v in items.values())

    # the BI role reads the marts (table materialisation with contracts keeps the grants) and nothing else
    with bi_login(conn, "bi_marts_test_user") as bi:
        marts = ("mart_target_attainment", "mart_province_scorecard", "mart_indicator_timeseries", "mart_766_items")
        for mart in marts:
            assert bi.execute(f"select count(*) from marts.{mart}").fetchone()[0] > 0
        for relation in ("reference.targets", "intermediate.int_target_actual_candidates"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                bi.execute(f"select 1 from {relation} limit 1")

    # On 31 December 2023 the national figure (stated 19 July 2024) did not exist yet: nothing has data.
    rebuild_marts(dbt_dirs, "2023-12-31")
    rows = attainment(conn)
    assert {r["status"] for r in rows.values()} == {"no_data"}
    assert rows["VN-adult_payment_account_rate-all-2025"]["as_of_date"] == dt.date(2023, 12, 31)


def load_fixture(conn, tmp_path) -> list[dict[str, str]]:
    """The published figures (marked published as the gate would) and four dossiers of the new Bắc Ninh (24),
    received at commune level in September 2025, through the real loader and quality gate (returned)."""
    published = load_file(FIXTURES / "published_766.csv", "published_766")
    assert (published.status, published.rows_loaded, published.rows_rejected) == ("loaded", 38, 0)
    conn.execute("update raw.load_audit set status = 'published' where load_id = %s", (published.load_id,))

    def new_bac_ninh(number: int, **overrides) -> dict[str, str]:
        return dossier(
            dossier_code=f"H24.99-250905-{number:04d}",
            province_code="24",
            unit_code="24.X01",
            unit_name="UBND phường Kinh Bắc",
            admin_level="Xã",
            received_at="05/09/2025 08:15:00",
            due_at="10/09/2025 17:00:00",
            finished_at="08/09/2025 10:00:00",
            updated_at="08/09/2025 10:05:00",
            **overrides,
        )

    rows = [
        new_bac_ninh(1, channel="2"),
        new_bac_ninh(2, channel="2"),
        new_bac_ninh(3, channel="2", paper_result="1", electronic_result="0"),  # online, paper result only
        new_bac_ninh(4, channel="1"),
    ]
    dossiers = load_file(write_export(tmp_path / "bac_ninh_2025_09.csv", rows))
    assert (dossiers.status, dossiers.rows_loaded) == ("loaded", 4)
    gate_batches([dossiers.load_id])
    return rows


def test_projections_merger_and_ties_on_a_published_fixture(warehouse, dbt_dirs, tmp_path):
    conn = warehouse
    dossiers = load_fixture(conn, tmp_path)
    dbt_build(dbt_dirs, "2023-12-31")
    rows = attainment(conn)

    # Bắc Kạn ≥ 100% dossiers digitized by 2023, published quarters Q1 40, Q2 48, Q3 53. Actual: Q3, 53;
    # gap −47, ratio 0.53. Months (end of period) 3, 6, 9, deadline December = 12, so x = −9, −6, −3;
    # least squares: mean x −6, mean y 47, Sxy = (−3)(−7) + 0 + 3·6 = 39, Sxx = 18, slope 13/6 a month
    # (26 a year), value at x = 0: 47 + 6 · 13/6 = 60.00. The linear 60.00 drives: short of 100 by 40% > 10%
    # → off_track (the deadline is not before 31/12/2023).
    # Open SDG's measure needs a year between its base (Q1) and the latest (Q3): six months are not
    # annualised (the old compound-growth projection made 75.56% a year of them) → unable_to_assess.
    assert_row(
        rows["06-dossier_digitization_rate-all-2023"],
        status="off_track",
        status_basis="projection",
        actual_value=D(53),
        actual_period_type="quarter",
        actual_period_start=dt.date(2023, 7, 1),
        actual_period_end=dt.date(2023, 9, 30),
        actual_source_kind="published",
        actual_source="portal_published",
        gap=D(-47),
        attainment_ratio=D("0.53"),
        evaluation_province_code="06",
        evaluated_on_successor=False,
        projection_points=3,
        projection_window_start=dt.date(2023, 1, 1),
        projection_window_end=dt.date(2023, 9, 30),
        linear_trend_slope_per_year=D(26),
        projected_value_linear=D("60.00"),
        projection_method="linear_trend",
        projected_value=D("60.00"),
        open_sdg_points=None,
        open_sdg_observed_growth_rate=None,
        open_sdg_progress="unable_to_assess",
    )
    # ≥ 100% results digitized, one figure (H1 2023: 92), six months before the deadline: nothing to project,
    # and near enough to stand for the year: 100 − 92 = 8 ≤ 10% of 100 → at_risk.
    assert_row(
        rows["06-result_digitization_rate-all-2023"],
        status="at_risk",
        status_basis="single_observation",
        actual_value=D(92),
        gap=D(-8),
        attainment_ratio=D("0.92"),
        projection_points=1,
        **NO_PROJECTION,
    )
    assert {
        rows[t]["status"]
        for t in BAC_KAN_2023 - {"06-dossier_digitization_rate-all-2023", "06-result_digitization_rate-all-2023"}
    } == {"no_data"}

    # One day later the 2023 deadline has passed, but neither series reaches December (Q3, H1): nothing says
    # whether the targets were met, and nothing is projected any more.
    rebuild_marts(dbt_dirs, "2024-01-01")
    rows = attainment(conn)
    for target_id in ("06-dossier_digitization_rate-all-2023", "06-result_digitization_rate-all-2023"):
        assert_row(
            rows[target_id],
            status="no_data_at_deadline",
            status_basis="data_ends_before_deadline",
            projection_points=None,
            open_sdg_progress=None,
            **NO_PROJECTION,
        )

    rebuild_marts(dbt_dirs, "2025-10-31")
    rows = attainment(conn)

    # Bắc Ninh (27) ≥ 95% online at province level by 2025. Since 1 July 2025 its territory is part of the
    # new Bắc Ninh (24): the latest figure is 24's September (90), evaluated on the successor; gap −5, ratio
    # 90/95 = 0.9474. Bắc Giang's own 2025 figures (24 before July: 60…65) never count, nor do 27's own
    # January–June figures (80…90), which are older. The trend uses only the successor's series: Jul 84,
    # Aug 87, Sep 90, +3 a month (36 a year) → December 99.00: ≥ 95 → on_track. Two months between the
    # base and the latest are too few for Open SDG (unable_to_assess).
    assert_row(
        rows["27-online_dossier_rate-province-2025"],
        status="on_track",
        status_basis="projection",
        actual_value=D(90),
        actual_period_start=dt.date(2025, 9, 1),
        actual_period_end=dt.date(2025, 9, 30),
        actual_source_kind="published",
        gap=D(-5),
        attainment_ratio=D("0.9474"),
        evaluation_unit_key="province:24:2025-07-01",
        evaluation_province_code="24",
        evaluation_province_name="Tỉnh Bắc Ninh",
        evaluated_on_successor=True,
        projection_points=3,
        projection_window_start=dt.date(2025, 7, 1),
        projection_window_end=dt.date(2025, 9, 30),
        linear_trend_slope_per_year=D(36),
        projected_value_linear=D("99.00"),
        projection_method="linear_trend",
        projected_value=D("99.00"),
        open_sdg_progress="unable_to_assess",
    )
    # ≥ 90% at district level: the level ended on 30/06/2025, so its evaluation ends then. Q1 70, Q2 76: actual
    # 76, gap −14, ratio 76/90 = 0.8444; Q2 ends on the evaluation end, which is before 31/10/2025 → missed,
    # and a passed deadline shows no projection. The "district" figure published for 24 in Q3 2025 (99) is
    # ignored: no district level, and no successor for district targets.
    assert_row(
        rows["27-online_dossier_rate-district-2025"],
        status="missed",
        status_basis="deadline_passed",
        actual_value=D(76),
        actual_period_end=dt.date(2025, 6, 30),
        gap=D(-14),
        attainment_ratio=D("0.8444"),
        evaluation_unit_key="province:27:2008-08-01",
        evaluated_on_successor=False,
        evaluation_end_date=dt.date(2025, 6, 30),
        projection_points=None,
        open_sdg_progress=None,
        **NO_PROJECTION,
    )
    # ≥ 85% at commune level. September 2025 has two figures for 24's communes: the portal's published 83
    # and the warehouse's own computation from the four dossiers, 3 online of 4 = 75.00 (plain; the 766
    # strict variant is 2 of 4 = 50.00, dossier 3 having only a paper result). Same period: computed wins,
    # plain before strict. Gap −10, ratio 75/85 = 0.8824. One computed month: nothing to project;
    # 85 − 75 = 10 > 8.5 (10% of 85) → off_track (the published 83 would have been at_risk).
    assert_row(
        rows["27-online_dossier_rate-commune-2025"],
        status="off_track",
        status_basis="single_observation",
        actual_value=D("75.00"),
        actual_period_type="month",
        actual_period_start=dt.date(2025, 9, 1),
        actual_source_kind="computed",
        actual_source="portal_dossiers",
        actual_method="plain",
        actual_numerator=D(3),
        actual_denominator=D(4),
        gap=D(-10),
        attainment_ratio=D("0.8824"),
        evaluation_province_code="24",
        evaluated_on_successor=True,
        projection_points=1,
        **NO_PROJECTION,
    )
    strict = conn.execute(
        "select value from marts.mart_indicator_timeseries where province_code = '24' and admin_level = 'commune'"
        " and unit_code = '*' and indicator_code = 'online_dossier_rate' and method = '766_strict'"
    ).fetchall()
    assert strict == [(D("50.00"),)]
    # the same dossiers: 4 of 4 with digitized components (≥ 100 → achieved), 3 of 4 finished with an
    # electronic result (75.00: one figure, short by 25% → off_track), both on the successor
    assert_row(
        rows["27-dossier_digitization_rate-commune-2025"], status="achieved", actual_value=D("100.00"),
        evaluated_on_successor=True, gap=D(0), attainment_ratio=D(1),
    )  # fmt: skip
    assert_row(
        rows["27-result_digitization_rate-commune-2025"], status="off_track", actual_value=D("75.00"),
        evaluated_on_successor=True, gap=D(-25), attainment_ratio=D("0.75"),
    )  # fmt: skip
    # DTI rank ≤ 10 every year (rank: lower is better, gap = target − actual): 2024 rank 8, gap +2, ratio 10/8.
    # Bắc Ninh's 2024 figure, but the target is evaluated on the successor now, like every 27 row.
    assert_row(
        rows["27-dti_rank-all-2025"], status="achieved", actual_value=D(8), actual_period_type="year",
        gap=D(2), attainment_ratio=D("1.25"), evaluated_on_successor=True, evaluation_province_code="24",
        actual_province_code="27",
    )  # fmt: skip
    # The territory does not depend on the data: every 27 target above the district level, with or without
    # an actual, is evaluated on the new Bắc Ninh; district targets never are.
    assert {
        ("-district-" in k, r["evaluated_on_successor"], r["evaluation_province_code"])
        for k, r in rows.items()
        if k.startswith("27-")
    } == {(False, True, "24"), (True, False, "27")}

    # Bắc Kạn (06) → Thái Nguyên (19). "100% on the digital space" by 2030: 06's own Q1 2025 (60) is older
    # than the new Thái Nguyên's Q3 2025 (70), which evaluates it; old Thái Nguyên's Q2 (95, 19 before July)
    # never does. Gap −30, ratio 0.7; one figure, five years before the deadline: not_enough_data (it
    # labels nothing off track).
    assert_row(
        rows["06-government_activities_online_share-all-2030"],
        status="not_enough_data",
        status_basis="single_observation",
        actual_value=D(70),
        actual_period_start=dt.date(2025, 7, 1),
        gap=D(-30),
        attainment_ratio=D("0.7"),
        evaluation_unit_key="province:19:2025-07-01",
        evaluation_province_code="19",
        evaluation_province_name="Tỉnh Thái Nguyên",
        evaluated_on_successor=True,
        projection_points=1,
        **NO_PROJECTION,
    )

    # Nghệ An (40) kept its territory: its Q3 2025 figure is on the re-established unit 40, not a merger.
    # ≥ 50% online: 55, gap +5, ratio 1.1 → achieved.
    assert_row(
        rows["40-online_dossier_rate-all-2025"],
        status="achieved",
        actual_value=D(55),
        gap=D(5),
        attainment_ratio=D("1.1"),
        evaluation_unit_key="province:40:2025-07-01",
        evaluated_on_successor=False,
    )
    # "khoảng 20% GRDP": 19.2 (2024, published as "19,2") is within 5% of 20 (|−0.8| ≤ 1) → achieved.
    assert_row(
        rows["40-digital_economy_grdp_share-all-2025"], status="achieved", actual_value=D("19.2"),
        gap=D("-0.8"), attainment_ratio=D("0.96"),
    )  # fmt: skip
    # DTI rank ≤ 30 every year to 2030: yearly figures only (the H1 2025 "rank 10" is not a year). 2023: 35,
    # 2024: 33 → actual 33, gap 30 − 33 = −3, ratio 30/33 = 0.9091. To December 2030 (72 months after
    # December 2024): linear −2 a year → 33 − 12 = 21.00 ≤ 30 → on_track. Open SDG, base 2023 (35), a year
    # to the latest: observed 33/35 − 1 = −0.057143 a year; required (30/35)^(12/84) − 1 = −0.021781 a
    # year (84 months from December 2023 to December 2030); R = −1 × −0.057143 / 0.021781 = 2.6235 ≥ 0.95
    # → on_track.
    assert_row(
        rows["40-dti_rank-all-2030"],
        status="on_track",
        status_basis="projection",
        actual_value=D(33),
        actual_period_type="year",
        actual_period_start=dt.date(2024, 1, 1),
        gap=D(-3),
        attainment_ratio=D("0.9091"),
        projection_points=2,
        linear_trend_slope_per_year=D(-2),
        projected_value_linear=D("21.00"),
        projection_method="linear_trend",
        projected_value=D("21.00"),
        open_sdg_points=2,
        open_sdg_window_start=dt.date(2023, 1, 1),
        open_sdg_window_end=dt.date(2024, 12, 31),
        open_sdg_base_value=D(35),
        open_sdg_observed_growth_rate=D("-0.057143"),
        open_sdg_required_growth_rate=D("-0.021781"),
        open_sdg_growth_ratio=D("2.6235"),
        open_sdg_progress="on_track",
    )

    # No Bắc Ninh (27) target is ever evaluated on Bắc Giang's figures (24 before the merger).
    units = conn.execute(
        "select distinct t.province_unit_key from marts.mart_target_attainment as a"
        " join marts.mart_indicator_timeseries as t on a.actual_observation_key = t.observation_key"
        " where a.province_code = '27'"
    ).fetchall()
    assert set(units) == {("province:27:2008-08-01",), ("province:24:2025-07-01",)}
    # the time series keeps every figure on the unit valid at its period's end
    names = dict(
        conn.execute(
            "select to_char(period_start, 'YYYY-MM'), province_name from marts.mart_indicator_timeseries"
            " where province_code = '24' and admin_level = 'province' and source_kind = 'published'"
            " and period_start in ('2025-06-01', '2025-07-01')"
        ).fetchall()
    )
    assert names == {"2025-06": "Tỉnh Bắc Giang", "2025-07": "Tỉnh Bắc Ninh"}
    assert conn.execute(
        "select (select count(*) from marts.mart_indicator_timeseries) = (select count(*) from"
        " marts.fct_indicator_observation)"
    ).fetchone()[0]

    # Scorecard, Bắc Ninh's digital government 2025 (28 targets): achieved 2 (commune digitization, DTI),
    # on_track 1 (province online), off_track 2 (commune online, commune results), missed 1 (district
    # online), no data 22. Score = 3 achieved-or-on-track / 6 with data = 50.0%; coverage 6/28 = 21.4%.
    assert scorecard(conn)["27|chinh_quyen_so|2025"] == (28, 2, 1, 0, 2, 1, 22, D("50.0"), D("21.4"))

    # Mid-2026, the 2025 DTI ranking is out: the new Bắc Ninh is 12th. It evaluates 27's "top 10 every year
    # to 2025" on the successor (2025 is within the target's years): 12 > 10 and 2025 is over → missed.
    rebuild_marts(dbt_dirs, "2026-06-30")
    rows = attainment(conn)
    assert_row(
        rows["27-dti_rank-all-2025"],
        status="missed",
        actual_value=D(12),
        actual_period_start=dt.date(2025, 1, 1),
        gap=D(-2),
        evaluated_on_successor=True,
        evaluation_province_code="24",
    )
    # The ≥ 95% online target read on 31/10/2025 as on_track: its data still end in September 2025, so the
    # passed deadline is not judged on them (no_data_at_deadline, not missed) and nothing is projected.
    assert_row(
        rows["27-online_dossier_rate-province-2025"],
        status="no_data_at_deadline",
        status_basis="data_ends_before_deadline",
        actual_value=D(90),
        evaluated_on_successor=True,
        open_sdg_progress=None,
        **NO_PROJECTION,
    )

    # what `cds publish` writes from these marts (checked here rather than on a build of its own)
    check_marts_for_bi(conn)
    check_publish(conn, tmp_path / "publish", dossiers)
