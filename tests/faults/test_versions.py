"""Version order follows the content, not the load order: an older export loaded after a newer one, with
`Ngày cập nhật` given as a date alone (stored as midnight), does not roll its dossiers back.

Two exports of the same day: ``newer.csv`` (loaded first) has every dossier further along its life cycle
than ``older.csv`` (loaded second). Both paths that order versions are checked: the incremental merge of
fct_dossier (a build after each load) and the full build over every published version.
"""

from __future__ import annotations

from conftest import dossier, run_dbt, write_export
from leaks import LeakScan, personal_values

from cds_warehouse.batches import gate_batches
from cds_warehouse.load import load_file

SELECTED = ("--select", "+int_portal_loads_processed", "--indirect-selection", "buildable")


def _version(code: str, n: int, **fields) -> dict[str, str]:
    """A dossier received on 05/03/2025; each applicant is its own person (the leak scan looks for them)."""
    return dossier(
        dossier_code=code,
        received_at="05/03/2025 08:00:00",
        due_at="10/03/2025",
        applicant_name=f"Nguyễn Văn Thử {n}",
        applicant_id_hash=f"0271900{n:05d}",
        applicant_phone_hash=f"09123{n:05d}",
        applicant_address=f"Số {n}, phố Ngô Gia Tự, Bắc Ninh",
        summary=f"Đề nghị cấp bản sao cho ông Lê Văn Mẫu {n}",
        **fields,
    )


IN_PROCESS = {"status": "Đang xử lý", "finished_at": ""}
RETURNED = {"status": "Đã trả kết quả", "finished_at": "06/03/2025"}

# (dossier code, newer version, older version) — the newer must stay whatever the load order.
CASES = [
    # both date-only, same day: today the tie goes to the later load (the older export)
    ("DATE-ONLY-BOTH", {**RETURNED, "updated_at": "06/03/2025"}, {**IN_PROCESS, "updated_at": "06/03/2025"}),
    # the newer date-only, the older with a time of that day: today the older's 09:00 beats midnight
    ("DATE-ONLY-NEWER", {**RETURNED, "updated_at": "06/03/2025"}, {**IN_PROCESS, "updated_at": "06/03/2025 09:00"}),
    # same day, same stage: a later request for supplements is further along
    (
        "MORE-SUPPLEMENTS",
        {"status": "Chờ bổ sung", "finished_at": "", "supplement_count": "2", "updated_at": "06/03/2025"},
        {"status": "Chờ bổ sung", "finished_at": "", "supplement_count": "1", "updated_at": "06/03/2025"},
    ),
]
# A later day in the later load still wins: the content says so.
LATER_DAY = ("LATER-DAY", {**IN_PROCESS, "updated_at": "05/03/2025"}, {**RETURNED, "updated_at": "06/03/2025"})


def _exports(tmp_path):
    newer, older = [], []
    for n, (code, first, second) in enumerate([*CASES, LATER_DAY]):
        newer.append(_version(code, 2 * n, **first))
        older.append(_version(code, 2 * n + 1, **second))
    return (
        write_export(tmp_path / "newer.csv", newer),
        write_export(tmp_path / "older.csv", older),
        newer + older,
    )


def _load(path) -> int:
    result = load_file(path)
    assert (result.status, result.rows_rejected) == ("loaded", 0)
    gate_batches([result.load_id])
    return result.load_id


def _held(conn) -> dict[str, tuple[str, int]]:
    return dict(
        (code, (status, supplements))
        for code, status, supplements in conn.execute(
            "select dossier_code, dossier_status, supplement_count from marts.fct_dossier"
        ).fetchall()
    )


EXPECTED = {
    "DATE-ONLY-BOTH": ("result_returned", 0),
    "DATE-ONLY-NEWER": ("result_returned", 0),
    "MORE-SUPPLEMENTS": ("awaiting_supplement", 2),
    "LATER-DAY": ("result_returned", 0),
}


def test_an_older_export_loaded_later_does_not_roll_dossiers_back(conn, tmp_path):
    work = tmp_path / "dbt"
    scan = LeakScan(conn, work)  # dbt's target and logs; the exports themselves hold the applicants
    newer, older, rows = _exports(tmp_path)

    # incremental: the newer export is built first, the older one merges on top of it
    _load(newer)
    run_dbt(work, "build", *SELECTED)
    _load(older)
    run_dbt(work, "build", *SELECTED)
    assert _held(conn) == EXPECTED
    assert conn.execute("select count(*) from staging.stg_portal__dossiers").fetchone()[0] == len(rows)

    # full build over both loads: the same versions
    run_dbt(work, "build", *SELECTED, "--full-refresh")
    assert _held(conn) == EXPECTED
    # 0 lost, 0 duplicated: one row per dossier, every version still in staging
    assert conn.execute("select count(*), count(distinct dossier_key) from marts.fct_dossier").fetchone() == (4, 4)
    scan.assert_clean(conn, personal_values(rows))
