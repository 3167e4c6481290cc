"""`python -m cds_warehouse.extract`: one pull of the portal API named by CDS_PORTAL_URL / CDS_PORTAL_TOKEN
(or the Airflow connection cds_portal) into the warehouse (WAREHOUSE_DSN)."""

from __future__ import annotations

import argparse
import logging
import sys
from datetime import timedelta

from cds_warehouse.extract import RetryPolicy, ingest_api, portal_config
from cds_warehouse.extract.ingest import DEFAULT_LAG


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cds_warehouse.extract", description=__doc__)
    parser.add_argument("--page-size", type=int, default=1000)
    parser.add_argument("--lag", type=float, default=DEFAULT_LAG.total_seconds(), help="settling lag, seconds")
    parser.add_argument("--attempts", type=int, default=RetryPolicy.max_attempts, help="attempts per request")
    parser.add_argument("--backoff", type=float, default=RetryPolicy.backoff_base, help="first backoff, seconds")
    parser.add_argument("--timeout", type=float, default=RetryPolicy.read_timeout, help="read timeout, seconds")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    config = portal_config()
    if config is None:
        print("No portal configured: set CDS_PORTAL_URL and CDS_PORTAL_TOKEN.", file=sys.stderr)
        return 2
    policy = RetryPolicy(max_attempts=args.attempts, backoff_base=args.backoff, read_timeout=args.timeout)
    print(ingest_api(config, policy=policy, page_size=args.page_size, lag=timedelta(seconds=args.lag)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
