"""What the portal API fault tests share: a local portal, one pull with fast retries, and what to compare."""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta

from leaks import personal_values

from cds_warehouse.extract import RetryPolicy, ingest_api
from cds_warehouse.extract.portal_api import PortalConfig
from cds_warehouse.portal_server import PortalDataset, PortalServer

TOKEN = "fault-token-5d1a"
FAST = RetryPolicy(max_attempts=4, backoff_base=0.01, backoff_max=0.05, connect_timeout=0.5, read_timeout=2.0)
PAGE = 100


def pull(server: PortalServer, policy: RetryPolicy = FAST, **kw):
    return ingest_api(PortalConfig(server.url, TOKEN), policy=policy, page_size=PAGE, lag=timedelta(0), **kw)


def raw_keys(conn) -> Counter:
    """Every version in raw.portal_dossier, with how many times it is there."""
    rows = conn.execute(
        "select province_code, dossier_code, to_char(updated_at, 'YYYY-MM-DD\"T\"HH24:MI:SS') from raw.portal_dossier"
    ).fetchall()
    return Counter(rows)


def served_keys(*served: PortalServer | PortalDataset) -> Counter:
    return Counter(key for s in served for key in getattr(s, "dataset", s).version_keys())


def assert_exactly_once(conn, *servers: PortalServer | PortalDataset) -> None:
    """0 versions lost, 0 duplicated: raw holds each served version (of the servers or datasets) once."""
    held, served = raw_keys(conn), served_keys(*servers)
    lost, twice = served - held, [k for k, n in held.items() if n > 1]
    assert not lost and not twice and held == served, f"{sum(lost.values())} lost, {len(twice)} duplicated"


def applicants(server: PortalServer, sample: int = 40, seed: int = 0) -> set[str]:
    """Clear-text personal values of a sample of the served versions, for the leak scan."""
    rows = server.dataset.rows()
    picked = random.Random(seed).sample(rows, min(sample, len(rows)))
    return personal_values(
        [
            {
                "applicant_name": r["applicant_name"],
                "applicant_id_hash": r["applicant_id"],
                "applicant_phone_hash": r["applicant_phone"],
                "applicant_address": r["applicant_address"],
                "summary": r["summary"],
            }
            for r in picked
        ]
    )
