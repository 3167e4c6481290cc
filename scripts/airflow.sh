#!/usr/bin/env bash
# Airflow for real on this machine: `airflow.sh up|down|status`.
# Starts the api-server (UI and REST API), scheduler (LocalExecutor), dag-processor and triggerer in the
# background, with their metadata in a PostgreSQL database of the warehouse's server, and the DAGs
# unpaused so they run on their schedules. Logs and pid files under $AIRFLOW_HOME.
#
# The warehouse is the Airflow connection cds_warehouse: AIRFLOW_CONN_CDS_WAREHOUSE when set, else
# WAREHOUSE_DSN, else the project-local cluster (scripts/pg.sh). Overridable: AIRFLOW_HOME
# (default .state/airflow-server), AIRFLOW_PORT (default 8080, else a free port), AIRFLOW_META_DB
# (default airflow_meta), AIRFLOW_ADMIN_USER (default admin). Secrets stay in the environment of the
# processes: the JWT secret is made anew at each start, the password of the UI is Airflow's own file.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
bin="$repo/.venv/bin"
export AIRFLOW_HOME=${AIRFLOW_HOME:-$repo/.state/airflow-server}
run="$AIRFLOW_HOME/run"
components=(api-server scheduler dag-processor triggerer)

pid_alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

free_port() {
  python3 - "$1" <<'PY'
import socket, sys
want = int(sys.argv[1])
s = socket.socket()
try:
    s.bind(("127.0.0.1", want))
except OSError:
    s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

warehouse_uri() {
  if [ -n "${AIRFLOW_CONN_CDS_WAREHOUSE:-}" ]; then echo "$AIRFLOW_CONN_CDS_WAREHOUSE";
  elif [ -n "${WAREHOUSE_DSN:-}" ]; then echo "$WAREHOUSE_DSN";
  else "$repo/scripts/pg.sh" dsn; fi
}

metadata_uri() {
  # the metadata database lives beside the warehouse, on the same server
  local warehouse=$1 db=${AIRFLOW_META_DB:-airflow_meta}
  local server=${warehouse%/*}
  "$bin/python" - "$server/postgres" "$db" <<'PY'
import sys
import psycopg
from psycopg import sql
with psycopg.connect(sys.argv[1], autocommit=True) as conn:
    if conn.execute("select 1 from pg_database where datname = %s", (sys.argv[2],)).fetchone() is None:
        conn.execute(sql.SQL("create database {}").format(sql.Identifier(sys.argv[2])))
PY
  echo "${server/postgresql:\/\//postgresql+psycopg2://}/$db"
}

up() {
  mkdir -p "$run"
  local running=0 c
  for c in "${components[@]}"; do pid_alive "$run/$c.pid" && running=1; done
  if [ "$running" = 1 ]; then echo "Airflow is already running (scripts/airflow.sh down stops it)"; status; return 0; fi

  local warehouse port
  warehouse=$(warehouse_uri)
  port=$(free_port "${AIRFLOW_PORT:-8080}")
  export PATH="$bin:$PATH"
  export AIRFLOW_CONN_CDS_WAREHOUSE="$warehouse"
  export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN
  AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=$(metadata_uri "$warehouse")
  # the async engine (api-server) through psycopg 3, already in the lock, instead of asyncpg
  export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC=${AIRFLOW__DATABASE__SQL_ALCHEMY_CONN/+psycopg2:/+psycopg:}
  export AIRFLOW__CORE__EXECUTOR=LocalExecutor
  export AIRFLOW__CORE__PARALLELISM=${AIRFLOW__CORE__PARALLELISM:-4}
  export AIRFLOW__CORE__DAGS_FOLDER="$repo/dags"
  export AIRFLOW__CORE__LOAD_EXAMPLES=False
  export AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION=${AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION:-False}
  export AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS="${AIRFLOW_ADMIN_USER:-admin}:admin"
  export AIRFLOW__API__PORT="$port"
  export AIRFLOW__API__HOST=127.0.0.1
  export AIRFLOW__API__BASE_URL="http://127.0.0.1:$port"
  export AIRFLOW__CORE__EXECUTION_API_SERVER_URL="http://127.0.0.1:$port/execution/"
  export AIRFLOW__API_AUTH__JWT_SECRET
  AIRFLOW__API_AUTH__JWT_SECRET=$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')
  export AIRFLOW__COSMOS__ENABLE_TELEMETRY=False DO_NOT_TRACK=1 SCARF_NO_ANALYTICS=true
  export DBT_SEND_ANONYMOUS_USAGE_STATS=False

  echo "Migrating Airflow's metadata database ..."
  "$bin/airflow" db migrate >"$AIRFLOW_HOME/migrate.log" 2>&1 || { tail -40 "$AIRFLOW_HOME/migrate.log"; exit 1; }
  for c in "${components[@]}"; do
    # each component leads its own process group: stopping it stops its task processes and workers too
    setsid nohup "$bin/airflow" "$c" >"$AIRFLOW_HOME/$c.log" 2>&1 &
    echo $! >"$run/$c.pid"
  done
  echo "$port" >"$run/port"

  local i
  for i in $(seq 1 120); do
    if "$bin/python" -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)" \
      "http://127.0.0.1:$port/api/v2/monitor/health" >/dev/null 2>&1; then
      break
    fi
    for c in "${components[@]}"; do
      pid_alive "$run/$c.pid" || { echo "airflow $c exited:"; tail -30 "$AIRFLOW_HOME/$c.log"; down; exit 1; }
    done
    sleep 1
  done
  status
  cat <<EOF

Airflow UI and REST API: http://127.0.0.1:$port
Log in as ${AIRFLOW_ADMIN_USER:-admin}, password: $(password)
The DAGs run on their schedules (agency_reports_landing 01:30, portal_dossiers_nightly 02:00 and after new
agency reports, warehouse_docs after the marts); trigger one now with the ▶ button or the REST API.
Drop files into ${CDS_LANDING_DIR:-$repo/.state/landing}/portal_dossiers/ and .../agency_reports/.
Logs: $AIRFLOW_HOME/logs (tasks) and $AIRFLOW_HOME/<component>.log. Stop: make airflow-down
EOF
}

password() {
  # Airflow's simple auth manager writes the generated password of each user into this file
  local file="$AIRFLOW_HOME/simple_auth_manager_passwords.json.generated" i
  for i in $(seq 1 30); do [ -s "$file" ] && break; sleep 1; done
  "$bin/python" -c "import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$file" "${AIRFLOW_ADMIN_USER:-admin}"
}

down() {
  local c pid
  for c in "${components[@]}"; do
    if pid_alive "$run/$c.pid"; then
      kill -TERM -- "-$(cat "$run/$c.pid")" 2>/dev/null || true
    fi
  done
  for c in "${components[@]}"; do
    if [ -f "$run/$c.pid" ]; then
      pid=$(cat "$run/$c.pid")
      for _ in $(seq 1 30); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
      kill -KILL -- "-$pid" 2>/dev/null || true
      rm -f "$run/$c.pid"
    fi
  done
  echo "Airflow stopped"
}

status() {
  local c
  for c in "${components[@]}"; do
    if pid_alive "$run/$c.pid"; then echo "  $c: running (pid $(cat "$run/$c.pid"))"; else echo "  $c: stopped"; fi
  done
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  password) password ;;
  *) echo "usage: $0 up|down|status|password" >&2; exit 2 ;;
esac
