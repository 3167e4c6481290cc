#!/usr/bin/env bash
# Entry point of the project's image (docker/Dockerfile, docker/docker-compose.yml).
#
#   init          prepare, then `airflow db migrate` and `cds setup` (the compose service `init`)
#   airflow ...   prepare, then run the Airflow command (api-server, scheduler, dag-processor, triggerer,
#                 celery worker, ...)
#   anything else run as given, without preparing (bash, psql, cds report, ...)
#
# Preparing:
#   - optional variables given empty (an unset line of docker/.env) are removed: AIRFLOW_CONN_*,
#     AIRFLOW_VAR_* and CDS_*; Airflow and the package then treat them as absent, not as empty values;
#   - AIRFLOW_CONN_CDS_WAREHOUSE and CDS_PII_KEY must be set, the key at least 32 characters long;
#   - the landing folder of every source ($CDS_LANDING_DIR/<source>/), $CDS_STATE_DIR/gx and Airflow's log
#     folder are created, and must be writable;
#   - when CDS_UI_PASSWORDS is set (a JSON object, user name -> password), it is written to the simple auth
#     manager's passwords file (AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE), readable by this user
#     only, and the variable is removed from the command's environment.
# A variable or folder that is wrong stops the container with a message naming it (exit status 64).
set -euo pipefail

die() {
    echo "cds-entrypoint: $*" >&2
    exit 64
}

project_root="${CDS_PROJECT_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}"

drop_empty_optional() {
    local name
    while IFS= read -r name; do
        if [[ -z "${!name}" ]]; then
            unset "$name"
        fi
    done < <(compgen -e | grep -E '^(AIRFLOW_CONN_|AIRFLOW_VAR_|CDS_)' || true)
}

check_required() {
    [[ -n "${AIRFLOW_CONN_CDS_WAREHOUSE:-}" ]] \
        || die "AIRFLOW_CONN_CDS_WAREHOUSE is not set (the warehouse, postgresql://user:password@host:port/db)"
    [[ -n "${CDS_PII_KEY:-}" ]] \
        || die "CDS_PII_KEY is not set (the key of the hash of ID numbers and phones; openssl rand -hex 32)"
    ((${#CDS_PII_KEY} >= 32)) \
        || die "CDS_PII_KEY is ${#CDS_PII_KEY} characters long; use at least 32 (openssl rand -hex 32)"
}

make_folder() {
    mkdir -p "$1" 2>/dev/null || die "cannot create $1 (as uid $(id -u)); is its volume writable?"
    [[ -w "$1" ]] || die "$1 is not writable by uid $(id -u); give the volume to that user (chown)"
}

make_folders() {
    local landing="${CDS_LANDING_DIR:-$project_root/.state/landing}"
    local state="${CDS_STATE_DIR:-$project_root/.state}"
    local source_file
    make_folder "$landing"
    for source_file in "$project_root"/src/cds_warehouse/sources/*.yml; do
        [[ -e "$source_file" ]] || die "no source described in $project_root/src/cds_warehouse/sources/"
        grep -Eq '^ +kind: +api' "$source_file" && continue  # pulled from an API: no landing folder
        make_folder "$landing/$(basename "$source_file" .yml)"
    done
    make_folder "$state/gx"
    make_folder "${AIRFLOW_HOME:-$HOME/airflow}/logs"
}

write_ui_passwords() {
    [[ -n "${CDS_UI_PASSWORDS:-}" ]] || return 0
    local file="${AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE:-${AIRFLOW_HOME:-$HOME/airflow}/simple_auth_manager_passwords.json.generated}"
    mkdir -p "$(dirname "$file")"
    (
        umask 077
        CDS_UI_PASSWORDS_FILE="$file" python3 - <<'PY' || exit 64
import json
import os
import sys

try:
    passwords = json.loads(os.environ["CDS_UI_PASSWORDS"])
except ValueError as exc:
    sys.exit(f"cds-entrypoint: CDS_UI_PASSWORDS is not JSON ({exc.msg}); expected {{\"admin\": \"...\"}}")
if not isinstance(passwords, dict) or not passwords:
    sys.exit('cds-entrypoint: CDS_UI_PASSWORDS must be a JSON object of user name -> password, e.g. {"admin": "..."}')
for user, password in passwords.items():
    if not isinstance(password, str) or len(password) < 12:
        sys.exit(f"cds-entrypoint: CDS_UI_PASSWORDS: the password of {user!r} must be a string of 12 characters or more")
with open(os.environ["CDS_UI_PASSWORDS_FILE"], "w", encoding="utf-8") as out:
    json.dump(passwords, out)
    out.write("\n")
PY
    )
    chmod 600 "$file"
    unset CDS_UI_PASSWORDS
}

prepare() {
    drop_empty_optional
    check_required
    make_folders
    write_ui_passwords
}

if [[ $# -eq 0 ]]; then
    set -- airflow version
fi

case "$1" in
    init)
        prepare
        echo "cds-entrypoint: airflow db migrate"
        airflow db migrate
        echo "cds-entrypoint: cds setup"
        exec cds setup
        ;;
    airflow)
        prepare
        exec "$@"
        ;;
    *)
        exec "$@"
        ;;
esac
