"""The portal's landing folder has the agency folders' life cycle: a loaded file goes to archive/, a refused
one to failed/ with a reason file, a symbolic link is refused and never followed, a file name is shown
escaped, and a second loader of a file another run is loading says so plainly and leaves it alone.

The exports themselves hold applicants' data in clear text (that is what a portal delivers), so the leak
scan looks at the database, the server log, the logs and the reason files, not at the moved exports."""

from __future__ import annotations

import logging
import threading
from pathlib import Path

import pytest
from conftest import write_export
from leaks import LeakScan, applicants, personal_values

import cds_warehouse.load.copying as copy_module
import cds_warehouse.load.file as file_module
from cds_warehouse.landing import gate, ingest, raise_for_failed_files
from cds_warehouse.sources import load_source

SOURCE = "portal_dossiers"


@pytest.fixture
def landing(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("CDS_LANDING_DIR", str(tmp_path))
    folder = tmp_path / SOURCE
    folder.mkdir()
    return folder


def files_in(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []


def reason_texts(folder: Path) -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted((folder / "failed").glob("*.reason.txt"))]


def raw_rows(conn) -> tuple[int, int]:
    """(rows, distinct (load_id, source_row)) in raw.portal_dossier: equal when nothing is duplicated."""
    return conn.execute("select count(*), count(distinct (load_id, source_row)) from raw.portal_dossier").fetchone()


def test_a_loaded_file_is_archived_and_not_read_again_the_next_night(conn, landing, monkeypatch, caplog):
    rows = applicants(3, "ARC")
    write_export(landing / "export.csv", rows)
    scan = LeakScan(conn)
    caplog.set_level(logging.INFO)

    first = ingest(SOURCE)

    (load_id,) = first["load_ids"]
    assert first["failed"] == []
    assert files_in(landing) == ["archive"]
    assert files_in(landing / "archive") == [f"{load_id}_export.csv"]
    assert raw_rows(conn) == (3, 3)

    hashed = []
    real = file_module.file_sha256
    monkeypatch.setattr(file_module, "file_sha256", lambda path: hashed.append(path) or real(path))
    second = ingest(SOURCE)
    assert hashed == [], "an archived file was read again"
    assert second == {"load_ids": [load_id], "failed": []}  # the batch still awaits its gate; nothing new
    assert raw_rows(conn) == (3, 3)
    assert conn.execute("select count(*) from raw.load_audit").fetchone()[0] == 1
    scan.assert_clean(conn, personal_values(rows), caplog.text)


def test_a_file_dropped_again_after_loading_is_archived_without_a_second_batch(conn, landing):
    rows = applicants(2, "AGAIN")
    write_export(landing / "export.csv", rows)
    scan = LeakScan(conn)
    (load_id,) = ingest(SOURCE)["load_ids"]
    write_export(landing / "export.csv", rows)  # the same content, delivered twice

    assert ingest(SOURCE) == {"load_ids": [load_id], "failed": []}
    assert files_in(landing) == ["archive"] and files_in(landing / "archive") == [f"{load_id}_export.csv"]
    assert raw_rows(conn) == (2, 2)
    scan.assert_clean(conn, personal_values(rows))


def test_a_refused_file_goes_to_failed_with_its_reason_and_the_next_night_is_green(conn, landing, caplog):
    good, bad = applicants(2, "GOOD"), applicants(2, "BAD")
    write_export(landing / "good.csv", good)
    # an export saved by Excel in a locale that separates with ';': unreadable as the contract's CSV
    with (landing / "semicolons.csv").open("w", encoding="utf-8") as fh:
        fh.write(";".join(load_source(SOURCE).headers) + "\n")
        for row in bad:
            fh.write(";".join(row.values()) + "\n")
    scan = LeakScan(conn)
    caplog.set_level(logging.INFO)

    night = ingest(SOURCE)

    assert len(night["failed"]) == 1 and night["failed"][0].startswith("semicolons.csv: ")
    assert files_in(landing) == ["archive", "failed"]
    assert files_in(landing / "failed") == ["semicolons.csv", "semicolons.csv.reason.txt"]
    (reason,) = reason_texts(landing)
    assert "required columns missing" in reason and "separated by ';'" in reason
    assert raw_rows(conn) == (2, 2)
    with pytest.raises(RuntimeError, match="semicolons.csv"):
        raise_for_failed_files(night["failed"])

    next_night = ingest(SOURCE)
    assert next_night["failed"] == []
    raise_for_failed_files(next_night["failed"])  # green: the refused file is not tried again
    assert conn.execute("select count(*) from raw.load_audit").fetchone()[0] == 2  # one failed, one loaded
    scan.assert_clean(conn, personal_values(good + bad), caplog.text, reason, *night["failed"])


def test_a_symbolic_link_is_refused_and_not_followed(conn, landing, tmp_path, caplog):
    rows = applicants(2, "LINK")
    elsewhere = write_export(tmp_path / "outside.csv", rows)
    (landing / "linked.csv").symlink_to(elsewhere)
    scan = LeakScan(conn)
    caplog.set_level(logging.INFO)

    night = ingest(SOURCE)

    assert night["load_ids"] == [] and len(night["failed"]) == 1
    assert "linked.csv" in night["failed"][0] and "symbolic link" in night["failed"][0]
    assert raw_rows(conn) == (0, 0)  # nothing read through the link
    assert conn.execute("select count(*) from raw.load_audit").fetchone()[0] == 0
    moved = landing / "failed" / "linked.csv"
    assert moved.is_symlink() and elsewhere.read_bytes()  # the link itself moved; its target untouched
    (reason,) = reason_texts(landing)
    assert "symbolic link" in reason
    assert ingest(SOURCE)["failed"] == []
    scan.assert_clean(conn, personal_values(rows), caplog.text, reason)


def test_a_file_name_with_a_newline_is_shown_escaped_on_one_line(conn, landing, caplog):
    rows = applicants(2, "NAME")
    write_export(landing / "export\nERROR forged line.csv", rows)
    (landing / "other\r\nfile.csv").write_text("not,a,dossier,export\n1,2,3,4\n", encoding="utf-8")
    scan = LeakScan(conn)
    caplog.set_level(logging.INFO)

    night = ingest(SOURCE)

    messages = [r.getMessage() for r in caplog.records]
    assert any("export\\nERROR forged line.csv" in m for m in messages)
    assert not any("export\nERROR" in m or "other\r\nfile" in m for m in messages)
    (failed,) = night["failed"]
    assert failed.startswith("other\\r\\nfile.csv: ") and "\n" not in failed and "\r" not in failed
    with pytest.raises(RuntimeError) as verdict:
        raise_for_failed_files(night["failed"])
    assert str(verdict.value).splitlines()[1:] == [failed]  # one line per file
    names = [r[0] for r in conn.execute("select file_name from raw.load_audit order by load_id")]
    assert names == ["export\\nERROR forged line.csv", "other\\r\\nfile.csv"]
    (reason,) = reason_texts(landing)
    assert reason.splitlines()[0].startswith("other\\r\\nfile.csv (")
    assert raw_rows(conn) == (2, 2)
    scan.assert_clean(conn, personal_values(rows), caplog.text, reason)


def test_a_second_loader_of_the_same_file_says_so_and_leaves_the_first_alone(conn, landing, monkeypatch, caplog):
    rows = applicants(50, "TWICE")
    write_export(landing / "export.csv", rows)
    scan = LeakScan(conn)
    caplog.set_level(logging.INFO)
    copying, second_done = threading.Event(), threading.Event()
    clean = copy_module.clean_batch

    def slow_clean(*args, **kwargs):
        if not copying.is_set():  # the first load's first piece
            copying.set()
            second_done.wait(timeout=20)  # the first load holds its batch open while the second one tries
        return clean(*args, **kwargs)

    monkeypatch.setattr(copy_module, "clean_batch", slow_clean)
    first: dict = {}
    worker = threading.Thread(target=lambda: first.update(ingest(SOURCE)), name="first-night")
    worker.start()
    assert copying.wait(timeout=20)
    try:
        second = ingest(SOURCE)
    finally:
        second_done.set()
        worker.join(timeout=60)

    assert second["failed"] == []  # not a failure of the file: the other run has it
    audit = conn.execute("select load_id, status, message from raw.load_audit").fetchall()
    assert len(audit) == 1 and audit[0][1:] == ("loaded", None)  # the first is not marked interrupted
    assert first["load_ids"] == [audit[0][0]]
    assert raw_rows(conn) == (50, 50)
    assert files_in(landing / "archive") == [f"{audit[0][0]}_export.csv"]
    said = [r for r in caplog.records if "being loaded by another run" in r.getMessage()]
    assert len(said) == 1 and said[0].exc_info is None and said[0].levelno == logging.WARNING
    assert "Traceback" not in caplog.text and "UniqueViolation" not in caplog.text
    scan.assert_clean(conn, personal_values(rows), caplog.text)


def test_a_file_whose_batch_the_gate_quarantines_moves_from_archive_to_failed(conn, landing, caplog):
    import datetime as dt

    from cds_warehouse.quality import QualityGateFailed

    rows = applicants(2, "GATE")
    write_export(landing / "repeated.csv", [rows[0], rows[0], rows[1]])  # a dossier twice: batch-level failure
    scan = LeakScan(conn)
    caplog.set_level(logging.INFO)
    (load_id,) = ingest(SOURCE)["load_ids"]
    assert files_in(landing / "archive") == [f"{load_id}_repeated.csv"]

    with pytest.raises(QualityGateFailed):
        gate([load_id], dt.date(2025, 1, 1), fail_on_quarantine=True)
    with pytest.raises(QualityGateFailed, match=f"load {load_id}: quarantined"):  # the task's retry fails too
        gate([load_id], dt.date(2025, 1, 1), fail_on_quarantine=True)

    assert files_in(landing / "archive") == []
    assert files_in(landing / "failed") == [f"{load_id}_repeated.csv", f"{load_id}_repeated.csv.reason.txt"]
    (reason,) = reason_texts(landing)
    assert f"load {load_id}" in reason and "quarantined" in reason

    write_export(landing / "repeated.csv", [rows[0], rows[0], rows[1]])  # delivered again, unchanged
    night = ingest(SOURCE)
    assert night["load_ids"] == [] and len(night["failed"]) == 1 and "quarantined" in night["failed"][0]
    assert files_in(landing) == ["archive", "failed"] and len(files_in(landing / "failed")) == 4
    assert ingest(SOURCE)["failed"] == []  # and the night after is green
    assert conn.execute("select count(*) from raw.load_audit").fetchone()[0] == 1
    scan.assert_clean(conn, personal_values(rows), caplog.text, *reason_texts(landing))
