"""Everything the warehouse publishes, in one call: the open-data package and the scorecard site, read from
the marts as the last dbt build left them. `cds publish`, the `publish` task of the warehouse_docs DAG and
`cds demo` call it."""

from __future__ import annotations

from pathlib import Path

from cds_warehouse.db import connect
from cds_warehouse.publish.folders import publish_root
from cds_warehouse.publish.open_data import publish_open_data
from cds_warehouse.publish.site import publish_site
from cds_warehouse.settings import warehouse_dsn


def publish_all(out: Path | None = None) -> dict[str, Path]:
    """Write open-data/ and site/ under `out` (default $CDS_PUBLISH_DIR, else .state/publish); returns the
    package's folder and the site's index page."""
    root = Path(out or publish_root())
    with connect(warehouse_dsn()) as conn:
        open_data = publish_open_data(conn, root / "open-data")
        site = publish_site(conn, root / "site")
    return {"open_data": open_data, "site": site / "index.html"}
