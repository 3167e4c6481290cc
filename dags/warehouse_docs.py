"""Documentation of the warehouse, regenerated whenever the marts are rebuilt (Asset `cds_marts`).

`dbt_docs`: `dbt docs generate` against the warehouse (the catalog of every relation and column, with the
lineage), written to dbt_project/target_docs/ (open index.html there; `cds docs` does the same by hand).
Great Expectations' Data Docs are updated by every checkpoint run of the other DAGs.

`publish`: what the warehouse publishes from the marts (`cds publish` does the same by hand;
docs/publish.md): the open-data package (`open-data/`, a Frictionless Data Package) and the scorecard site
(`site/index.html`: provinces, targets with status, gap and projection, charts, 766 points by group, data
freshness; Vietnamese, English under `en/`), each replaced whole under $CDS_PUBLISH_DIR (default
.state/publish).

The logic lives in the cds_warehouse package; this file only wires it.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import dag, task

from cds_warehouse.scheduling import MARTS, TIMEZONE, default_args


@dag(
    schedule=[MARTS],
    start_date=pendulum.datetime(2024, 1, 1, tz=TIMEZONE),
    catchup=False,
    max_active_runs=1,
    default_args=default_args(),
    tags=["dbt", "docs"],
    doc_md=__doc__,
)
def warehouse_docs():
    @task
    def dbt_docs() -> str:
        from cds_warehouse.dbt_build import generate_docs

        return str(generate_docs())

    @task
    def publish() -> dict[str, str]:
        from cds_warehouse.publish.run import publish_all

        return {name: str(path) for name, path in publish_all().items()}

    dbt_docs()
    publish()


warehouse_docs()
