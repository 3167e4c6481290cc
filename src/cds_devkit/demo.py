"""`cds demo` (`make demo`): generate an export and sample reports, serve part of the export through a
local portal API, and run both DAGs end to end on them."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

DEMO_FILE = "portal_export_demo.csv"


def register(subparsers) -> None:
    p = subparsers.add_parser("demo", help="generate an export and run the nightly DAG end to end")
    p.add_argument("--rows", type=int, default=200_000)
    p.add_argument("--seed", type=int, default=2025)
    p.add_argument("--api-rows", type=int, default=20_000, help="dossiers the local portal API serves")
    p.set_defaults(func=run_demo)


def run_demo(args) -> None:
    from cds_devkit.agency_samples import write_demo_files
    from cds_devkit.synthetic import generate_portal_export
    from cds_warehouse.db import connect
    from cds_warehouse.landing import landing_dir
    from cds_warehouse.local_run import AGENCY_DAG_ID, PORTAL_DAG_ID, export_warehouse_env, require_success, run_dag
    from cds_warehouse.publish.run import publish_all
    from cds_warehouse.quality import GX_DIR
    from cds_warehouse.summary import attainment_table, warehouse_counts

    dsn = export_warehouse_env()
    target = landing_dir("portal_dossiers") / DEMO_FILE
    target.parent.mkdir(parents=True, exist_ok=True)
    summary = generate_portal_export(target, rows=args.rows, seed=args.seed)
    print(f"Generated {summary.rows:,} dossiers -> {target}")
    reports = write_demo_files(landing_dir("agency_reports").parent)
    print(f"Generated {len(reports)} agency report files -> {landing_dir('agency_reports')}")
    # Reports first: the nightly DAG's dbt build then carries their values into the marts.
    require_success(AGENCY_DAG_ID, run_dag(AGENCY_DAG_ID))
    with _local_portal(target, args.api_rows, args.seed):
        require_success(PORTAL_DAG_ID, run_dag(PORTAL_DAG_ID))
    with connect(dsn) as conn:
        print("\nTarget attainment (marts.mart_target_attainment):\n")
        print(attainment_table(conn))
        print("\nWarehouse:")
        for label, count in warehouse_counts(conn).items():
            print(f"  {label:<45} {count:>10,}")
    print(f"""
Where to look next:
  psql:       psql "$(scripts/pg.sh dsn)"   (schemas raw, staging, intermediate, marts, reference)
  audit:      select * from raw.load_audit order by load_id;
  Data Docs:  {GX_DIR / "gx/uncommitted/data_docs/local_site/index.html"}
  dbt docs:   .venv/bin/cds docs   (generates the catalog and prints the page to open)
  Airflow:    make airflow   (the scheduler and the UI, the DAGs on their schedules)""")
    published = publish_all()  # what the warehouse_docs DAG writes after each build of the marts
    print(f"  Open data:  {published['open_data']}")
    print(f"\nScorecard site (open it in a browser): {published['site']}")


@contextlib.contextmanager
def _local_portal(export: Path, rows: int, seed: int):
    """The local portal API serving the first `rows` dossiers of the export with their earlier versions,
    named to the DAG by CDS_PORTAL_URL / CDS_PORTAL_TOKEN for the duration; stopped afterwards."""
    import secrets

    from cds_devkit.portal_server import PortalDataset, PortalServer

    dataset = PortalDataset.from_export(export, limit=rows, seed=seed)
    token = secrets.token_urlsafe(24)
    saved = {k: os.environ.get(k) for k in ("CDS_PORTAL_URL", "CDS_PORTAL_TOKEN")}
    with PortalServer(dataset, token=token, portal_id="local-demo-portal") as server:
        print(f"Local portal API on {server.url}: {len(dataset):,} versions of {dataset.dossiers:,} dossiers")
        os.environ.update(CDS_PORTAL_URL=server.url, CDS_PORTAL_TOKEN=token)
        try:
            yield server
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
            print(f"Local portal API stopped after {server.stats['requests']:,} requests")
