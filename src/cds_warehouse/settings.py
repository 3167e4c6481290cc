"""Where things are: the warehouse DSN, the project's paths and the personal-data key."""

from __future__ import annotations

import functools
import os
import secrets
import sys
from pathlib import Path
from urllib.parse import quote, unquote, urlsplit

PROJECT_ROOT = Path(os.environ.get("CDS_PROJECT_ROOT", Path(__file__).resolve().parents[2]))
STATE_DIR = Path(os.environ.get("CDS_STATE_DIR", PROJECT_ROOT / ".state"))
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
EXPECTATIONS_DIR = PROJECT_ROOT / "expectations"
AIRFLOW_CONN_ID = "cds_warehouse"


def scaffold_root() -> Path:
    """Where `cds add-source` writes a new source's files: this project, or (CDS_SCAFFOLD_ROOT) a copy of it."""
    return Path(os.environ.get("CDS_SCAFFOLD_ROOT", PROJECT_ROOT))


def _airflow_connection_uri() -> str | None:
    """The Airflow connection ``cds_warehouse``, when running inside Airflow and it is defined."""
    env = os.environ.get(f"AIRFLOW_CONN_{AIRFLOW_CONN_ID.upper()}")
    if env:
        return env
    if "airflow.sdk" not in sys.modules:  # importing Airflow costs seconds; only ask from inside it
        return None
    return _connection_from_airflow()


@functools.cache  # one look-up per task process: the connection does not change during a task
def _connection_from_airflow() -> str | None:
    try:
        from airflow.sdk import Connection

        return Connection.get(AIRFLOW_CONN_ID).get_uri()
    except Exception:  # not in a task context, or no such connection
        return None


def warehouse_dsn() -> str:
    """The one place every part takes the warehouse from: the Airflow connection ``cds_warehouse`` (under
    Airflow; the dbt tasks' profile maps the same connection), else WAREHOUSE_DSN, else the local cluster."""
    dsn = _airflow_connection_uri() or os.environ.get("WAREHOUSE_DSN")
    if dsn:
        return dsn.replace("postgresql+psycopg2://", "postgresql://").replace("postgres://", "postgresql://")
    return local_cluster_dsn()


def local_cluster_dsn() -> str:
    """The project-local cluster started by scripts/pg.sh (its password is in the state directory)."""
    port_file, password_file = STATE_DIR / "pg.port", STATE_DIR / "pg.password"
    if not port_file.exists() or not password_file.exists():
        raise RuntimeError(
            "No warehouse: define the Airflow connection cds_warehouse, set WAREHOUSE_DSN, or start the local"
            " cluster with `make db-up`."
        )
    password = quote(password_file.read_text().strip(), safe="")
    return f"postgresql://warehouse:{password}@127.0.0.1:{port_file.read_text().strip()}/warehouse"


def is_local_cluster(dsn: str) -> bool:
    """Whether the DSN points at the project-local cluster started by scripts/pg.sh."""
    port_file = STATE_DIR / "pg.port"
    if not port_file.exists():
        return False
    parts = urlsplit(dsn)
    return parts.hostname in ("127.0.0.1", "localhost") and str(parts.port) == port_file.read_text().strip()


def libpq_env(dsn: str) -> dict[str, str]:
    """PG* variables for tools that take them (dbt's profile, psql)."""
    parts = urlsplit(dsn)
    env = {
        "PGHOST": parts.hostname or "127.0.0.1",
        "PGPORT": str(parts.port or 5432),
        "PGUSER": unquote(parts.username or "postgres"),
        "PGDATABASE": parts.path.lstrip("/") or "postgres",
    }
    if parts.password:
        env["PGPASSWORD"] = unquote(parts.password)
    return env


def pii_key() -> bytes:
    """Key for hashing ID numbers and phones. From CDS_PII_KEY; never stored in the repository.

    For the project-local cluster a random key is made once and kept in the state directory,
    so repeated local loads hash alike. A shared warehouse must be given the key explicitly.
    """
    key = os.environ.get("CDS_PII_KEY")
    if key:
        return key.encode()
    if not is_local_cluster(warehouse_dsn()):
        raise RuntimeError("CDS_PII_KEY must be set when loading into a shared warehouse.")
    key_file = STATE_DIR / "pii.key"
    if not key_file.exists():
        STATE_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_hex(32))
        key_file.chmod(0o600)
    return key_file.read_text().strip().encode()
