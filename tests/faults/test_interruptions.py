"""A load killed outright, and the same dossiers delivered again in another order: nothing lost, nothing
counted twice, no applicant's value left behind."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

from conftest import DBT, run_dbt, write_export
from leaks import LeakScan, applicants, personal_values

from cds_warehouse.batches import gate_batches
from cds_warehouse.load import load_file

# A load that stops for good after its first pieces went into COPY: killed there, it holds an open
# transaction with rows sent and not committed.
STALLED_LOAD = """
import itertools, sys, time
from cds_warehouse.load import copying
copying.CHUNK_BYTES = 16 << 10
from cds_warehouse.load import load_file
clean, pieces = copying.clean_batch, itertools.count()
def stall(*args, **kwargs):
    piece = next(pieces)  # atomic: the pieces are cleaned on two threads, and only one may say so
    if piece == 3:
        print("copying", flush=True)
    if piece >= 3:
        time.sleep(600)
    return clean(*args, **kwargs)
copying.clean_batch = stall
load_file(sys.argv[1])
"""


def test_a_load_killed_mid_copy_leaves_nothing_and_the_next_load_lands_every_row_once(conn, dsn, tmp_path):
    rows = applicants(2_000, "K")
    path = write_export(tmp_path / "killed.csv", rows)
    scan = LeakScan(conn)
    env = {**os.environ, "WAREHOUSE_DSN": dsn}
    load = subprocess.Popen([sys.executable, "-c", STALLED_LOAD, str(path)], env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert load.stdout.readline().strip() == "copying"
        assert conn.execute("select status from raw.load_audit").fetchall() == [("running",)]
    finally:
        load.send_signal(signal.SIGKILL)
        load.wait(timeout=30)
    assert load.returncode == -signal.SIGKILL
    deadline = time.monotonic() + 30  # the server notices the dead client and rolls its transaction back
    while conn.execute("select count(*) from pg_stat_activity where state like 'idle in transaction%'").fetchone()[0]:
        assert time.monotonic() < deadline
        time.sleep(0.2)
    assert conn.execute("select count(*) from raw.portal_dossier").fetchone()[0] == 0

    again = load_file(path)
    assert (again.rows_loaded, again.rows_rejected) == (2_000, 0)
    audit = conn.execute("select status, message like 'interrupted%' from raw.load_audit order by load_id").fetchall()
    assert audit == [("failed", True), ("loaded", None)]
    codes = conn.execute("select count(distinct dossier_code), count(*) from raw.portal_dossier").fetchone()
    assert codes == (2_000, 2_000)
    scan.assert_clean(conn, personal_values(rows))


def test_the_same_dossiers_delivered_again_in_another_order_count_once_in_the_marts(conn, tmp_path):
    rows = applicants(60, "O")
    reordered = random.Random(5).sample(rows, len(rows))
    scan = LeakScan(conn)
    first = load_file(write_export(tmp_path / "monday.csv", rows))
    second = load_file(write_export(tmp_path / "monday_again.csv", reordered))
    assert second.status == "loaded" and second.file_sha256 != first.file_sha256  # other bytes: a new batch
    gate_batches([first.load_id, second.load_id])
    work = tmp_path / "dbt"
    run_dbt(work, "build", "--select", "+fct_dossier", "--exclude-resource-type", "test", "--quiet")
    assert conn.execute("select count(*) from raw.portal_dossier").fetchone()[0] == 120
    in_marts = conn.execute("select count(*), count(distinct dossier_code) from marts.fct_dossier").fetchone()
    assert in_marts == (60, 60)
    scan.folders = (work,)
    scan.assert_clean(conn, personal_values(rows))
    assert DBT.exists()
