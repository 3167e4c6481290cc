"""The benchmark's records: the goals judged per run, the README's table and the plot drawn from them."""

from __future__ import annotations

import datetime as dt

from cds_devkit.bench import record
from cds_devkit.bench.run import _result


def _run(rows: int, copy_s: float, load_s: float, load_rss: float, full_s: float, night_s: float = 95.0) -> dict:
    stages = [
        {"stage": "generate", "seconds": rows / 120_000, "peak_rss_mb": 80.0},
        {"stage": "psql_copy", "seconds": copy_s, "peak_rss_mb": 10.0},
        {"stage": "file_load", "seconds": load_s, "peak_rss_mb": load_rss},
        {"stage": "api_load", "seconds": 20.0, "peak_rss_mb": 240.0, "rows": 345_000},
        {
            "stage": "dbt_full",
            "seconds": full_s,
            "peak_rss_mb": 300.0,
            "dbt_nodes": 273,
            "dbt_nodes_seconds": full_s - 3,
        },
        {"stage": "day_load", "seconds": 2.0, "peak_rss_mb": 120.0},
        {"stage": "dbt_nightly", "seconds": 9.0, "peak_rss_mb": 250.0, "dbt_nodes": 60, "dbt_nodes_seconds": 6.0},
        {"stage": "dbt_noop", "seconds": 3.3, "peak_rss_mb": 200.0},
        {"stage": "nightly_dag", "seconds": night_s, "peak_rss_mb": None},
    ]
    return _result(rows, rows / 9_000, stages, dt.datetime(2026, 12, 7, tzinfo=dt.UTC), 1.5)


def test_goals_are_judged_on_each_run():
    met = _run(1_000_000, copy_s=3.6, load_s=4.8, load_rss=140.0, full_s=38.0)
    assert met["file_load_vs_copy_limit"] == 0.75
    assert all(met["goals"].values()), met["goals"]
    missed = _run(1_000_000, copy_s=3.6, load_s=7.8, load_rss=335.0, full_s=1300.0, night_s=130.0)
    assert not missed["goals"]["file_load_at_least_0_7_of_copy_rate"]
    assert not missed["goals"]["file_loader_peak_rss_under_150_mb"]
    assert not missed["goals"]["dbt_full_build_under_20_min"]
    assert not missed["goals"]["scheduled_night_under_2_min"]
    assert missed["goals"]["api_client_peak_rss_under_250_mb"]


def test_records_make_the_readme_table_and_the_plot(tmp_path):
    for run in (_run(10_000_000, 37.0, 50.0, 140.0, 219.0), _run(1_000_000, 3.6, 4.8, 140.0, 38.0)):
        record.record(run, tmp_path)
    readme = tmp_path / "README.md"
    readme.write_text(f"# x\n\n{record.TABLE_START}\nold table\n{record.TABLE_END}\n\nafter\n")

    runs = record.write_report(tmp_path, readme)

    assert [r["rows"] for r in runs] == [1_000_000, 10_000_000]  # by N, whatever the order recorded
    text = readme.read_text()
    assert "old table" not in text and text.endswith(f"{record.TABLE_END}\n\nafter\n")
    rows = [line for line in text.splitlines() if line.startswith("| 1")]
    assert rows[0].startswith("| 1,000,000 | 2026-12-07 | 111 | 3.6 | 4.8 | 0.75 | 140 |")
    assert rows[1].startswith("| 10,000,000 | 2026-12-07 |")
    svg = (tmp_path / "bench.svg").read_text()
    # one line per plotted stage in each panel (time, memory; the scheduled night has no RSS of its own),
    # each through both runs, left to right
    assert svg.count("<polyline") == 2 * len(record.PLOTTED) - 1
    first = svg[svg.index('points="') + 8 :].split('"')[0].split()
    assert len(first) == 2 and float(first[0].split(",")[0]) < float(first[1].split(",")[0])
    assert "N = 10,000,000: 219.0" in svg
