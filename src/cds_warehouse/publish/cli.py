"""`cds publish`: write what the warehouse publishes from its marts: the open-data package and the site."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser("publish", help="write the open-data package and the scorecard site from the marts")
    p.add_argument("--out", type=Path, help="the publish folder (default: $CDS_PUBLISH_DIR, else .state/publish)")
    p.set_defaults(func=cmd_publish)


def cmd_publish(args: argparse.Namespace) -> None:
    from cds_warehouse.publish.run import publish_all

    written = publish_all(args.out)
    print(written["open_data"])
    print(written["site"])
