"""Command line: `cds <command>`. `make demo` runs `cds demo`."""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys
from pathlib import Path

from cds_warehouse.settings import AIRFLOW_CONN_ID, PROJECT_ROOT, warehouse_dsn

DAG_ID = "portal_dossiers_nightly"
AGENCY_DAG_ID = "agency_reports_landing"
DEMO_FILE = "portal_export_demo.csv"


def export_warehouse_env() -> str:
    """Name the warehouse to the DAGs run in this process as Airflow does: the connection cds_warehouse
    (an AIRFLOW_CONN_ variable), which every task and the dbt tasks' profile read."""
    dsn = warehouse_dsn()
    os.environ.setdefault(f"AIRFLOW_CONN_{AIRFLOW_CONN_ID.upper()}", dsn)
    return dsn


def run_dag(dag_id: str = DAG_ID):
    """One real DAG run in this process (Airflow's dag.test), returning the DagRun."""
    from airflow.dag_processing.dagbag import DagBag

    bag = DagBag(dag_folder=str(PROJECT_ROOT / "dags"))
    if bag.import_errors:
        raise RuntimeError(f"DAG import errors: {bag.import_errors}")
    return bag.get_dag(dag_id).test()


def cmd_generate(args) -> None:
    from cds_warehouse.generate import generate_portal_export

    print(generate_portal_export(args.out, rows=args.rows, seed=args.seed))


def cmd_load(args) -> None:
    from cds_warehouse.load import load_file

    export_warehouse_env()
    print(load_file(args.file, args.source))


def cmd_report(args) -> None:
    from cds_warehouse.db import connect
    from cds_warehouse.summary import attainment_table

    with connect(export_warehouse_env()) as conn:
        print(attainment_table(conn))


def cmd_demo(args) -> None:
    from cds_warehouse.agency_reports.samples import write_demo_files
    from cds_warehouse.db import connect
    from cds_warehouse.generate import generate_portal_export
    from cds_warehouse.landing import landing_dir
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
    _require_success(AGENCY_DAG_ID, run_dag(AGENCY_DAG_ID))
    with _local_portal(target, args.api_rows, args.seed):
        _require_success(DAG_ID, run_dag())
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


def _require_success(dag_id: str, run) -> None:
    state = str(getattr(run, "state", run))
    print(f"DAG {dag_id}: {state}")
    if "success" not in state:
        sys.exit(f"The DAG run of {dag_id} did not succeed ({state}); see the task logs above.")


@contextlib.contextmanager
def _local_portal(export: Path, rows: int, seed: int):
    """The local portal API serving the first `rows` dossiers of the export with their earlier versions,
    named to the DAG by CDS_PORTAL_URL / CDS_PORTAL_TOKEN for the duration; stopped afterwards."""
    import secrets

    from cds_warehouse.portal_server import PortalDataset, PortalServer

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


def cmd_setup(args) -> None:
    from cds_warehouse.setup import set_up_warehouse

    print(set_up_warehouse())


def cmd_bi_user(args) -> None:
    from urllib.parse import urlsplit

    from cds_warehouse.setup import create_bi_login

    password = create_bi_login(args.name)
    server = urlsplit(warehouse_dsn())
    print(f"""Login {args.name!r} reads the BI contract: the schema marts but its row-level fct_dossier, and
nothing else (role bi_reader; docs/marts.md, "What BI tools may read").
The password is shown this once and stored nowhere; run this again for a new one.

  host      {server.hostname}
  port      {server.port or 5432}
  database  {server.path.lstrip("/")}
  user      {args.name}
  password  {password}
  schema    marts

Metabase: Admin > Databases > Add database > PostgreSQL, with the values above ("Schemas": only marts).
Superset: Settings > Database Connections > + Database > PostgreSQL, or the URI
          postgresql://{args.name}:<password>@{server.hostname}:{server.port or 5432}{server.path}
Power BI: Get data > PostgreSQL database, server {server.hostname}:{server.port or 5432}, database
          {server.path.lstrip("/")}, then the user and password under "Database".
The tables and columns to use: docs/marts.md.""")


def cmd_pii_key(args) -> None:
    from cds_warehouse.db import apply_raw_schema, connect
    from cds_warehouse.pii_key import declare_rotation, fingerprint, warehouse_fingerprint
    from cds_warehouse.settings import pii_key

    key = pii_key()
    with connect(export_warehouse_env(), autocommit=True) as conn:
        apply_raw_schema(conn)
        if args.action == "show":
            known = warehouse_fingerprint(conn) or "none recorded yet"
            print(f"CDS_PII_KEY fingerprint {fingerprint(key)}; the warehouse's {known}")
            return
        previous, new = declare_rotation(conn, key, args.note)
    if previous == new:
        print(f"CDS_PII_KEY (fingerprint {new}) is already the warehouse's key; nothing declared.")
        return
    print(f"""Rotation declared: the warehouse's personal-data key is now the one in CDS_PII_KEY (fingerprint {new};
before: {previous or "none recorded"}). Loads with it go on; loads with the old key now stop.
Hashes of ID numbers and phones made before and after the rotation do not join: the same applicant has
one hash in the batches before and another in those after. Keep CDS_PII_KEY set to the new key everywhere
the warehouse is loaded from (Airflow's components, `cds load`).""")


def cmd_docs(args) -> None:
    from cds_warehouse.dbt_build import generate_docs
    from cds_warehouse.setup import set_up_warehouse

    set_up_warehouse()
    print(f"dbt docs: open {generate_docs()}")


def cmd_ingest_api(args) -> None:
    from cds_warehouse.extract import ingest_api, portal_config

    export_warehouse_env()
    config = portal_config()
    if config is None:
        sys.exit("No portal configured: set CDS_PORTAL_URL and CDS_PORTAL_TOKEN.")
    print(ingest_api(config))


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(prog="cds", description=__doc__)
    sub = parser.add_subparsers(required=True)

    p = sub.add_parser("generate", help="write a synthetic portal dossier export")
    p.add_argument("out", type=Path)
    p.add_argument("--rows", type=int, default=200_000)
    p.add_argument("--seed", type=int, default=2025)
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("load", help="load one file into the raw schema")
    p.add_argument("file", type=Path)
    p.add_argument("--source", default="portal_dossiers")
    p.set_defaults(func=cmd_load)

    p = sub.add_parser("ingest-api", help="pull the portal API (CDS_PORTAL_URL, CDS_PORTAL_TOKEN) into one batch")
    p.set_defaults(func=cmd_ingest_api)

    p = sub.add_parser("setup", help="make the warehouse ready: schemas, raw tables, the BI role (idempotent)")
    p.set_defaults(func=cmd_setup)

    p = sub.add_parser("bi-user", help="a login for a BI tool that reads the marts only (prints how to connect)")
    p.add_argument("name")
    p.set_defaults(func=cmd_bi_user)

    p = sub.add_parser("pii-key", help="the personal-data key: show its fingerprint, or declare a rotation to it")
    p.add_argument("action", choices=["show", "rotate"], help="rotate: CDS_PII_KEY is the warehouse's key from now on")
    p.add_argument("--note", help="why the key changed (stored with the rotation)")
    p.set_defaults(func=cmd_pii_key)

    p = sub.add_parser("docs", help="dbt docs generate against the warehouse")
    p.set_defaults(func=cmd_docs)

    p = sub.add_parser("report", help="print the target-attainment table")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("demo", help="generate an export and run the nightly DAG end to end")
    p.add_argument("--rows", type=int, default=200_000)
    p.add_argument("--seed", type=int, default=2025)
    p.add_argument("--api-rows", type=int, default=20_000, help="dossiers the local portal API serves")
    p.set_defaults(func=cmd_demo)

    from cds_warehouse import scaffold

    scaffold.register(sub)

    p = sub.add_parser("agency-reports", add_help=False, prefix_chars="+", help="agency report workbooks")
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=lambda a: __import__("cds_warehouse.agency_reports.cli", fromlist=["main"]).main(a.rest))

    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
