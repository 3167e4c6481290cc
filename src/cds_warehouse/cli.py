"""Command line: `cds <command>`. Each part registers its commands (`register(subparsers)` in its own module):
this module the warehouse-wide ones, `extract.cli` ingest-api, `agency_reports.cli` agency-reports, and the
development kit (`cds_devkit.cli`: generate, demo, portal-server, samples, bench) when it is installed."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from cds_warehouse.local_run import export_warehouse_env
from cds_warehouse.settings import warehouse_dsn


def cmd_load(args) -> None:
    from cds_warehouse.load import load_file

    export_warehouse_env()
    print(load_file(args.file, args.source))


def cmd_report(args) -> None:
    from cds_warehouse.db import connect
    from cds_warehouse.summary import attainment_table

    with connect(export_warehouse_env()) as conn:
        print(attainment_table(conn))


def cmd_setup(args) -> None:
    from cds_warehouse.setup import set_up_warehouse

    print(set_up_warehouse())


def cmd_bi_user(args) -> None:
    from cds_warehouse.bi_connection import connection_settings
    from cds_warehouse.db import connect
    from cds_warehouse.setup import create_bi_login

    password = create_bi_login(args.name)
    dsn = warehouse_dsn()
    with connect(dsn) as conn:
        server_ssl = conn.execute("show ssl").fetchone()[0] == "on"
    print(connection_settings(args.name, password, dsn, server_ssl))


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


def register(subparsers) -> None:
    """The warehouse-wide commands."""
    p = subparsers.add_parser("load", help="load one file into the raw schema")
    p.add_argument("file", type=Path)
    p.add_argument("--source", default="portal_dossiers")
    p.set_defaults(func=cmd_load)

    p = subparsers.add_parser("setup", help="make the warehouse ready: schemas, raw tables, the BI role (idempotent)")
    p.set_defaults(func=cmd_setup)

    p = subparsers.add_parser("bi-user", help="a login for a BI tool that reads the marts only (prints how to connect)")
    p.add_argument("name")
    p.set_defaults(func=cmd_bi_user)

    p = subparsers.add_parser(
        "pii-key", help="the personal-data key: show its fingerprint, or declare a rotation to it"
    )
    p.add_argument("action", choices=["show", "rotate"], help="rotate: CDS_PII_KEY is the warehouse's key from now on")
    p.add_argument("--note", help="why the key changed (stored with the rotation)")
    p.set_defaults(func=cmd_pii_key)

    p = subparsers.add_parser("docs", help="dbt docs generate against the warehouse")
    p.set_defaults(func=cmd_docs)

    p = subparsers.add_parser("report", help="print the target-attainment table")
    p.set_defaults(func=cmd_report)


def _register_devkit(subparsers) -> None:
    """The development kit's commands (generate, demo, portal-server, samples, bench) when it is installed;
    the product never needs it, so it is looked up only here, when the command line is built."""
    try:
        from cds_devkit.cli import register
    except ModuleNotFoundError as missing:
        if missing.name != "cds_devkit" and not (missing.name or "").startswith("cds_devkit."):
            raise
        return
    register(subparsers)


def build_parser() -> argparse.ArgumentParser:
    from cds_warehouse import scaffold
    from cds_warehouse.agency_reports import cli as agency_reports_cli
    from cds_warehouse.extract import cli as extract_cli
    from cds_warehouse.publish import cli as publish_cli

    parser = argparse.ArgumentParser(
        prog="cds", description="The CĐS indicator warehouse's commands, and its development kit's when installed."
    )
    subparsers = parser.add_subparsers(required=True)
    parts = (register, extract_cli.register, agency_reports_cli.register, scaffold.register, publish_cli.register)
    for register_part in (*parts, _register_devkit):
        register_part(subparsers)
    return parser


def main(argv: list[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    args.func(args)
