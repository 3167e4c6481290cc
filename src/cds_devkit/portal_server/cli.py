"""`cds portal-server`: a local portal API in the foreground, for trying the API ingestion by hand."""

from __future__ import annotations

import logging
import secrets
import time


def register(subparsers) -> None:
    p = subparsers.add_parser("portal-server", help="run a local portal API on generated dossiers (Ctrl-C stops)")
    p.add_argument("--rows", type=int, default=20_000, help="dossiers to generate")
    p.add_argument("--seed", type=int, default=2025)
    p.add_argument("--token", default=None, help="bearer token (default: a random one, printed)")
    p.add_argument("--error-rate", type=float, default=0.0, help="share of requests answered with 500")
    p.set_defaults(func=_serve)


def _serve(args) -> None:
    from cds_devkit.portal_server import FaultPlan, PortalDataset, PortalServer

    logging.getLogger().setLevel(logging.INFO)
    token = args.token or secrets.token_urlsafe(24)
    dataset = PortalDataset.generate(rows=args.rows, seed=args.seed)
    faults = FaultPlan(seed=args.seed, rates={"error": args.error_rate} if args.error_rate else {})
    with PortalServer(dataset, token=token, faults=faults) as server:
        print(f"CDS_PORTAL_URL={server.url}\nCDS_PORTAL_TOKEN={token}\n{len(dataset):,} versions; Ctrl-C stops")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass
