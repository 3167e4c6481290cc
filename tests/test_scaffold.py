"""`cds add-source`: a new source scaffolded from a sample file the repository does not hold, into a copy of the
project; its YAML read by the loader's reader, its raw table made and loaded by the real loader, its batch gated
by its own checkpoint, its staging model built by dbt."""

from __future__ import annotations

import datetime as dt
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from conftest import ROOT
from openpyxl import Workbook

from cds_warehouse import quality, sources
from cds_warehouse.cli import main
from cds_warehouse.landing import land
from cds_warehouse.load import load_file
from cds_warehouse.scaffold import ScaffoldError, add_source

CERTIFICATES = "digital_signature_certificates"
ONE_STOP = "one_stop_usage"


def project_copy(copy: Path, monkeypatch, dbt_project: Path | None = None) -> Path:
    """A copy of the places a source lives (not the repository: the scaffold writes into the copy), read by
    the loader's source reader and the quality gate in place of the package's own; the dbt project copied
    whole, or ``dbt_project`` (a smaller project) moved in. The caller clears load_source's cache after."""
    for part in ("src/cds_warehouse/sources", "src/cds_warehouse/sql", "expectations", "docs/sources"):
        shutil.copytree(ROOT / part, copy / part)
    if dbt_project is None:
        ignore = shutil.ignore_patterns("target", "target_*", "logs", "dbt_packages")
        shutil.copytree(ROOT / "dbt_project", copy / "dbt_project", ignore=ignore)
    else:
        shutil.move(dbt_project, copy / "dbt_project")
    monkeypatch.setenv("CDS_SCAFFOLD_ROOT", str(copy))
    monkeypatch.setattr(sources, "SOURCES_DIR", copy / "src" / "cds_warehouse" / "sources")
    monkeypatch.setattr(quality, "EXPECTATIONS_DIR", copy / "expectations")
    monkeypatch.setattr(sources, "EXPECTATIONS_DIR", copy / "expectations")
    sources.load_source.cache_clear()
    return copy


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    yield project_copy(tmp_path / "project", monkeypatch)
    sources.load_source.cache_clear()


def certificates_csv(path: Path) -> Path:
    """A monthly count of digital signature certificates issued per agency, as an agency sends it."""
    path.write_text(
        "Tháng,Mã đơn vị,Tên đơn vị,Số chứng thư số cấp mới,Số chứng thư số gia hạn,Tỷ lệ ký số (%),"
        "Người phụ trách,Số điện thoại liên hệ,Ghi chú,Ngày báo cáo\n"
        '01/2025,000.00.01.H04,Sở Nội vụ,12,3,"85,5",Nguyễn Văn An,0912345678,Đã cấp đủ,05/02/2025\n'
        '01/2025,000.00.02.H04,Sở Tài chính,0,1,"90",Trần Thị Bình,0987 654 321,,05/02/2025 09:30\n'
        '02/2025,000.00.01.H04,Sở Nội vụ,"1.200",0,"91,25",Nguyễn Văn An,0912345678,,06/03/2025\n',
        encoding="utf-8-sig",
    )
    return path


def one_stop_xlsx(path: Path) -> Path:
    """One-stop-shop system usage per agency, as a workbook with a title block above its table."""
    book = Workbook()
    sheet = book.active
    sheet.append(["UBND TỈNH BẮC NINH"])
    sheet.append(["BÁO CÁO SỬ DỤNG HỆ THỐNG MỘT CỬA ĐIỆN TỬ"])
    sheet.append([])
    sheet.append(
        [
            "Mã tỉnh",
            "Đơn vị",
            "Số tài khoản hoạt động",
            "Số hồ sơ xử lý trên hệ thống",
            "Tỷ lệ sử dụng",
            "Họ và tên cán bộ đầu mối",
            "Số CCCD cán bộ",
            "Địa chỉ liên hệ",
            "Cập nhật lúc",
        ]
    )
    sheet.append(
        [
            "06",
            "UBND huyện Ba Bể",
            45,
            1520,
            0.875,
            "Hoàng Văn Cường",
            "006099001234",
            "Thị trấn Chợ Rã",
            dt.datetime(2025, 6, 30, 17, 0),
        ]
    )
    sheet.append(
        [
            "06",
            "UBND huyện Na Rì",
            38,
            980,
            0.9,
            "Lý Thị Dung",
            "006099005678",
            "Thị trấn Yến Lạc",
            dt.datetime(2025, 6, 30, 16, 45),
        ]
    )
    book.save(path)
    return path


def test_a_csv_sample_gives_a_source_with_inferred_types_and_flagged_personal_data(project, tmp_path):
    written = add_source(CERTIFICATES, certificates_csv(tmp_path / "cks_thang.csv"))

    relative = sorted(str(p.relative_to(project)) for p in written)
    assert relative == sorted(
        [
            f"src/cds_warehouse/sources/{CERTIFICATES}.yml",
            f"src/cds_warehouse/sql/030_raw_{CERTIFICATES}.sql",  # after 010, 015, 020
            f"expectations/suites/raw_{CERTIFICATES}.yml",
            f"expectations/checkpoints/raw_{CERTIFICATES}_batch.yml",
            f"dbt_project/models/staging/{CERTIFICATES}/stg_{CERTIFICATES}__rows.sql",
            f"dbt_project/models/staging/{CERTIFICATES}/_{CERTIFICATES}__models.yml",
            f"dbt_project/models/staging/{CERTIFICATES}/_{CERTIFICATES}__sources.yml",
            f"docs/sources/{CERTIFICATES}.md",
        ]
    )
    spec = sources.load_source(CERTIFICATES)
    assert spec.raw_table == f"raw.{CERTIFICATES}"
    columns = {c.header: (c.name, c.type, c.required, c.pii) for c in spec.columns}
    assert columns == {
        "Tháng": ("thang", "text", True, None),
        "Mã đơn vị": ("ma_don_vi", "text", True, None),
        "Tên đơn vị": ("ten_don_vi", "text", True, None),
        "Số chứng thư số cấp mới": ("so_chung_thu_so_cap_moi", "integer", True, None),  # "1.200" is 1200
        "Số chứng thư số gia hạn": ("so_chung_thu_so_gia_han", "integer", True, None),
        "Tỷ lệ ký số (%)": ("ty_le_ky_so_pct", "numeric", True, None),  # decimal comma
        "Người phụ trách": ("nguoi_phu_trach", "text", False, "drop"),
        "Số điện thoại liên hệ": ("so_dien_thoai_lien_he", "text", False, "hash"),
        "Ghi chú": ("ghi_chu", "text", False, "drop"),
        "Ngày báo cáo": ("ngay_bao_cao", "timestamp", True, None),
    }
    text = (project / f"src/cds_warehouse/sources/{CERTIFICATES}.yml").read_text(encoding="utf-8")
    decided = [line for line in text.splitlines() if line.startswith("  # DECIDE: personal data?")]
    assert len(decided) == 3 and "the header names a phone number. `pii: drop` never stores it" in text
    declared = yaml.safe_load(text)
    assert declared["landing"] == {"folder": CERTIFICATES, "patterns": ["*.csv", "*.xlsx"], "after_load": "archive"}
    assert declared["checkpoint"] == f"raw_{CERTIFICATES}_batch"
    assert declared["freshness"]["loaded_at_field"] == "loaded_at"
    assert (project / f"expectations/checkpoints/{declared['checkpoint']}.yml").exists()
    doc = (project / f"docs/sources/{CERTIFICATES}.md").read_text(encoding="utf-8")
    assert "fct_indicator_observation" in doc and "| Người phụ trách | — | text |  | dropped (DECIDE) |" in doc


def test_an_xlsx_sample_with_a_title_block_gives_its_columns_and_personal_data(project, tmp_path, conn):
    add_source(ONE_STOP, one_stop_xlsx(tmp_path / "mot_cua.xlsx"), entity="agency_months")

    spec = sources.load_source(ONE_STOP)
    columns = {c.name: (c.type, c.pii, c.digits) for c in spec.columns}
    assert columns == {
        "ma_tinh": ("text", None, 2),  # "06": a code, its leading zero kept
        "don_vi": ("text", None, None),
        "so_tai_khoan_hoat_dong": ("integer", None, None),
        "so_ho_so_xu_ly_tren_he_thong": ("integer", None, None),
        "ty_le_su_dung": ("numeric", None, None),
        "ho_va_ten_can_bo_dau_moi": ("text", "drop", None),
        "so_cccd_can_bo": ("text", "hash", 12),
        "dia_chi_lien_he": ("text", "drop", None),
        "cap_nhat_luc": ("timestamp", None, None),
    }
    model = project / f"dbt_project/models/staging/{ONE_STOP}/stg_{ONE_STOP}__agency_months.sql"
    assert "so_cccd_can_bo" in model.read_text() and "ho_va_ten_can_bo_dau_moi" not in model.read_text()

    # the workbook itself loads into the scaffolded raw table, title block skipped, personal data removed
    ddl = next((project / "src/cds_warehouse/sql").glob(f"*_raw_{ONE_STOP}.sql"))
    conn.execute(f"drop table if exists raw.{ONE_STOP}")
    conn.execute(ddl.read_text(encoding="utf-8"))
    result = load_file(tmp_path / "mot_cua.xlsx", source=ONE_STOP)
    assert (result.status, result.rows_loaded, result.rows_rejected) == ("loaded", 2, 0)
    rows = conn.execute(
        f"select ma_tinh, so_ho_so_xu_ly_tren_he_thong, ty_le_su_dung, cap_nhat_luc::text, so_cccd_can_bo"
        f" from raw.{ONE_STOP} order by source_row"
    ).fetchall()
    assert [r[:4] for r in rows] == [
        ("06", 1520, Decimal("0.875"), "2025-06-30 17:00:00"),
        ("06", 980, Decimal("0.9"), "2025-06-30 16:45:00"),
    ]
    assert all(len(r[4]) == 32 and not r[4].startswith("0060") for r in rows)  # the ID number, keyed-hashed
    stored = {
        r[0]
        for r in conn.execute(
            "select column_name from information_schema.columns where table_schema = 'raw' and table_name = %s",
            (ONE_STOP,),
        ).fetchall()
    }
    assert not stored & {"ho_va_ten_can_bo_dau_moi", "dia_chi_lien_he"}


def test_nothing_is_overwritten_and_nothing_is_written_when_one_file_exists(project, tmp_path):
    sample = certificates_csv(tmp_path / "cks.csv")
    first = add_source(CERTIFICATES, sample)
    before = {p: p.read_bytes() for p in first}
    with pytest.raises(ScaffoldError, match="exist already"):
        add_source(CERTIFICATES, sample)
    assert {p: p.read_bytes() for p in first} == before
    assert len(list((project / "src/cds_warehouse/sql").glob(f"*_raw_{CERTIFICATES}.sql"))) == 1

    (project / f"docs/sources/{ONE_STOP}.md").write_text("a page someone wrote\n", encoding="utf-8")
    with pytest.raises(ScaffoldError, match=f"docs/sources/{ONE_STOP}.md"):
        add_source(ONE_STOP, one_stop_xlsx(tmp_path / "mot_cua.xlsx"))
    assert not (project / f"src/cds_warehouse/sources/{ONE_STOP}.yml").exists()
    assert not (project / f"dbt_project/models/staging/{ONE_STOP}").exists()


def test_the_cds_command_writes_the_source(project, tmp_path, capsys):
    main(["add-source", CERTIFICATES, "--sample", str(certificates_csv(tmp_path / "cks.csv"))])
    out = capsys.readouterr().out
    assert f"src/cds_warehouse/sources/{CERTIFICATES}.yml" in out and "DECIDE" in out
    with pytest.raises(SystemExit, match="exist already"):
        main(["add-source", CERTIFICATES, "--sample", str(tmp_path / "cks.csv")])


def test_a_scaffolded_source_lands_and_is_gated_by_its_own_yaml(project, tmp_path, conn, monkeypatch):
    """With no hand-written code: the raw table from the scaffolded DDL, a file through the landing routine,
    the batch through the checkpoint its YAML names. (The DAG run that takes such a source to staging is
    tests/test_agency_reports_dag.py.)"""
    add_source(CERTIFICATES, certificates_csv(tmp_path / "cks.csv"))
    apply_scaffolded_ddl(conn, project, CERTIFICATES)

    monkeypatch.setenv("CDS_LANDING_DIR", str(tmp_path / "landing"))
    folder = tmp_path / "landing" / CERTIFICATES
    folder.mkdir(parents=True)
    certificates_csv(folder / "cks_2025_02.csv")
    landed = land(CERTIFICATES)
    assert landed["failed"] == [] and landed["quarantined"] == []
    (entry,) = landed["published"]
    load_id = entry["load_id"]
    assert [p.name for p in (folder / "archive").iterdir()] == [f"{load_id}_cks_2025_02.csv"]
    audit = conn.execute("select rows_loaded, rows_rejected, status from raw.load_audit where load_id = %s", (load_id,))
    assert audit.fetchone() == (3, 0, "published")
    raw = conn.execute(
        f"select so_chung_thu_so_cap_moi, ty_le_ky_so_pct, so_dien_thoai_lien_he from raw.{CERTIFICATES}"
        " order by source_row"
    ).fetchall()
    assert [r[:2] for r in raw] == [(12, 85.5), (0, 90), (1200, 91.25)]
    assert raw[0][2] == raw[2][2] and len(raw[0][2]) == 32  # the phone, keyed-hashed, joinable
    columns = {
        r[0]
        for r in conn.execute(
            "select column_name from information_schema.columns where table_name = %s", (CERTIFICATES,)
        ).fetchall()
    }
    assert not columns & {"nguoi_phu_trach", "ghi_chu"}  # dropped personal data has no column


def apply_scaffolded_ddl(conn, project: Path, name: str) -> None:
    """The scaffolded raw table made in the test database (set-up applies the package's own sql/ files)."""
    ddl = next((project / "src/cds_warehouse/sql").glob(f"*_raw_{name}.sql"))
    conn.execute(f"drop table if exists raw.{name}")
    conn.execute(ddl.read_text(encoding="utf-8"))
