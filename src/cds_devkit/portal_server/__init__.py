"""A local stand-in for a provincial portal's dossier API, with faults on demand.

It serves synthetic dossiers (from ``cds_devkit.synthetic``) through the contract documented in
docs/sources/portal_api.md: bearer token, ``GET /api/v1/status`` and ``GET /api/v1/dossiers`` with keyset
paging on (updated_at, dossier_code). Every change of a dossier is one *version*: some dossiers are served
as 'Đã tiếp nhận', then 'Đang xử lý', ..., then their final state, each with its own update time.

Faults are switched on per server instance with a ``FaultPlan``: rates per request (drawn from a seeded
generator, so a given sequence of requests always meets the same faults) and/or explicit page numbers.

    dataset = PortalDataset.generate(rows=5_000, seed=7)
    with PortalServer(dataset, token="t", faults=FaultPlan(rates={"error": 0.1})) as server:
        server.url  # http://127.0.0.1:<free port>/api/v1

For tests, demos and benchmarks only: it listens on 127.0.0.1 and holds the dataset in memory (Arrow).
``cds portal-server --rows 20000`` runs one in the foreground.
"""

from cds_devkit.portal_server.dataset import PortalDataset
from cds_devkit.portal_server.faults import FAULT_KINDS, PAGE_FAULTS, TRANSPORT_FAULTS, FaultPlan
from cds_devkit.portal_server.server import PortalServer

__all__ = ["FAULT_KINDS", "PAGE_FAULTS", "TRANSPORT_FAULTS", "FaultPlan", "PortalDataset", "PortalServer"]
