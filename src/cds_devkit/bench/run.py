"""`make bench` (`cds bench`): how fast and how lean the portal pipeline is, measured in one run.

Stages, each in its own process so its peak RSS is its own (os.wait4):
  generate    the synthetic export of N dossiers (not part of the pipeline; for reference)
  psql_copy   `psql \\copy` of the same file into an all-text table: the physical limit here
  file_load   the project's file ingestion (parse, type, hash personal data, COPY, audit)
              (these two are run twice each and timed by their better run)
  api_load    the API ingestion through the local portal server (in the same process), --api-rows dossiers
              with their earlier versions
  dbt_full    `dbt build --full-refresh` of the whole project
  dbt_nightly one day of new dossiers (~0.3% of N) loaded, then what the nightly DAG builds: the portal
              models (the portal's other inputs are skipped, the project being unchanged since dbt_full)
  dbt_noop    a `dbt build` that selects no node: dbt-core's start-up, the floor of any build
For the two dbt stages the time dbt reports for running its nodes (run_results.json) is kept beside the
wall time: the difference is dbt's start-up and artifacts, a constant of about 3 s here whatever N is.
Results are printed and written as JSON (default .state/bench/bench.json).
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import psycopg

from cds_warehouse.dbt_build import run_results_path
from cds_warehouse.settings import STATE_DIR, libpq_env, warehouse_dsn

BENCH_DB = "cds_bench"
# What the nightly DAG's dbt tasks build, in one dbt invocation instead of one per model.
NIGHTLY_BUILD = (
    "from cds_warehouse.dbt_build import PORTAL_MODELS, build_portal_inputs, run_build; "
    "build_portal_inputs(); run_build([PORTAL_MODELS])"
)
# Every node selected and every node excluded: the build's fixed cost with nothing to run.
NOOP_BUILD = "from cds_warehouse.dbt_build import run_build; run_build(['fqn:*'], ['fqn:*'])"
DAY_SHARE = 0.003
EMPTY_RAW = "truncate raw.portal_dossier, raw.load_reject, raw.load_audit restart identity cascade"


def _run(name: str, argv: list[str], env: dict | None = None) -> dict:
    """Run one stage in a child process; wall time and the child's own peak RSS."""
    started = time.monotonic()
    proc = subprocess.Popen(argv, env={**os.environ, **(env or {})}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    seconds = time.monotonic() - started
    if proc.returncode != 0:
        sys.stderr.write(output.decode(errors="replace")[-5000:])
        raise SystemExit(f"bench stage {name} failed (exit {proc.returncode})")
    return {"stage": name, "seconds": round(seconds, 2), "peak_rss_mb": round(usage.ru_maxrss / 1024, 1)}


def _bench_dsn() -> str:
    base, _, _ = warehouse_dsn().rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as admin:
        admin.execute(f"drop database if exists {BENCH_DB} with (force)")
        admin.execute(f"create database {BENCH_DB}")
    return f"{base}/{BENCH_DB}"


def api_stage(export: str, dossiers: int, seed: int, out: str) -> None:
    """The API ingestion of the first `dossiers` dossiers of the export (with their earlier versions),
    served by the local portal server in this same process."""
    from cds_devkit.portal_server import PortalDataset, PortalServer
    from cds_warehouse.extract import PortalConfig, ingest_api

    dataset = PortalDataset.from_export(Path(export), limit=dossiers, seed=seed)
    with PortalServer(dataset, token="bench-token") as server:
        result = ingest_api(PortalConfig(server.url, "bench-token"), page_size=1000)
    if result.rows_loaded != len(dataset):
        raise SystemExit(f"API ingestion landed {result.rows_loaded:,} of {len(dataset):,} versions")
    Path(out).write_text(json.dumps({"versions": len(dataset), "rows_loaded": result.rows_loaded}))


def _best_of_two(name: str, argv: list[str], dsn: str, reset: str, env: dict | None = None) -> dict:
    """The stage run twice, the tables it fills emptied in between; the faster run, with both times."""
    first = _run(name, argv, env)
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(reset)
    second = _run(name, argv, env)
    best = min(first, second, key=lambda stage: stage["seconds"])
    return {**best, "runs_seconds": [first["seconds"], second["seconds"]]}


def _dbt_run_results() -> dict:
    """What dbt itself reports of the build that just ran: the nodes it ran and the time it spent running
    them, without its start-up (interpreter, imports, manifest) before and the artifacts after."""
    results = json.loads(run_results_path().read_text())
    return {"dbt_nodes": len(results["results"]), "dbt_nodes_seconds": round(results["elapsed_time"], 2)}


def _python(code: str) -> list[str]:
    return [sys.executable, "-c", code]


def _day_of_changes(path: Path, rows: int, seed: int) -> Path:
    """New dossiers of the last day of the period, with codes of their own."""
    from cds_devkit.synthetic import generate_portal_export

    raw = path.with_suffix(".raw.csv")
    generate_portal_export(raw, rows=rows, seed=seed + 1, start=date(2025, 6, 1), months=1)
    with raw.open(encoding="utf-8-sig", newline="") as src, path.open("w", encoding="utf-8-sig", newline="") as dst:
        reader, writer = csv.reader(src), csv.writer(dst)
        writer.writerow(next(reader))
        for record in reader:
            record[0] = "N1-" + record[0]
            writer.writerow(record)
    raw.unlink()
    return path


def register(subparsers) -> None:
    p = subparsers.add_parser("bench", help="benchmark: N dossiers through ingestion and dbt (make bench)")
    p.add_argument("--rows", type=int, default=1_000_000)
    p.add_argument("--ten-million", action="store_true", help="N = 10,000,000")
    p.add_argument("--seed", type=int, default=2025)
    p.add_argument("--api-rows", type=int, default=200_000, help="dossiers served by the local API")
    p.add_argument("--out", type=Path, default=STATE_DIR / "bench" / "bench.json")
    p.set_defaults(func=run)


def run(args) -> None:
    rows = 10_000_000 if args.ten_million else args.rows
    work = args.out.parent
    work.mkdir(parents=True, exist_ok=True)
    export = work / f"portal_export_{rows}.csv"
    dsn = _bench_dsn()
    env = {"WAREHOUSE_DSN": dsn, **libpq_env(dsn), "CDS_PII_KEY": os.environ.get("CDS_PII_KEY", "bench-key")}
    stages = []

    stages.append(
        _run(
            "generate",
            _python(
                f"from cds_devkit.synthetic import generate_portal_export as g; g({str(export)!r}, rows={rows}, "
                f"seed={args.seed})"
            ),
        )
    )
    size_mb = export.stat().st_size / 2**20
    columns = ", ".join(f"c{i} text" for i in range(len(next(csv.reader(export.open(encoding="utf-8-sig"))))))
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f"create unlogged table bench_copy_limit ({columns})")
    copy_limit = ["psql", dsn, "-qc", f"\\copy bench_copy_limit from '{export}' with (format csv, header true)"]
    file_load = _python(f"from cds_warehouse.load import load_file; print(load_file({str(export)!r}))")
    # The two stages compared are each run twice and timed by their better run: one run of either varies
    # by a third here (page cache, checkpoints), which would decide the ratio more than the code does.
    stages.append(_best_of_two("psql_copy", copy_limit, dsn, "truncate bench_copy_limit"))
    stages.append(_best_of_two("file_load", file_load, dsn, EMPTY_RAW, env))
    publish = "update raw.load_audit set status = 'published' where status = 'loaded'"
    api_rows = min(rows, args.api_rows)
    stages.append(
        _run(
            "api_load",
            _python(
                "from cds_devkit.bench.run import api_stage; "
                f"api_stage({str(export)!r}, {api_rows}, {args.seed}, {str(work / 'api.json')!r})"
            ),
            env,
        )
    )
    stages[-1]["rows"] = json.loads((work / "api.json").read_text())["versions"]
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(publish)  # the GX gate is timed by the tests, not here
    # dbt parses the whole project again when the profile's values change (another database than the last
    # build's): parsed here, untimed, so that both builds start from a parsed project
    subprocess.run(
        _python("from cds_warehouse.dbt_build import parse_project; parse_project()"),
        env={**os.environ, **env},
        check=True,
    )
    stages.append(_run("dbt_full", _python("from cds_warehouse.dbt_build import full_build; full_build()"), env))
    stages[-1].update(_dbt_run_results())
    day = _day_of_changes(work / "portal_export_day.csv", max(1, int(rows * DAY_SHARE)), args.seed)
    stages.append(_run("day_load", _python(f"from cds_warehouse.load import load_file; load_file({str(day)!r})"), env))
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(publish)
    stages.append(_run("dbt_nightly", _python(NIGHTLY_BUILD), env))
    stages[-1].update(_dbt_run_results())
    stages.append(_run("dbt_noop", _python(NOOP_BUILD), env))

    by_name = {s["stage"]: s for s in stages}
    for s in stages:
        measured = s.get("rows", rows)
        s["rows_per_s"] = (
            round(measured / s["seconds"]) if s["stage"] in ("psql_copy", "file_load", "api_load") else None
        )
    result = {
        "rows": rows,
        "file_mb": round(size_mb, 1),
        "stages": stages,
        "file_load_vs_copy_limit": round(by_name["psql_copy"]["seconds"] / by_name["file_load"]["seconds"], 3),
        "nightly_vs_full_build": round(by_name["dbt_nightly"]["seconds"] / by_name["dbt_full"]["seconds"], 3),
        "noop_vs_full_build": round(by_name["dbt_noop"]["seconds"] / by_name["dbt_full"]["seconds"], 3),
        "nightly_vs_full_build_dbt_nodes": round(
            by_name["dbt_nightly"]["dbt_nodes_seconds"] / by_name["dbt_full"]["dbt_nodes_seconds"], 3
        ),
        "goals": {
            "file_load_at_least_half_copy_rate": by_name["psql_copy"]["seconds"] / by_name["file_load"]["seconds"]
            >= 0.5,
            "nightly_under_10pct_of_full": by_name["dbt_nightly"]["seconds"] < 0.1 * by_name["dbt_full"]["seconds"],
        },
    }
    args.out.write_text(json.dumps(result, indent=2))
    print(f"N = {rows:,} dossiers ({size_mb:,.0f} MB CSV)")
    print(f"{'stage':<12} {'seconds':>9} {'rows/s':>11} {'peak RSS MB':>12}")
    for s in stages:
        rate = f"{s['rows_per_s']:,}" if s["rows_per_s"] else "-"
        print(f"{s['stage']:<12} {s['seconds']:>9.2f} {rate:>11} {s['peak_rss_mb']:>12.1f}")
    print(f"file ingestion / \\copy rate: {result['file_load_vs_copy_limit']:.2f} (goal >= 0.5)")
    for name in ("dbt_full", "dbt_nightly"):
        s = by_name[name]
        print(f"{name}: {s['dbt_nodes']} dbt nodes run in {s['dbt_nodes_seconds']:.2f} s of its {s['seconds']:.2f} s")
    print(f"nightly build / full build:  {result['nightly_vs_full_build']:.2f} (goal < 0.10)")
    print(f"  the same, dbt's node run time only: {result['nightly_vs_full_build_dbt_nodes']:.2f}")
    print(f"  a build of no node (dbt's start-up alone) / full build: {result['noop_vs_full_build']:.2f}")
    print(f"written to {args.out}")
    export.unlink(missing_ok=True)
