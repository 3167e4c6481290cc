"""Long work shows progress: a file load and an API pull log what they have read and how fast, every
CDS_PROGRESS_SECONDS (set low here), through their loggers and on the command line, without personal data."""

from __future__ import annotations

import csv
import logging
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

import cds_warehouse.load.copying as copy_module
from cds_devkit.portal_server import PortalDataset, PortalServer
from cds_devkit.synthetic import generate_portal_export
from cds_warehouse.extract import ingest_api
from cds_warehouse.extract.portal_api import PortalConfig
from cds_warehouse.load import load_file
from cds_warehouse.load.progress import DEFAULT_SECONDS, progress_seconds

FILE_LINE = re.compile(
    r"^(?P<name>\S+): (?P<rows>[\d,]+) rows read \((?P<rate>[\d,]+) rows/s\),"
    r" (?P<mb>[\d,.]+) of (?P<total>[\d,.]+) MB \((?P<share>\d+)%\) in \d+ s(?P<step>; [a-z' ;,()]+)?$"
)
API_LINE = re.compile(
    r"^(?P<portal>\S+): load (?P<load>\d+|\(not opened yet\)): (?P<rows>[\d,]+) versions read"
    r" \((?P<rate>[\d,]+) versions/s\), (?P<pages>[\d,]+) pages in \d+ s$"
)


def _number(text: str) -> float:
    return float(text.replace(",", ""))


def _personal_values(export: Path) -> set[str]:
    with export.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    columns = ("Họ tên người nộp", "Số CCCD", "Số điện thoại")
    return {row[c] for row in rows for c in columns if row[c]}


@pytest.fixture(scope="module")
def export(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("progress") / "dossiers.csv"
    generate_portal_export(path, rows=20_000, seed=5)
    return path


def test_the_interval_is_a_setting_of_ten_seconds_by_default(monkeypatch):
    monkeypatch.delenv("CDS_PROGRESS_SECONDS", raising=False)
    assert progress_seconds() == DEFAULT_SECONDS == 10
    monkeypatch.setenv("CDS_PROGRESS_SECONDS", "0.5")
    assert progress_seconds() == 0.5
    for wrong in ("ten", "0", "-1"):
        monkeypatch.setenv("CDS_PROGRESS_SECONDS", wrong)
        with pytest.raises(RuntimeError, match="CDS_PROGRESS_SECONDS"):
            progress_seconds()


def test_a_file_load_logs_rows_rate_and_megabytes_read_without_personal_data(conn, export, monkeypatch, caplog):
    monkeypatch.setenv("CDS_PROGRESS_SECONDS", "0.02")
    monkeypatch.setattr(copy_module, "CHUNK_BYTES", 1 << 18)  # many pieces: the counts move during the load
    with caplog.at_level(logging.INFO, logger="cds_warehouse.load"):
        result = load_file(export)

    assert result.rows_loaded == 20_000
    lines = [r.getMessage() for r in caplog.records if r.name == "cds_warehouse.load.file" and "rows read" in r.message]
    assert len(lines) >= 3
    parsed = [FILE_LINE.match(line) for line in lines]
    assert all(parsed), [line for line, m in zip(lines, parsed, strict=True) if not m]
    size_mb = export.stat().st_size / 2**20
    assert {m["name"] for m in parsed} == {"dossiers.csv"}
    assert all(abs(_number(m["total"]) - size_mb) < 0.1 for m in parsed)
    rows = [_number(m["rows"]) for m in parsed]
    assert rows == sorted(rows) and rows[-1] <= 20_000
    assert any(r > 0 for r in rows), "no line was written while the rows were read"
    assert all(0 <= int(m["share"]) <= 100 for m in parsed)
    assert not [line for line in lines for value in _personal_values(export) if value in line]


def test_cds_load_shows_the_progress_on_the_terminal(conn, export, tmp_path):
    copy = tmp_path / "again.csv"
    copy.write_bytes(export.read_bytes() + b"\r\n")  # other content: loaded, not skipped as seen before
    cds = Path(sys.executable).parent / "cds"
    env = {**os.environ, "CDS_PROGRESS_SECONDS": "0.05"}
    done = subprocess.run([str(cds), "load", str(copy)], env=env, capture_output=True, text=True, timeout=300)

    assert done.returncode == 0, done.stderr[-2000:]
    lines = [line.partition(": ")[2] for line in done.stderr.splitlines() if "rows read (" in line]
    assert lines and all(FILE_LINE.match(line) for line in lines), done.stderr[-2000:]
    assert "status='loaded'" in done.stdout


def test_an_api_pull_logs_versions_rate_and_pages(conn, monkeypatch, caplog):
    monkeypatch.setenv("CDS_PROGRESS_SECONDS", "0.01")
    dataset = PortalDataset.generate(rows=1500, seed=31)
    with PortalServer(dataset, token="progress-token") as server, caplog.at_level(logging.INFO):
        result = ingest_api(PortalConfig(server.url, "progress-token"), page_size=50, lag=timedelta(0))

    assert result.rows_read == len(dataset)
    lines = [r.getMessage() for r in caplog.records if "versions read" in r.message]
    parsed = [API_LINE.match(line) for line in lines]
    assert lines and all(parsed), lines
    pages = [_number(m["pages"]) for m in parsed]
    assert pages == sorted(pages) and pages[-1] <= result.pages
    assert any(m["load"] == str(result.load_id) for m in parsed)
