"""`cds publish`: write what the warehouse publishes from its marts: the open-data package and the site."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("publish", help="write the open-data package and the scorecard site from the marts")
    p.add_argument("--out", type=Path, help="the publish folder (default: $CDS_PUBLISH_DIR, else .state/publish)")
    p.set_defaults(func=cmd_publish)


def cmd_publish(args: argparse.Namespace) -> None:
    from cds_warehouse.db import connect
    from cds_warehouse.publish.open_data import publish_open_data
    from cds_warehouse.publish.site import publish_site
    from cds_warehouse.settings import warehouse_dsn

    with connect(warehouse_dsn()) as conn:
        print(publish_open_data(conn, args.out and args.out / "open-data"))
        print(publish_site(conn, args.out and args.out / "site") / "index.html")
