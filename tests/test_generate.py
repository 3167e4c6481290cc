"""The synthetic portal export follows its contract (sources/portal_dossiers.yml) and is reproducible."""

from __future__ import annotations

import csv
import hashlib
import re
import unicodedata
from collections import Counter
from datetime import date, datetime

import pytest
import yaml

from cds_devkit.synthetic import contract_columns, generate_portal_export
from cds_devkit.synthetic import export as synthetic_export
from cds_devkit.synthetic.reference_data import CCCD_PROVINCES, PROVINCES, read_admin_units
from cds_warehouse.cli import main as cds

ROWS = 20_000
COLUMNS = contract_columns()
FORMATS = yaml.safe_load(synthetic_export.CONTRACT_PATH.read_text(encoding="utf-8"))["format"]["timestamp_formats"]
OPEN = {"Đã tiếp nhận", "Đang xử lý", "Chờ bổ sung"}
FINISHED = {"Đã kết thúc", "Đã trả kết quả"}


def read_rows(path) -> list[dict[str, str]]:
    """Rows keyed by contract field name."""
    with open(path, encoding="utf-8-sig", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        assert header == [c["header"] for c in COLUMNS]
        return [dict(zip([c["name"] for c in COLUMNS], values, strict=True)) for values in reader]


def parse_timestamp(value: str) -> datetime | None:
    for fmt in FORMATS:
        try:
            return datetime.strptime(value, fmt)
        except ValueError:
            pass
    return None


def violations(row: dict[str, str]) -> list[str]:
    """Contract breaches of one row's non-personal columns."""
    found = []
    for column in COLUMNS:
        if column.get("pii"):
            continue
        name, value = column["name"], row[column["name"]]
        if value == "":
            if column.get("required"):
                found.append(f"{name}: missing")
            continue
        kind = column.get("type", "text")
        if kind == "integer" and not re.fullmatch(r"-?[0-9]+", value):
            found.append(f"{name}: not an integer")
        elif kind == "numeric" and not re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", value):
            found.append(f"{name}: not a number")
        elif kind == "timestamp" and parse_timestamp(value) is None:
            found.append(f"{name}: not a timestamp")
        elif "accepted" in column:
            accepted = {str(a) for a in column["accepted"]}
            if value not in accepted:
                found.append(f"{name}: {value!r} not accepted")
        if "pattern" in column and not re.fullmatch(column["pattern"], value):
            found.append(f"{name}: pattern")
    return found


@pytest.fixture(scope="module")
def export(tmp_path_factory):
    path = tmp_path_factory.mktemp("export") / "dossiers.csv"
    summary = generate_portal_export(path, ROWS)
    return summary, read_rows(path)


@pytest.fixture(scope="module")
def rows(export):
    return export[1]


def ts(value: str) -> datetime:
    return datetime.strptime(value, "%d/%m/%Y %H:%M:%S")


def test_header_is_the_contract_headers_in_order(export):
    summary, _ = export
    with open(summary.path, encoding="utf-8-sig", newline="") as f:
        assert next(csv.reader(f)) == [c["header"] for c in COLUMNS]


def test_bom_follows_flag(tmp_path):
    with_bom = generate_portal_export(tmp_path / "a.csv", 500)
    without = generate_portal_export(tmp_path / "b.csv", 500, bom=False)
    a, b = with_bom.path.read_bytes(), without.path.read_bytes()
    assert a.startswith(b"\xef\xbb\xbf")
    assert not b.startswith(b"\xef\xbb\xbf")
    assert a[3:] == b


def test_same_arguments_give_identical_files(tmp_path):
    first = generate_portal_export(tmp_path / "a.csv", 3_000, seed=7)
    second = generate_portal_export(tmp_path / "b.csv", 3_000, seed=7)
    other = generate_portal_export(tmp_path / "c.csv", 3_000, seed=8)
    assert first.sha256 == second.sha256 == hashlib.sha256(first.path.read_bytes()).hexdigest()
    assert other.sha256 != first.sha256
    assert first.rows == 3_000 and first.seconds >= 0


def test_every_row_follows_the_contract(rows):
    assert len(rows) == ROWS
    broken = [(i, v) for i, row in enumerate(rows, start=1) if (v := violations(row))]
    assert broken == []


def test_timestamps_are_written_with_seconds(rows):
    for name in ("received_at", "due_at", "finished_at", "updated_at"):
        assert all(re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d:\d\d", r[name]) for r in rows if r[name])


def test_dossier_codes_are_unique(rows):
    codes = [r["dossier_code"] for r in rows]
    assert len(set(codes)) == len(codes)
    assert all(r["dossier_code"].startswith(r["unit_code"] + "-") for r in rows)


def test_period_and_provinces(rows):
    received = [ts(r["received_at"]) for r in rows]
    assert min(received) >= datetime(2024, 1, 1) and max(received) < datetime(2025, 7, 1)
    volume = Counter(r["province_code"] for r in rows)
    assert volume["27"] > volume["40"] > volume["06"] > 0
    levels = Counter(r["admin_level"] for r in rows)
    assert levels["Xã"] > levels["Tỉnh"] > levels["Huyện"] > 0


def test_units_are_consistent_with_levels(rows):
    patterns = {"Tỉnh": r"\d\d\.S\d\d", "Huyện": r"\d\d\.H\d\d", "Xã": r"\d\d\.H\d\d\.X\d\d"}
    for r in rows:
        assert re.fullmatch(patterns[r["admin_level"]], r["unit_code"])
        assert r["unit_code"].startswith(r["province_code"] + ".")
    names = {r["unit_code"]: r["unit_name"] for r in rows}
    assert len(names) == len({(r["unit_code"], r["unit_name"]) for r in rows})


def test_due_and_finish_times_are_ordered(rows):
    for r in rows:
        received, updated = ts(r["received_at"]), ts(r["updated_at"])
        assert ts(r["due_at"]) >= received
        if r["finished_at"]:
            assert received <= ts(r["finished_at"]) <= updated
        assert updated >= received


def test_finished_is_blank_exactly_for_open_dossiers(rows):
    assert all((r["finished_at"] == "") == (r["status"] in OPEN) for r in rows)
    open_rows = [r for r in rows if r["status"] in OPEN]
    assert open_rows, "the last weeks of the period should leave some dossiers open"
    assert all(ts(r["received_at"]) >= datetime(2025, 1, 1) for r in open_rows)


def test_status_mix(rows):
    status = Counter(r["status"] for r in rows)
    assert (status["Đã trả kết quả"] + status["Đã kết thúc"]) / len(rows) > 0.9
    assert 0.004 < status["Đã rút"] / len(rows) < 0.02


def online_share(rows) -> float:
    return sum(r["channel"] == "2" for r in rows) / len(rows)


def test_online_share_higher_at_province_and_rising(rows):
    levels = ("Tỉnh", "Huyện", "Xã")
    by_level = {lv: online_share([r for r in rows if r["admin_level"] == lv]) for lv in levels}
    assert by_level["Tỉnh"] > by_level["Huyện"] > by_level["Xã"]
    province = [r for r in rows if r["admin_level"] == "Tỉnh"]
    first = online_share([r for r in province if r["received_at"][3:10] == "01/2024"])
    last = online_share([r for r in province if r["received_at"][3:10] == "06/2025"])
    assert 0.5 < first < last and last > 0.8


def test_channel_mix(rows):
    channel = Counter(r["channel"] for r in rows)
    assert 0.02 < channel["3"] / len(rows) < 0.04
    assert 0.01 < channel[""] / len(rows) < 0.03


def test_lateness_is_moderate_and_improving(rows):
    def late_share(year: str) -> float:
        done = [r for r in rows if r["status"] in FINISHED and r["received_at"][6:10] == year]
        return sum(ts(r["finished_at"]) > ts(r["due_at"]) for r in done) / len(done)

    assert 0.03 < late_share("2025") < late_share("2024") < 0.15


def test_dependent_columns(rows):
    for r in rows:
        if r["supplement_days"] != "0":
            assert int(r["supplement_count"]) > 0
        if r["online_payment"] != "0":
            assert int(r["fee_vnd"]) > 0
        if r["electronic_result"] == "1" or r["rating"]:
            assert r["status"] in FINISHED
    counts = Counter(r["supplement_count"] for r in rows)
    assert counts["0"] > 0.85 * len(rows) and counts["1"] > counts["2"] > 0
    assert 0 < sum(r["complaint"] == "1" for r in rows) / len(rows) < 0.02


def test_procedures_are_consistent(rows):
    by_code = {}
    for r in rows:
        attributes = (
            r["procedure_name"],
            r["service_level"],
            r["fee_vnd"],
            r["paper_result"],
            r["admin_level"],
        )
        assert by_code.setdefault(r["procedure_code"], attributes) == attributes
        assert re.fullmatch(r"[12]\.\d{6}", r["procedure_code"])
    assert 40 <= len(by_code) <= 70
    fees = {int(a[2]) for a in by_code.values()}
    assert 0 in fees and all(f == 0 or 10_000 <= f <= 500_000 for f in fees)


def test_personal_data_looks_real(rows):
    for r in rows:
        assert unicodedata.is_normalized("NFC", r["applicant_name"])
        assert len(r["applicant_name"].split()) >= 3
        assert r["applicant_id_hash"] == "" or re.fullmatch(r"0\d{11}", r["applicant_id_hash"])
        assert r["applicant_phone_hash"] == "" or re.fullmatch(r"0[35789]\d{8}", r["applicant_phone_hash"])
        assert r["applicant_address"].endswith(
            {"27": "tỉnh Bắc Ninh", "06": "tỉnh Bắc Kạn", "40": "tỉnh Nghệ An"}[r["province_code"]]
        )
    with_name = sum(r["applicant_name"] in r["summary"] for r in rows)
    assert with_name / len(rows) > 0.4
    own_province = sum(r["applicant_id_hash"][1:3] == r["province_code"] for r in rows)
    assert own_province / len(rows) > 0.8


def test_bad_and_duplicate_rows(tmp_path, monkeypatch):
    # Small chunks so that defects fall into several chunks.
    monkeypatch.setattr(synthetic_export, "CHUNK_ROWS", 4_000)
    summary = generate_portal_export(tmp_path / "bad.csv", ROWS, bad_rows=40, duplicate_rows=25)
    rows = read_rows(summary.path)
    broken = [i for i, row in enumerate(rows, start=1) if violations(row)]
    assert broken == [b.row for b in summary.bad_rows]
    assert len(broken) == 40
    assert {b.column for b in summary.bad_rows} == {"received_at", "channel", "dossier_code"}
    for bad in summary.bad_rows:
        assert len(violations(rows[bad.row - 1])) == 1
    codes = [r["dossier_code"] for r in rows if r["dossier_code"]]
    assert len(codes) - len(set(codes)) == 25 == len(summary.duplicate_rows)
    repeated = {c for c, k in Counter(codes).items() if k > 1}
    assert all(rows[i - 1]["dossier_code"] in repeated for i in summary.duplicate_rows)


def test_defect_positions_are_deterministic(tmp_path):
    a = generate_portal_export(tmp_path / "a.csv", 2_000, bad_rows=8, duplicate_rows=4)
    b = generate_portal_export(tmp_path / "b.csv", 2_000, bad_rows=8, duplicate_rows=4)
    assert a.sha256 == b.sha256 and a.bad_rows == b.bad_rows and a.duplicate_rows == b.duplicate_rows


def test_province_subset_and_arguments(tmp_path):
    rows = read_rows(generate_portal_export(tmp_path / "06.csv", 1_000, provinces=("06",)).path)
    assert {r["province_code"] for r in rows} == {"06"}
    with pytest.raises(ValueError):
        generate_portal_export(tmp_path / "x.csv", 10, start=date(2025, 1, 1), months=12)
    with pytest.raises(ValueError):
        generate_portal_export(tmp_path / "x.csv", 10, provinces=("01",))


def test_command_line(tmp_path, capsys):
    out = tmp_path / "cli.csv"
    cds(["generate", str(out), "--rows", "300", "--seed", "3", "--no-bom"])
    printed = capsys.readouterr().out
    assert hashlib.sha256(out.read_bytes()).hexdigest() in printed
    assert not out.read_bytes().startswith(b"\xef\xbb\xbf")


# Exports written before the reference lists became data files: the same arguments give the same bytes.
PINNED = [
    (
        {"rows": 3000, "seed": 2025, "bad_rows": 5, "duplicate_rows": 3},
        "fadebd82e63826cda406d97911f697c3ff70533080bbcbdacba9506f1cf11b22",
    ),
    (
        {"rows": 2000, "seed": 11, "provinces": ("40", "06")},
        "30be45add34ed714201b57daaed1a84b4c3d1bf44f1968c247a490e245d3459b",
    ),
]


@pytest.mark.parametrize(("arguments", "sha256"), PINNED)
def test_export_bytes_are_pinned(tmp_path, arguments, sha256):
    summary = generate_portal_export(tmp_path / "pinned.csv", **arguments)
    assert summary.sha256 == hashlib.sha256(summary.path.read_bytes()).hexdigest() == sha256


def test_admin_units_come_from_the_dbt_seed():
    """Province and district names are the seed's (dbt_project/seeds/admin_units.csv), not a second list."""
    seed = [u for u in read_admin_units() if u["valid_to"] == "2025-06-30"]
    names = {(u["level"], u["name_vi"]) for u in seed}
    for spec in PROVINCES.values():
        assert ("province", f"Tỉnh {spec.name}") in names
        for district in spec.districts:
            assert ("district", f"{district.kind[0].upper()}{district.kind[1:]} {district.name}") in names
    assert len({d.name for spec in PROVINCES.values() for d in spec.districts}) == sum(
        u["level"] == "district" for u in seed
    )
    assert list(CCCD_PROVINCES) == sorted(int(u["unit_code"]) for u in seed if u["level"] == "province")
