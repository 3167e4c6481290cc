"""The fault suite's leak scan finds a planted value in each place it looks (so its silence means something)."""

from __future__ import annotations

import pytest
from conftest import dossier
from leaks import LeakScan, personal_values


def test_the_scan_finds_personal_values_in_tables_the_server_log_and_files(conn, tmp_path):
    applicant = dossier()
    values = personal_values([applicant])
    assert applicant["applicant_name"] in values and applicant["applicant_id_hash"] in values
    scan = LeakScan(conn, tmp_path)
    assert scan.log is not None, "the tests run on the local cluster: its server log must be read"
    assert scan.found(conn, values) == []

    conn.execute("create temporary table planted (note text)")
    conn.execute("insert into planted values (%s)", (f"called {applicant['applicant_phone_hash']} twice",))
    conn.execute("do $$ begin raise log 'seen %', %s; end $$".replace("%s", "'" + applicant["applicant_name"] + "'"))
    (tmp_path / "out.txt").write_text(applicant["applicant_address"], encoding="utf-8")
    hits = scan.found(conn, values)
    assert any(h.startswith("table ") and "planted.note" in h for h in hits), hits
    assert any(h.startswith("server log") for h in hits), hits
    assert any(h.startswith("file ") for h in hits), hits
    with pytest.raises(AssertionError, match="personal data in clear text"):
        scan.assert_clean(conn, values)
