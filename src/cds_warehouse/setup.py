"""Set-up of a warehouse, the first step of every night: idempotent, so an empty warehouse is a normal night.

It makes what ingestion and dbt expect to exist before anything was ever loaded: the raw tables of every
source (``sql/*.sql``), the schemas dbt builds into, and the BI role with its grants on the marts. dbt's
``on-run-end`` keeps granting the tables it creates (macros/grant_bi_access.sql).
"""

from __future__ import annotations

import logging
import secrets

from psycopg import sql

from cds_warehouse.db import apply_raw_schema, connect

log = logging.getLogger(__name__)

DBT_SCHEMAS = ("staging", "intermediate", "marts", "reference")
BI_ROLE = "bi_reader"
# Roles belong to the server, advisory locks to one database: another warehouse database on the same server
# may create the role at the same moment, which is no error here.
CREATE_BI_ROLE = sql.SQL("""
    do $$ begin
        if not exists (select from pg_roles where rolname = {name}) then
            create role {role} nologin;
        end if;
    exception when duplicate_object or unique_violation then null;
    end $$""")


def set_up_warehouse(dsn: str | None = None) -> dict[str, object]:
    """Create what is missing; returns what the warehouse holds afterwards (for the task log)."""
    with connect(dsn, autocommit=True) as conn:
        apply_raw_schema(conn)
        with conn.transaction():
            # one at a time, with dbt's grants too (macros/grant_bi_access.sql): two DAGs starting together
            # would race on `create role` and on the catalog rows of the grants
            conn.execute("select pg_advisory_xact_lock(hashtext('cds_warehouse.roles_and_grants'))")
            for schema in DBT_SCHEMAS:
                conn.execute(sql.SQL("create schema if not exists {}").format(sql.Identifier(schema)))
            conn.execute(CREATE_BI_ROLE.format(role=sql.Identifier(BI_ROLE), name=sql.Literal(BI_ROLE)))
            role = sql.Identifier(BI_ROLE)
            conn.execute(sql.SQL("grant usage on schema marts to {}").format(role))
            conn.execute(sql.SQL("alter default privileges in schema marts grant select on tables to {}").format(role))
        raw_tables = conn.execute(
            "select count(*) from pg_tables where schemaname = 'raw'",
        ).fetchone()[0]
    state = {"raw_tables": raw_tables, "schemas": list(DBT_SCHEMAS), "bi_role": BI_ROLE}
    log.info("warehouse set up: %s", state)
    return state


def set_up_night(data_interval_end, run_after) -> str:
    """The first task of every DAG: the warehouse made ready, and the run's evaluation date (ISO) that the
    later tasks take from it (run_dates.evaluation_date)."""
    from cds_warehouse.run_dates import evaluation_date

    set_up_warehouse()
    return evaluation_date(data_interval_end, run_after).isoformat()


def create_bi_login(name: str, dsn: str | None = None) -> str:
    """A login role in the BI role (it reads the marts but fct_dossier, and nothing else) with a generated
    password, which is returned to be shown once and stored nowhere. For an existing name: a new password."""
    password = secrets.token_urlsafe(18)
    set_up_warehouse(dsn)
    role = sql.Identifier(name)
    with connect(dsn, autocommit=True) as conn:
        if conn.execute("select 1 from pg_roles where rolname = %s", (name,)).fetchone() is None:
            conn.execute(sql.SQL("create role {} login").format(role))
        conn.execute(sql.SQL("alter role {} login password {}").format(role, sql.Literal(password)))
        conn.execute(sql.SQL("grant {} to {}").format(sql.Identifier(BI_ROLE), role))
    return password
