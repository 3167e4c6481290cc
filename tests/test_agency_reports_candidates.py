"""Candidate indicators for report rows the catalog does not match (agency_reports.candidates): ranked
against the real catalog and aliases, after the parser's folding; and what accepting one writes to the
alias seed. No database; the dbt run and the accept command: tests/test_agency_reports_dbt.py."""

from __future__ import annotations

import pytest

from cds_warehouse.agency_reports.candidates import MIN_SCORE, TOP, comparable, rank, read_catalog
from cds_warehouse.agency_reports.text import indicator_key
from cds_warehouse.settings import DBT_PROJECT_DIR


@pytest.fixture(scope="module")
def catalog():
    return read_catalog(DBT_PROJECT_DIR)


def candidates(catalog, text, unit_kind="percent"):
    rows = rank([(indicator_key(text), unit_kind)], catalog)
    return [(code, score) for _, _, _, code, score in rows]


@pytest.mark.parametrize(
    ("text", "indicator"),
    [
        ("Tỷ lệ hồ sơ TTHC xử lý trực tuyến", "online_dossier_rate"),
        ("Tỷ lệ số hóa hồ sơ, kết quả giải quyết TTHC", "dossier_result_digitization_rate"),
        ("Tỷ lệ CB, CC, VC được bồi dưỡng kỹ năng số", "officials_digital_skills_trained_share"),
        ("Tỷ lệ CSDL dùng chung được triển khai trên điện toán đám mây", "shared_databases_on_cloud_share"),
    ],
)
def test_a_department_s_own_words_rank_the_catalog_indicator_first(catalog, text, indicator):
    ranked = candidates(catalog, text)
    assert ranked[0][0] == indicator
    assert 1 <= len(ranked) <= TOP
    assert [score for _, score in ranked] == sorted((score for _, score in ranked), reverse=True)
    assert len({code for code, _ in ranked}) == len(ranked)  # an indicator once, by its closest name


def test_a_text_the_catalog_does_not_have_gets_no_guess(catalog):
    assert candidates(catalog, "Số cuộc họp trực tuyến đã tổ chức", "other") == []
    assert candidates(catalog, "Số lượt truy cập cổng thông tin điện tử tỉnh", None) == []


def test_a_unit_of_another_kind_ranks_an_indicator_lower(catalog):
    text = "Tỷ lệ hồ sơ TTHC xử lý trực tuyến"
    as_percent = dict(candidates(catalog, text, "percent"))["online_dossier_rate"]
    assert dict(candidates(catalog, text, "other")).get("online_dossier_rate", 0) < as_percent
    assert dict(candidates(catalog, text, None))["online_dossier_rate"] == as_percent  # no unit: no penalty
    assert as_percent >= MIN_SCORE


def test_abbreviations_are_spelled_out_after_the_parser_s_folding():
    assert comparable("Tỉ lệ hồ sơ TTHC") == "ti le ho so thu tuc hanh chinh"
    assert comparable("1. Tỷ lệ CSDL") == "ti le co so du lieu"


def test_texts_dbt_matches_exactly_need_no_candidates(catalog):
    # a catalog name, a code and an alias, as the lookup model keys them; not a text it does not know
    for text in ("Tỷ lệ hồ sơ giải quyết trực tuyến", "online_dossier_rate", "Tỷ lệ hồ sơ trực tuyến"):
        assert indicator_key(text) in catalog.known_keys, text
    assert indicator_key("Tỷ lệ hồ sơ TTHC xử lý trực tuyến") not in catalog.known_keys


def test_accepting_writes_one_alias_line_and_refuses_what_it_cannot_accept(tmp_path, monkeypatch):
    from cds_warehouse.agency_reports.accept import ReviewError, _append_alias, _candidate

    seeds = tmp_path / "seeds"
    seeds.mkdir()
    (seeds / "indicators.csv").write_bytes((DBT_PROJECT_DIR / "seeds" / "indicators.csv").read_bytes())
    (seeds / "indicator_aliases.csv").write_text(
        "alias_text,indicator_code,note\nTỷ lệ hồ sơ trực tuyến,online_dossier_rate,", encoding="utf-8"
    )
    monkeypatch.setenv("CDS_DBT_PROJECT_DIR", str(tmp_path))

    assert _candidate("online_dossier_rate, on_time_rate", 2, "1|1|7") == "on_time_rate"
    with pytest.raises(ReviewError, match="has 2 candidate"):
        _candidate("online_dossier_rate, on_time_rate", 3, "1|1|7")
    with pytest.raises(ReviewError, match="not an indicator of the catalog"):
        _append_alias("Tỷ lệ CSDL dùng chung", "no_such_code", "n")
    with pytest.raises(ReviewError, match="already an alias of online_dossier_rate"):
        _append_alias("TỈ LỆ HỒ SƠ TRỰC TUYẾN", "on_time_rate", "n")  # the same text, folded
    _append_alias("Tỷ lệ CSDL dùng chung, trên đám mây", "shared_databases_on_cloud_share", "accepted")
    assert (seeds / "indicator_aliases.csv").read_text(encoding="utf-8").splitlines()[1:] == [
        "Tỷ lệ hồ sơ trực tuyến,online_dossier_rate,",  # the hand-edited last line kept whole
        '"Tỷ lệ CSDL dùng chung, trên đám mây",shared_databases_on_cloud_share,accepted',
    ]
