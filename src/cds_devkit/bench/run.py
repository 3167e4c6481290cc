"""`make bench` (`cds bench`): how fast and how lean the portal pipeline is, measured in one run.

Stages, each in its own process so its peak RSS is its own (stages.py), each shown as it runs:
  generate    the synthetic export of N dossiers (not part of the pipeline; for reference)
  psql_copy   `psql \\copy` of the same file into an all-text table: the physical limit here
  file_load   the project's file ingestion (parse, type, hash personal data, COPY, audit)
              (these two are run twice each and timed by their better run)
  api_load    the API ingestion of --api-rows dossiers with their earlier versions, from the local portal
              server running in another process (the RSS is the client's)
  dbt_full    `dbt build --full-refresh` of the whole project
  day_load    one day of new dossiers (~0.3% of N): the night's file
  dbt_nightly what the nightly DAG builds after it: the portal models (the portal's other inputs are
              skipped, the project being unchanged since dbt_full)
  dbt_noop    a `dbt build` that selects no node: dbt-core's start-up, the floor of any build
For the two dbt stages the time dbt reports for running its nodes (run_results.json) is kept beside the
wall time: the difference is dbt's start-up and artifacts, a constant of about 3 s here whatever N is.
Results are printed and written as JSON (.state/bench/bench_<N>.json); `--record` also keeps them in
docs/bench/ and rewrites the README's table and docs/bench/bench.svg from every record (bench/record.py).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import platform
import subprocess
import time
from datetime import date
from pathlib import Path

import psycopg

from cds_devkit.bench.record import record, write_report
from cds_devkit.bench.scheduled_night import scheduled_night
from cds_devkit.bench.stages import python, run_stage
from cds_warehouse.dbt_build import run_results_path
from cds_warehouse.settings import STATE_DIR, libpq_env, warehouse_dsn

BENCH_DB = "cds_bench"
NATIONAL = 30_000_000  # dossiers a year in the whole country
# What the nightly DAG's dbt tasks build, in one dbt invocation instead of one per model.
NIGHTLY_BUILD = (
    "from cds_warehouse.dbt_build import PORTAL_MODELS, build_portal_inputs, run_build; "
    "build_portal_inputs(); run_build([PORTAL_MODELS])"
)
# Every node selected and every node excluded: the build's fixed cost with nothing to run.
NOOP_BUILD = "from cds_warehouse.dbt_build import run_build; run_build(['fqn:*'], ['fqn:*'])"
DAY_SHARE = 0.003
SLOWEST_NODES = 12
EMPTY_RAW = "truncate raw.portal_dossier, raw.load_reject, raw.load_audit restart identity cascade"
PUBLISH = "update raw.load_audit set status = 'published' where status = 'loaded'"  # the gate is timed by tests
# The goals, checked on every run (the two at 30M only where N reaches it).
GOALS = {
    "file_load_at_least_0_7_of_copy_rate": lambda r, s: r["file_load_vs_copy_limit"] >= 0.7,
    "file_loader_peak_rss_under_150_mb": lambda r, s: s["file_load"]["peak_rss_mb"] < 150,
    "api_client_peak_rss_under_250_mb": lambda r, s: s["api_load"]["peak_rss_mb"] < 250,
    "dbt_full_build_under_20_min": lambda r, s: s["dbt_full"]["seconds"] < 1200,
    "day_load_and_nightly_dbt_under_2_min": lambda r, s: s["day_load"]["seconds"] + s["dbt_nightly"]["seconds"] < 120,
    "scheduled_night_under_2_min": lambda r, s: s["nightly_dag"]["seconds"] < 120,
}


def _bench_dsn() -> str:
    base, _, _ = warehouse_dsn().rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f"drop database if exists {BENCH_DB} with (force)")
        admin.execute(f"create database {BENCH_DB}")
    return f"{base}/{BENCH_DB}"


def serve_export(export: str, dossiers: int, seed: int, url_file: str) -> None:
    """The local portal server on the first `dossiers` dossiers of the export (with earlier versions),
    in a process of its own until it is stopped; its URL and version count are written to url_file."""
    from cds_devkit.portal_server import PortalDataset, PortalServer

    dataset = PortalDataset.from_export(Path(export), limit=dossiers, seed=seed)
    with PortalServer(dataset, token="bench-token") as server:
        Path(url_file).write_text(json.dumps({"url": server.url, "versions": len(dataset)}))
        while True:
            time.sleep(3600)


def pull_api(url: str, versions: int) -> None:
    """The API ingestion, the client alone in this process."""
    from cds_warehouse.extract import PortalConfig, ingest_api

    result = ingest_api(PortalConfig(url, "bench-token"), page_size=1000)
    if result.rows_loaded != versions:
        raise SystemExit(f"API ingestion landed {result.rows_loaded:,} of {versions:,} versions")


def _api_stage(export: Path, dossiers: int, seed: int, work: Path, env: dict) -> dict:
    served = work / "api_server.json"
    served.unlink(missing_ok=True)
    code = "from cds_devkit.bench.run import serve_export; "
    code += f"serve_export({str(export)!r}, {dossiers}, {seed}, {str(served)!r})"
    server = subprocess.Popen(python(code), stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 600
        while not served.exists():
            if server.poll() is not None or time.monotonic() > deadline:
                raise SystemExit("the local portal server did not start")
            time.sleep(0.5)
        time.sleep(0.2)  # the file is written in one call; let it be complete
        portal = json.loads(served.read_text())
        stage = run_stage(
            "api_load",
            python(f"from cds_devkit.bench.run import pull_api; pull_api({portal['url']!r}, {portal['versions']})"),
            env,
        )
    finally:
        server.terminate()
        server.wait()
    return {**stage, "rows": portal["versions"]}


def _best_of_two(name: str, argv: list[str], dsn: str, reset: str, env: dict | None = None) -> dict:
    """The stage run twice, the tables it fills emptied in between; the faster run, with both times."""
    first = run_stage(name, argv, env)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(reset)
    second = run_stage(name, argv, env)
    best = min(first, second, key=lambda stage: stage["seconds"])
    return {**best, "runs_seconds": [first["seconds"], second["seconds"]]}


def _dbt_run_results() -> dict:
    """What dbt itself reports of the build that just ran: the nodes it ran and the time it spent running
    them, without its start-up (interpreter, imports, manifest) before and the artifacts after."""
    results = json.loads(run_results_path().read_text())
    slowest = sorted(results["results"], key=lambda node: node["execution_time"], reverse=True)[:SLOWEST_NODES]
    return {
        "dbt_nodes": len(results["results"]),
        "dbt_nodes_seconds": round(results["elapsed_time"], 2),
        # which steps grow with N: the curve of each across runs (docs/scaling.md)
        "slowest_nodes": {node["unique_id"].split(".")[2]: round(node["execution_time"], 2) for node in slowest},
    }


def _day_of_changes(path: Path, rows: int, seed: int, prefix: str) -> Path:
    """New dossiers of the last day of the period, with codes of their own (``prefix``)."""
    from cds_devkit.synthetic import generate_portal_export

    raw = path.with_suffix(".raw.csv")
    generate_portal_export(raw, rows=rows, seed=seed, start=date(2025, 6, 1), months=1)
    with raw.open(encoding="utf-8-sig", newline="") as src, path.open("w", encoding="utf-8-sig", newline="") as dst:
        reader, writer = csv.reader(src), csv.writer(dst)
        writer.writerow(next(reader))
        for row in reader:
            row[0] = prefix + row[0]
            writer.writerow(row)
    raw.unlink()
    return path


def register(subparsers) -> None:
    p = subparsers.add_parser("bench", help="benchmark: N dossiers through ingestion and dbt (make bench)")
    size = p.add_mutually_exclusive_group()
    size.add_argument("--dossiers", type=int, default=1_000_000, help="N, any number (default 1,000,000)")
    size.add_argument("--ten-million", action="store_true", help="N = 10,000,000")
    size.add_argument("--national", action="store_true", help=f"N = {NATIONAL:,}: a national year")
    p.add_argument("--seed", type=int, default=2025)
    p.add_argument("--api-rows", type=int, default=200_000, help="dossiers served by the local API")
    p.add_argument("--out", type=Path, default=STATE_DIR / "bench", help="folder of the run's files")
    p.add_argument("--record", action="store_true", help="keep the figures in docs/bench/, redraw table and plot")
    p.add_argument("--report-only", action="store_true", help="no run: redraw table and plot from docs/bench/")
    p.set_defaults(func=run)


def run(args) -> None:
    if args.report_only:
        runs = write_report()
        print(f"README table and docs/bench/bench.svg written from {len(runs)} records")
        return
    rows = NATIONAL if args.national else 10_000_000 if args.ten_million else args.dossiers
    result = measure(rows, args.seed, args.api_rows, args.out)
    out = args.out / f"bench_{rows}.json"
    out.write_text(json.dumps(result, indent=2))
    _print_summary(result)
    print(f"written to {out}")
    if args.record:
        record(result)
        write_report()
        print("recorded in docs/bench/; README table and docs/bench/bench.svg redrawn")


def measure(rows: int, seed: int, api_rows: int, work: Path) -> dict:
    work.mkdir(parents=True, exist_ok=True)
    export = work / f"portal_export_{rows}.csv"
    dsn = _bench_dsn()
    env = {"WAREHOUSE_DSN": dsn, **libpq_env(dsn), "CDS_PII_KEY": os.environ.get("CDS_PII_KEY", "bench-key")}
    stages = []
    started = dt.datetime.now(dt.UTC)
    generate = (
        f"from cds_devkit.synthetic import generate_portal_export as g; g({str(export)!r}, rows={rows}, seed={seed})"
    )
    stages.append(run_stage("generate", python(generate)))
    size_mb = export.stat().st_size / 2**20
    columns = ", ".join(f"c{i} text" for i in range(len(next(csv.reader(export.open(encoding="utf-8-sig"))))))
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"create unlogged table bench_copy_limit ({columns})")
    copy_limit = ["psql", dsn, "-qc", f"\\copy bench_copy_limit from '{export}' with (format csv, header true)"]
    file_load = python(f"from cds_warehouse.load import load_file; print(load_file({str(export)!r}))")
    # The two stages compared are each run twice and timed by their better run: one run of either varies
    # by a third here (page cache, checkpoints), which would decide the ratio more than the code does.
    stages.append(_best_of_two("psql_copy", copy_limit, dsn, "truncate bench_copy_limit"))
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("drop table bench_copy_limit")  # its disk, for the builds
    stages.append(_best_of_two("file_load", file_load, dsn, EMPTY_RAW, env))
    stages.append(_api_stage(export, min(rows, api_rows), seed, work, env))
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(PUBLISH)
    export.unlink()
    # dbt parses the whole project again when the profile's values change (another database than the last
    # build's): parsed here, untimed, so that both builds start from a parsed project
    subprocess.run(
        python("from cds_warehouse.dbt_build import parse_project; parse_project()"),
        env={**os.environ, **env},
        check=True,
        stdout=subprocess.DEVNULL,
    )
    stages.append(run_stage("dbt_full", python("from cds_warehouse.dbt_build import full_build; full_build()"), env))
    stages[-1].update(_dbt_run_results())
    day_rows = max(1, int(rows * DAY_SHARE))
    day = _day_of_changes(work / "portal_export_day.csv", day_rows, seed + 1, "N1-")
    stages.append(
        run_stage("day_load", python(f"from cds_warehouse.load import load_file; load_file({str(day)!r})"), env)
    )
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(PUBLISH)
    stages.append(run_stage("dbt_nightly", python(NIGHTLY_BUILD), env))
    stages[-1].update(_dbt_run_results())
    stages.append(run_stage("dbt_noop", python(NOOP_BUILD), env))
    night = _day_of_changes(work / "portal_export_night.csv", day_rows, seed + 2, "N2-")
    stages.append(scheduled_night(dsn, work, night, env["CDS_PII_KEY"]))
    with psycopg.connect(dsn) as conn:
        database_gb = float(conn.execute("select pg_database_size(current_database()) / 2.0 ^ 30").fetchone()[0])
    return _result(rows, size_mb, stages, started, database_gb)


def _result(rows: int, size_mb: float, stages: list[dict], started: dt.datetime, database_gb: float) -> dict:
    for s in stages:
        measured = s.get("rows", rows)
        s["rows_per_s"] = (
            round(measured / s["seconds"]) if s["stage"] in ("psql_copy", "file_load", "api_load") else None
        )
    by_name = {s["stage"]: s for s in stages}
    result = {
        "rows": rows,
        "date": started.date().isoformat(),
        "machine": {"cores": os.cpu_count(), "memory_gb": _memory_gb(), "python": platform.python_version()},
        "file_mb": round(size_mb, 1),
        "database_gb": round(database_gb, 2),
        "stages": stages,
        "file_load_vs_copy_limit": round(by_name["psql_copy"]["seconds"] / by_name["file_load"]["seconds"], 3),
        "nightly_vs_full_build": round(by_name["dbt_nightly"]["seconds"] / by_name["dbt_full"]["seconds"], 3),
        "noop_vs_full_build": round(by_name["dbt_noop"]["seconds"] / by_name["dbt_full"]["seconds"], 3),
        "nightly_vs_full_build_dbt_nodes": round(
            by_name["dbt_nightly"]["dbt_nodes_seconds"] / by_name["dbt_full"]["dbt_nodes_seconds"], 3
        ),
    }
    result["goals"] = {name: bool(check(result, by_name)) for name, check in GOALS.items()}
    return result


def _memory_gb() -> float:
    with open("/proc/meminfo") as fh:
        return round(int(fh.readline().split()[1]) / 2**20, 1)


def _print_summary(result: dict) -> None:
    print(f"N = {result['rows']:,} dossiers ({result['file_mb']:,.0f} MB CSV; warehouse {result['database_gb']} GB)")
    print(f"{'stage':<12} {'seconds':>9} {'rows/s':>11} {'peak RSS MB':>12}")
    for s in result["stages"]:
        rate = f"{s['rows_per_s']:,}" if s["rows_per_s"] else "-"
        rss = f"{s['peak_rss_mb']:.1f}" if s["peak_rss_mb"] is not None else "-"
        print(f"{s['stage']:<12} {s['seconds']:>9.2f} {rate:>11} {rss:>12}")
    print(f"file ingestion / \\copy rate: {result['file_load_vs_copy_limit']:.2f}")
    by_name = {s["stage"]: s for s in result["stages"]}
    for name in ("dbt_full", "dbt_nightly"):
        s = by_name[name]
        print(f"{name}: {s['dbt_nodes']} dbt nodes run in {s['dbt_nodes_seconds']:.2f} s of its {s['seconds']:.2f} s")
    print(f"nightly build / full build: {result['nightly_vs_full_build']:.2f}")
    print(f"  a build of no node (dbt's start-up alone) / full build: {result['noop_vs_full_build']:.2f}")
    for goal, met in result["goals"].items():
        print(f"goal {goal}: {'met' if met else 'NOT met'}")
