#!/usr/bin/env bash
# Project-local PostgreSQL cluster: `pg.sh up|down|status|dsn|destroy`.
# Uses the system's PostgreSQL binaries, a project-owned data directory and a free loopback port.
# initdb/pg_ctl refuse to run as root, so as root they run as the `postgres` user and the data
# directory lives outside the (possibly 700) home directory.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
state="$repo/.state"
mkdir -p "$state"

find_bin() {
  local name=$1 dir
  if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return; fi
  for dir in /usr/lib/postgresql/*/bin /usr/pgsql-*/bin /opt/homebrew/bin /usr/local/pgsql/bin; do
    [ -x "$dir/$name" ] && { echo "$dir/$name"; return; }
  done
  echo "pg.sh: $name not found; install PostgreSQL 15 server binaries (Debian: postgresql-15)" >&2
  exit 1
}
INITDB=$(find_bin initdb)
PG_CTL=$(find_bin pg_ctl)
PSQL=$(find_bin psql)

if [ "$(id -u)" = 0 ]; then
  as_pg=(runuser -u postgres --)
  # A directory every parent of which the postgres user can traverse.
  pgroot="/var/tmp/cds-warehouse-$(printf '%s' "$repo" | sha1sum | cut -c1-12)"
else
  as_pg=()
  pgroot="$state/pg"
fi
datadir="$pgroot/data"
logfile="$pgroot/server.log"
portfile="$state/pg.port"

free_port() {
  python3 - <<'PY'
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()
PY
}

running() { [ -f "$datadir/postmaster.pid" ] && "${as_pg[@]}" "$PG_CTL" -D "$datadir" status >/dev/null 2>&1; }

up() {
  if [ ! -f "$datadir/PG_VERSION" ]; then
    mkdir -p "$pgroot"
    [ "$(id -u)" = 0 ] && chown postgres: "$pgroot"
    "${as_pg[@]}" "$INITDB" -D "$datadir" -U warehouse --auth=trust --encoding=UTF8 --locale=C.UTF-8 >/dev/null
  fi
  if running; then
    return 0
  fi
  local port
  port=$(free_port)
  echo "$port" >"$portfile"
  "${as_pg[@]}" "$PG_CTL" -D "$datadir" -l "$logfile" -w -t 60 \
    -o "-p $port -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100" start >/dev/null
  "$PSQL" -h 127.0.0.1 -p "$port" -U warehouse -d postgres -qtAc \
    "select 1 from pg_database where datname = 'warehouse'" | grep -q 1 ||
    "$PSQL" -h 127.0.0.1 -p "$port" -U warehouse -d postgres -qc "create database warehouse"
  echo "PostgreSQL up on 127.0.0.1:$port (data: $datadir)"
}

down() {
  if running; then "${as_pg[@]}" "$PG_CTL" -D "$datadir" -m fast -w stop >/dev/null; echo "PostgreSQL stopped"; fi
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) running && echo "running on port $(cat "$portfile")" || echo "stopped" ;;
  dsn) echo "postgresql://warehouse@127.0.0.1:$(cat "$portfile")/warehouse" ;;
  destroy) down; rm -rf "$pgroot" "$portfile" ;;
  *) echo "usage: $0 up|down|status|dsn|destroy" >&2; exit 2 ;;
esac
