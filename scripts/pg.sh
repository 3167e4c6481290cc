#!/usr/bin/env bash
# Project-local PostgreSQL cluster: `pg.sh up|down|status|dsn|destroy`.
# Uses the system's PostgreSQL binaries, a project-owned data directory and a free loopback port.
# Every connection authenticates with a password (scram-sha-256): the superuser `warehouse`'s is
# generated once into .state/pg.password (mode 0600); the socket directory is private to the server.
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
POSTGRES=$(find_bin postgres)

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
pwfile="$state/pg.password"
sockdir="$pgroot/run"

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

password() {
  if [ ! -s "$pwfile" ]; then
    (umask 077 && python3 -c 'import secrets; print(secrets.token_urlsafe(24))' >"$pwfile")
  fi
  chmod 600 "$pwfile"
  cat "$pwfile"
}

# Password authentication for every connection, local socket included (a cluster made before this
# used `trust`: its superuser gets the password and its pg_hba.conf is rewritten).
secure() {
  local port=$1 hba="$datadir/pg_hba.conf"
  if grep -Eq '^[^#]*[[:space:]]trust([[:space:]]|$)' "$hba"; then
    echo "alter role warehouse password '$(password)'" | "$PSQL" -h 127.0.0.1 -p "$port" -U warehouse -d postgres -q >/dev/null
    printf '%s\n' "# written by scripts/pg.sh: password authentication only" \
      "local all all scram-sha-256" "host all all 127.0.0.1/32 scram-sha-256" "host all all ::1/128 scram-sha-256" |
      "${as_pg[@]}" tee "$hba" >/dev/null
    "${as_pg[@]}" "$PG_CTL" -D "$datadir" reload >/dev/null
  fi
}

# A cluster whose password file is gone (a fresh clone at the same path reuses the data directory
# under /var/tmp, or .state was cleaned) gets the new password from a single-user backend, which
# needs no login; the password goes through stdin, never a command line.
adopt() {
  "${as_pg[@]}" "$PG_CTL" -D "$datadir" -m fast -w -t 30 stop >/dev/null 2>&1 || true
  rm -f "$datadir/postmaster.pid"
  local out="$pgroot/adopt.log" try
  # Backends of a killed server may hold its shared memory for a moment after it died.
  for try in 1 2 3 4 5; do
    echo "alter role warehouse password '$(password)';" |
      "${as_pg[@]}" "$POSTGRES" --single -D "$datadir" -j postgres >"$out" 2>&1 && break
    [ "$try" = 5 ] && { cat "$out" >&2; exit 1; }
    sleep 2
  done
  rm -f "$out"
  echo "PostgreSQL: the cluster in $datadir had lost its password file; a new password was set"
}

up() {
  local had_password=0
  [ -s "$pwfile" ] && had_password=1
  export PGPASSWORD
  PGPASSWORD=$(password)
  if [ -f "$datadir/PG_VERSION" ] && [ "$had_password" = 0 ]; then
    adopt
  fi
  if [ ! -f "$datadir/PG_VERSION" ]; then
    mkdir -p "$pgroot"
    [ "$(id -u)" = 0 ] && chown postgres: "$pgroot"
    local initpw="$pgroot/initdb.pw"
    (umask 077 && cp "$pwfile" "$initpw")
    [ "$(id -u)" = 0 ] && chown postgres: "$initpw"
    "${as_pg[@]}" "$INITDB" -D "$datadir" -U warehouse --auth=scram-sha-256 --pwfile="$initpw" \
      --encoding=UTF8 --locale=C.UTF-8 >/dev/null
    rm -f "$initpw"
  fi
  "${as_pg[@]}" mkdir -p -m 700 "$sockdir"
  if running; then
    secure "$(cat "$portfile")"
    return 0
  fi
  local port
  port=$(free_port)
  echo "$port" >"$portfile"
  "${as_pg[@]}" "$PG_CTL" -D "$datadir" -l "$logfile" -w -t 60 \
    -o "-p $port -k $sockdir -c unix_socket_permissions=0700 -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=100" start >/dev/null
  secure "$port"
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
  dsn) echo "postgresql://warehouse:$(password)@127.0.0.1:$(cat "$portfile")/warehouse" ;;
  destroy) down; rm -rf "$pgroot" "$portfile" "$pwfile" ;;
  *) echo "usage: $0 up|down|status|dsn|destroy" >&2; exit 2 ;;
esac
