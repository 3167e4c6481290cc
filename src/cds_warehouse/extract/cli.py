"""`cds ingest-api`: one pull of the portal API named by CDS_PORTAL_URL / CDS_PORTAL_TOKEN (or the Airflow
connection cds_portal) into the warehouse, as one batch."""

from __future__ import annotations

import sys
from datetime import timedelta

from cds_warehouse.extract.contract import MAX_LIMIT
from cds_warehouse.extract.http import RetryPolicy
from cds_warehouse.extract.ingest import DEFAULT_LAG


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "ingest-api", help="pull the portal API (CDS_PORTAL_URL, CDS_PORTAL_TOKEN) into one batch"
    )
    p.add_argument("--page-size", type=int, default=MAX_LIMIT)
    p.add_argument("--lag", type=float, default=DEFAULT_LAG.total_seconds(), help="settling lag, seconds")
    p.add_argument("--attempts", type=int, default=RetryPolicy.max_attempts, help="attempts per request")
    p.add_argument("--backoff", type=float, default=RetryPolicy.backoff_base, help="first backoff, seconds")
    p.add_argument("--timeout", type=float, default=RetryPolicy.read_timeout, help="read timeout, seconds")
    p.set_defaults(func=_ingest_api)


def _ingest_api(args) -> None:
    from cds_warehouse.extract import ingest_api, portal_config
    from cds_warehouse.local_run import export_warehouse_env

    export_warehouse_env()
    config = portal_config()
    if config is None:
        sys.exit("No portal configured: set CDS_PORTAL_URL and CDS_PORTAL_TOKEN.")
    policy = RetryPolicy(max_attempts=args.attempts, backoff_base=args.backoff, read_timeout=args.timeout)
    print(ingest_api(config, policy=policy, page_size=args.page_size, lag=timedelta(seconds=args.lag)))
