"""Agency reports through dbt (a copy of the project with the fixture catalog): catalog and alias matching,
the review table and the alias flow, resubmissions (an older report loaded after a newer one does not
roll the value back), portal-published figures beside reported ones, and the SQL normalisation agreeing
with the Python one. Batches are marked published directly: the gate has its own tests."""

from __future__ import annotations

import csv
import datetime as dt
import sys
import unicodedata
from decimal import Decimal
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "fixtures" / "agency_reports"))
from report_workbooks import add_alias, dbt_project_copy, simple_report  # noqa: E402

from cds_warehouse.agency_reports.loader import load_report  # noqa: E402
from cds_warehouse.agency_reports.review import build_models, rows_awaiting_review  # noqa: E402
from cds_warehouse.agency_reports.text import indicator_key  # noqa: E402

pytestmark = pytest.mark.slow
D = Decimal
UTC = dt.UTC
FIBRE = "Tỷ lệ hộ gia đình có kết nối Internet cáp quang"  # the fixture catalog's name


@pytest.fixture(autouse=True)
def _drop_copied_project_relations(dsn):
    """The project copies here have a fixture catalog whose relations differ from the real project's;
    they are dropped after each test, since later tests of the session build the real project."""
    import psycopg

    yield
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("drop schema if exists reference, staging, intermediate, marts cascade")


@pytest.fixture
def project(tmp_path, monkeypatch):
    path = dbt_project_copy(tmp_path / "dbt_project")
    monkeypatch.setenv("CDS_DBT_PROJECT_DIR", str(path))
    return path


def load_published(conn, path) -> int:
    load_id = load_report(path).load_id
    conn.execute("update raw.load_audit set status = 'published' where load_id = %s", (load_id,))
    return load_id


def current(conn, indicator=None):
    return conn.execute(
        "select source, indicator_code, province_code, unit_code, admin_level, period_type, period_start::text,"
        " value, unit, source_file from intermediate.int_agency_report_values_current"
        " where %(i)s::text is null or indicator_code = %(i)s order by 1, 2, 3, 4, 5",
        {"i": indicator},
    ).fetchall()


def test_an_older_report_loaded_after_a_newer_one_does_not_roll_back(conn, tmp_path, project):
    def version(name, fibre, submitted, saved, extra=()):
        rows = [(1, FIBRE, "%", None, 90, fibre), *extra]
        return simple_report(tmp_path / name, rows, submitted=submitted, saved_at=saved)

    corrected = version("bc_q3_bosung.xlsx", "80,0", "20/10/2025", dt.datetime(2025, 10, 20, 2, tzinfo=UTC))
    original = version(
        "bc_q3.xlsx",
        "76,6",
        "05/10/2025",
        dt.datetime(2025, 10, 5, 2, tzinfo=UTC),
        extra=[(2, "Tỷ lệ người dân có điện thoại thông minh", "%", None, 80, 70)],
    )
    new_id = load_published(conn, corrected)  # the correction arrives first …
    old_id = load_published(conn, original)  # … and the original, re-sent, after it
    build_models()

    assert current(conn) == [
        ("40.S14", "household_fibre_rate", "40", "*", "all", "quarter", "2025-07-01", D("80.0"), "percent",
         "bc_q3_bosung.xlsx"),
        # only in the original: stays current, nothing newer says otherwise
        ("40.S14", "smartphone_ownership_rate", "40", "*", "all", "quarter", "2025-07-01", D("70"), "percent",
         "bc_q3.xlsx"),
    ]  # fmt: skip
    versions = conn.execute(
        "select load_id, source_file, value, version_rank, is_current, version_date::text"
        " from intermediate.int_agency_report_values_versions where indicator_code = 'household_fibre_rate'"
        " order by version_rank"
    ).fetchall()
    assert versions == [
        (new_id, "bc_q3_bosung.xlsx", D("80.0"), 1, True, "2025-10-20"),
        (old_id, "bc_q3.xlsx", D("76.6"), 2, False, "2025-10-05"),
    ]

    # Without a report date the workbook's saved time dates the version: later wins, earlier does not.
    later = version("bc_q3_v3.xlsx", "81,5", None, dt.datetime(2025, 10, 25, 2, tzinfo=UTC))
    earlier = version("bc_q3_v0.xlsx", "70,0", None, dt.datetime(2025, 9, 30, 2, tzinfo=UTC))
    load_published(conn, later)
    load_published(conn, earlier)
    build_models()
    assert current(conn, "household_fibre_rate")[0][-3:] == (D("81.5"), "percent", "bc_q3_v3.xlsx")
    versions = "select count(*) from intermediate.int_agency_report_values_versions where indicator_code = %s"
    assert conn.execute(versions, ("household_fibre_rate",)).fetchone() == (4,)


def test_unmatched_rows_wait_for_review_and_an_alias_loads_them_without_a_reload(conn, tmp_path, project):
    province_report = simple_report(
        tmp_path / "na.xlsx",
        [
            (1, "Tỷ lệ hộ gia đình dùng Internet cáp quang", "%", None, 90, "77,7"),  # not known yet
            (2, unicodedata.normalize("NFD", "TỈ LỆ NGƯỜI DÂN TRƯỞNG THÀNH CÓ ĐIỆN THOẠI THÔNG MINH"), "%", None, 80,
             "71,2"),  # the catalog name, in capitals, NFD and tỉ for tỷ
            (3, "Tỷ lệ hộ có điện thoại thông minh", "%", None, 80, 65),  # alias to a code not in the catalog
            (4, "Số doanh nghiệp công nghệ số", "doanh nghiệp", None, None, "1.250"),  # a count
            (5, "Tỷ trọng kinh tế số trong GRDP", "tỷ đồng", None, None, 5400),  # unit differs from the catalog
            (6, "Tỷ lệ hồ sơ không rõ", "%", "Thôn", 90, 50),  # not a level; not an indicator either
        ],
    )  # fmt: skip
    district_report = simple_report(
        tmp_path / "ba_be.xlsx",
        [
            (1, "Tỷ lệ hồ sơ TTHC được xử lý trực tuyến", "%", "Huyện", 70, None, 1234, "2.000"),
            (2, "Tỷ lệ hồ sơ công việc được xử lý trên môi trường mạng", "%", "Xã", 90, 60),  # not its level
        ],
        agency="UBND huyện Ba Bể",
        province="Bắc Kạn",
        period="Tháng 9/2024",
        submitted="03/10/2024",
    )
    load_published(conn, province_report)
    load_published(conn, district_report)
    build_models()

    assert [r[:6] + r[7:8] for r in current(conn)] == [
        ("06.H03", "online_dossier_rate", "06", "06.H03", "district", "month", D("61.7")),
        ("40.S14", "digital_enterprise_count", "40", "*", "all", "quarter", D("1250")),
        ("40.S14", "smartphone_ownership_rate", "40", "*", "all", "quarter", D("71.2")),
    ]
    review = conn.execute(
        "select source_file, source_row, indicator_text, review_reason, value"
        " from marts.agency_report_rows_awaiting_review order by source_file, source_row"
    ).fetchall()
    assert review == [
        ("ba_be.xlsx", 8, "Tỷ lệ hồ sơ công việc được xử lý trên môi trường mạng", "admin_level_not_the_agencys",
         D("60")),
        ("na.xlsx", 7, "Tỷ lệ hộ gia đình dùng Internet cáp quang", "indicator_not_in_catalog", D("77.7")),
        ("na.xlsx", 9, "Tỷ lệ hộ có điện thoại thông minh", "indicator_not_in_catalog", D("65")),
        ("na.xlsx", 11, "Tỷ trọng kinh tế số trong GRDP", "unit_differs_from_catalog", D("5400")),
        ("na.xlsx", 12, "Tỷ lệ hồ sơ không rõ", "indicator_not_in_catalog", D("50")),
    ]  # fmt: skip
    assert rows_awaiting_review()[0] == 5
    loads = conn.execute("select count(*) from raw.load_audit").fetchone()

    add_alias(project, "tỷ lệ hộ gia đình dùng internet cáp quang", "household_fibre_rate")
    build_models()

    assert current(conn, "household_fibre_rate") == [
        ("40.S14", "household_fibre_rate", "40", "*", "all", "quarter", "2025-07-01", D("77.7"), "percent", "na.xlsx")
    ]
    assert rows_awaiting_review()[0] == 4
    assert conn.execute("select count(*) from raw.load_audit").fetchone() == loads

    # An alias that gives a catalog name to another indicator makes the text ambiguous: it waits for review.
    add_alias(project, "Tỷ lệ người dân trưởng thành có điện thoại thông minh", "household_fibre_rate")
    build_models()
    assert current(conn, "smartphone_ownership_rate") == []
    assert conn.execute(
        "select review_reason, candidate_codes from marts.agency_report_rows_awaiting_review where source_row = 8"
        " and source_file = 'na.xlsx'"
    ).fetchone() == ("indicator_ambiguous", "household_fibre_rate, smartphone_ownership_rate")


def test_rows_in_a_department_s_own_words_carry_ranked_candidates_and_one_is_accepted(
    conn, tmp_path, monkeypatch, capsys
):
    """Five rows a department wrote in its own words, four of them catalog indicators that exact matching
    misses, against the real catalog and aliases: each of the four carries its indicator as the first
    candidate, the fifth none; `cds agency-reports accept` writes the alias and re-matches."""
    from cds_warehouse.cli import main as cds
    from cds_warehouse.settings import DBT_PROJECT_DIR

    seeds = DBT_PROJECT_DIR / "seeds"
    project = dbt_project_copy(
        tmp_path / "dbt_project", aliases=seeds / "indicator_aliases.csv", catalog=seeds / "indicators.csv"
    )
    monkeypatch.setenv("CDS_DBT_PROJECT_DIR", str(project))
    report = simple_report(
        tmp_path / "so_tt.xlsx",
        [
            (1, "Tỷ lệ hồ sơ TTHC xử lý trực tuyến", "%", None, 90, "81,5"),
            (2, "Tỷ lệ số hóa hồ sơ, kết quả giải quyết TTHC", "%", None, 80, "62,3"),
            (3, "Tỷ lệ CB, CC, VC được bồi dưỡng kỹ năng số", "%", None, 70, "55"),
            (4, "Tỷ lệ CSDL dùng chung được triển khai trên điện toán đám mây", "%", None, 50, "40"),
            (5, "Số cuộc họp trực tuyến đã tổ chức", "cuộc", None, None, "120"),  # not in the catalog
        ],
    )
    load_id = load_published(conn, report)
    build_models()

    review = conn.execute(
        "select source_row, review_reason, split_part(candidate_codes, ', ', 1), candidate_scores is not null"
        " from marts.agency_report_rows_awaiting_review order by source_row"
    ).fetchall()
    assert review == [
        (7, "indicator_not_in_catalog", "online_dossier_rate", True),
        (8, "indicator_not_in_catalog", "dossier_result_digitization_rate", True),
        (9, "indicator_not_in_catalog", "officials_digital_skills_trained_share", True),
        (10, "indicator_not_in_catalog", "shared_databases_on_cloud_share", True),
        (11, "indicator_not_in_catalog", None, False),  # no guess
    ]
    codes, scores = conn.execute(
        "select candidate_codes, candidate_scores from marts.agency_report_rows_awaiting_review where source_row = 8"
    ).fetchone()
    assert len(codes.split(", ")) == len(scores.split(", ")) <= 3
    assert [float(s) for s in scores.split(", ")] == sorted((float(s) for s in scores.split(", ")), reverse=True)
    aliases_before = (project / "seeds" / "indicator_aliases.csv").read_text(encoding="utf-8")

    cds(["agency-reports", "accept", f"{load_id}|1|7"])  # the first candidate of row 7

    assert "alias added: 'Tỷ lệ hồ sơ TTHC xử lý trực tuyến' -> online_dossier_rate; 4 row(s) await review" in (
        capsys.readouterr().out
    )
    aliases = (project / "seeds" / "indicator_aliases.csv").read_text(encoding="utf-8")
    assert aliases == aliases_before + (
        f"Tỷ lệ hồ sơ TTHC xử lý trực tuyến,online_dossier_rate,accepted in review: load {load_id} row 7\n"
    )
    assert [r[1:3] + r[7:8] for r in current(conn)] == [("online_dossier_rate", "40", D("81.5"))]
    remaining = "select source_row from marts.agency_report_rows_awaiting_review order by source_row"
    assert [r[0] for r in conn.execute(remaining)] == [8, 9, 10, 11]

    # nothing to accept: a row without candidates, a row no longer awaiting review; nothing is written
    with pytest.raises(SystemExit, match="has 0 candidate"):
        cds(["agency-reports", "accept", f"{load_id}|1|11"])
    with pytest.raises(SystemExit, match="no row awaiting review has the key"):
        cds(["agency-reports", "accept", f"{load_id}|1|7"])
    assert (project / "seeds" / "indicator_aliases.csv").read_text(encoding="utf-8") == aliases


def test_published_figures_sit_beside_reported_ones(conn, tmp_path, project):
    from cds_warehouse.load import load_file

    reported = load_published(
        conn,
        simple_report(tmp_path / "na.xlsx", [(1, FIBRE, "%", None, 90, "76,6")], period="Tháng 9/2025"),
    )
    published = tmp_path / "cong_dvc.csv"
    published.write_text(
        "province_code,period,indicator_code,admin_level,value,numerator,denominator,retrieved_at,source_url\n"
        "40,2025-09,household_fibre_rate,,75.1,,,05/10/2025 08:00,https://dichvucong.gov.vn\n"
        '40,2025-Q3,online_dossier_rate,province,"66,9",669,1000,05/10/2025 08:00,\n'
        "40,2025,unknown_code,,10,,,,\n",
        encoding="utf-8",
    )
    first = load_file(published, "published_766")
    # the portal revised a figure: a later file wins for that figure, the other one stays
    published.write_text(
        "province_code,period,indicator_code,admin_level,value,numerator,denominator,retrieved_at,source_url\n"
        "40,2025-09,household_fibre_rate,,75.4,,,12/10/2025 08:00,https://dichvucong.gov.vn\n",
        encoding="utf-8",
    )
    second = load_file(published, "published_766")
    publish = "update raw.load_audit set status = 'published' where load_id = any(%s)"
    conn.execute(publish, ([first.load_id, second.load_id],))
    build_models()

    observations = conn.execute(
        "select observation_key, source_kind, source, method, unit_code, admin_level, period_type,"
        " period_start::text, period_end::text, numerator, denominator, value, unit, load_id"
        " from intermediate.int_published_766_values"
        " union all select observation_key, source_kind, source, method, unit_code, admin_level, period_type,"
        " period_start::text, period_end::text, numerator, denominator, value, unit, load_id"
        " from intermediate.int_agency_report_values_current order by 1"
    ).fetchall()
    assert observations == [
        ("published|portal_published|household_fibre_rate|published|40|*|all|month|2025-09-01", "published",
         "portal_published", "published", "*", "all", "month", "2025-09-01", "2025-09-30", None, None, D("75.4"),
         "percent", second.load_id),
        ("published|portal_published|online_dossier_rate|published|40|*|province|quarter|2025-07-01", "published",
         "portal_published", "published", "*", "province", "quarter", "2025-07-01", "2025-09-30", D("669"),
         D("1000"), D("66.9"), "percent", first.load_id),
        ("reported|40.S14|household_fibre_rate|reported|40|*|all|month|2025-09-01", "reported", "40.S14",
         "reported", "*", "all", "month", "2025-09-01", "2025-09-30", None, None, D("76.6"), "percent", reported),
    ]  # fmt: skip


def test_the_sql_normalisation_agrees_with_the_python_one(conn, tmp_path, monkeypatch):
    texts = [
        "1. Tỷ lệ hộ gia đình có cáp quang (%)",
        unicodedata.normalize("NFD", "TỈ LỆ HỘ GIA ĐÌNH CÓ CÁP QUANG"),
        "2.1) Kỹ năng số   của\u00a0cán bộ",
        "Đường truyền – số liệu chuyên dùng; “4G”",
        "Tỷ trọng kinh tế số trong GRDP (GDP đối với cả nước)",
        "Quy trình, thủ tục: 100% xã",
        "ỦY BAN NHÂN DÂN huyện Mỹ Đức",
    ]
    aliases = tmp_path / "aliases.csv"
    aliases.write_text(
        "alias_text,indicator_code,note\n" + "".join(f'"{t}",household_fibre_rate,\n' for t in texts), encoding="utf-8"
    )
    project = dbt_project_copy(tmp_path / "dbt_project", aliases=aliases)
    monkeypatch.setenv("CDS_DBT_PROJECT_DIR", str(project))
    build_models("+int_agency_report_indicator_keys")
    keys = dict(conn.execute("select text_value, match_key from intermediate.int_agency_report_indicator_keys"))
    for text in texts:
        assert keys[text] == indicator_key(text), text
    with open(project / "seeds" / "indicators.csv", encoding="utf-8") as fh:
        for row in csv.DictReader(fh):
            assert keys[row["name_vi"]] == indicator_key(row["name_vi"])
