"""What the portal API fault tests share: a local portal, one pull with fast retries, and what to compare."""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta

from leaks import personal_values

from cds_devkit.portal_server import PortalDataset, PortalServer
from cds_warehouse.extract import RetryPolicy, ingest_api
from cds_warehouse.extract.portal_api import PortalConfig

TOKEN = "fault-token-5d1a"
FAST = RetryPolicy(max_attempts=4, backoff_base=0.01, backoff_max=0.05, connect_timeout=0.5, read_timeout=2.0)
PAGE = 100


def pull(server: PortalServer, policy: RetryPolicy = FAST, **kw):
    return ingest_api(PortalConfig(server.url, TOKEN), policy=policy, page_size=PAGE, lag=timedelta(0), **kw)


def raw_keys(conn, ignored_loads: tuple[int, ...] = ()) -> Counter:
    """Every version in raw.portal_dossier (but those of the ignored loads), with how many times it is there."""
    rows = conn.execute(
        "select province_code, dossier_code, to_char(updated_at, 'YYYY-MM-DD\"T\"HH24:MI:SS') from raw.portal_dossier"
        " where load_id <> all(%s)",
        (list(ignored_loads),),
    ).fetchall()
    return Counter(rows)


def served_keys(*served: PortalServer | PortalDataset) -> Counter:
    return Counter(key for s in served for key in getattr(s, "dataset", s).version_keys())


def assert_exactly_once(
    conn, *served: PortalServer | PortalDataset, rejected: int = 0, ignored_loads: tuple[int, ...] = ()
) -> None:
    """0 versions lost, 0 duplicated: raw holds each served version (of the servers or datasets) once, but
    the `rejected` ones (in raw.load_reject), and nothing else (the ignored loads aside: a quarantined one)."""
    held, expected = raw_keys(conn, ignored_loads), served_keys(*served)
    lost, twice = expected - held, [k for k, n in held.items() if n > 1]
    assert not twice, f"{len(twice)} version(s) duplicated"
    assert held <= expected, f"{sum((held - expected).values())} version(s) that were not served"
    assert sum(lost.values()) == rejected, f"{sum(lost.values())} version(s) lost ({rejected} rejected)"
    assert conn.execute("select count(*) from raw.load_reject").fetchone()[0] == rejected


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
