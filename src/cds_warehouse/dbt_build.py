"""dbt builds run from the DAGs and the benchmark: one way to call dbt, and what each DAG selects.

The portal's nightly DAG renders only the models downstream of the portal's raw tables (PORTAL_MODELS)
as Airflow tasks. What those models read besides the portal (seeds, reference dimensions, agency-report
models) changes only when the dbt project changes, so build_portal_inputs builds it on the first run
and after each change of the project, and skips it otherwise.
"""

from __future__ import annotations

import collections
import contextlib
import hashlib
import json
import logging
import os
import subprocess
import sys
from pathlib import Path

from cds_warehouse.db import connect
from cds_warehouse.settings import DBT_PROJECT_DIR, libpq_env, warehouse_dsn

log = logging.getLogger(__name__)

DBT_MANIFEST = DBT_PROJECT_DIR / "target" / "manifest.json"
PORTAL_MODELS_PATH = "models/staging/portal_dossiers/"
PORTAL_MODELS = f"path:{PORTAL_MODELS_PATH.rstrip('/')}+"
# Every ancestor of the portal models that is not itself downstream of the portal's raw tables, and the
# labels of the BI contract (marts.dim_code_label), which no model reads but BI tools and the site do.
PORTAL_INPUTS = {"select": ["@source:raw.portal_dossier", "+dim_code_label"], "exclude": [PORTAL_MODELS]}
INPUTS_STATE = "reference.dbt_portal_inputs_build"  # the project digest of the last inputs build
_NOT_PROJECT_FILES = {"target", "logs", "dbt_packages"}


def dbt_executable() -> str:
    """The dbt next to the running Python (the project's venv), else whatever is on PATH."""
    candidate = Path(sys.executable).parent / "dbt"
    return str(candidate) if candidate.exists() else "dbt"


def dbt_project_dir() -> Path:
    """The dbt project (CDS_DBT_PROJECT_DIR overrides it, e.g. a test copy with a fixture catalog)."""
    return Path(os.environ.get("CDS_DBT_PROJECT_DIR", DBT_PROJECT_DIR))


def run_results_path(artifacts: str = "warehouse") -> Path:
    """dbt's run_results.json of the last build with these artifacts (see run_build)."""
    return dbt_project_dir() / f"target_{artifacts}" / "run_results.json"


def run_build(
    select: list[str] = (), exclude: list[str] = (), extra: list[str] = (), artifacts: str = "warehouse"
) -> None:
    """`dbt build` of a selection (everything when none) against the warehouse, logged; raises with
    dbt's output on failure. Builds that may run at the same time (one per DAG) keep their target and
    log folders apart (``artifacts``); builds in sequence share them, so dbt parses only what changed."""
    run_dbt(
        "build",
        [
            *(["--select", *select] if select else []),
            *(["--exclude", *exclude] if exclude else []),
            # tests of a selected node whose other parents are not selected stay out
            "--indirect-selection",
            "cautious",
            *extra,
        ],
        artifacts,
    )


def parse_project(artifacts: str = "warehouse") -> None:
    """`dbt parse` into the builds' target folder: the next build against this warehouse reads the parsed
    project instead of parsing it again (dbt parses it all when the profile's values change)."""
    run_dbt("parse", [], artifacts)


def run_dbt(command: str, args: list[str], artifacts: str = "warehouse", builds: bool = True) -> None:
    """One dbt command against the warehouse with the project's folders (see run_build). dbt's output is
    logged line by line as it runs (a long build shows its progress in the task log), without colours.
    A command that builds (``builds``) waits for any other build against the warehouse."""
    project = dbt_project_dir()
    env = {**os.environ, **libpq_env(warehouse_dsn()), "DBT_SEND_ANONYMOUS_USAGE_STATS": "False"}
    argv = [
        dbt_executable(),
        "--no-use-colors",
        command,
        *args,
        "--project-dir",
        str(project),
        "--profiles-dir",
        str(project),
        "--target-path",
        str(run_results_path(artifacts).parent),
        "--log-path",
        str(project / f"logs_{artifacts}"),
    ]
    log.info("%s", " ".join(argv))
    tail: collections.deque[str] = collections.deque(maxlen=80)  # what a failure's message quotes
    with (
        _one_build_at_a_time() if builds else contextlib.nullcontext(),
        subprocess.Popen(
            argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
        ) as process,
    ):
        for line in process.stdout:
            line = line.rstrip("\n")
            tail.append(line)
            log.info("dbt: %s", line)
    if process.returncode != 0:
        output = "\n".join(tail)
        raise RuntimeError(f"dbt {command} failed (exit {process.returncode}):\n{output}")


@contextlib.contextmanager
def _one_build_at_a_time():
    """Hold the warehouse's dbt lock while a build runs. Both DAGs build the agency-report models (the
    agency DAG every night, the portal DAG's portal_inputs after a project change), and two builds of one
    view at once fail ("relation already exists"): the second build waits for the first instead."""
    with connect(autocommit=True) as conn:
        if not conn.execute("select pg_try_advisory_lock(hashtext('cds_warehouse.dbt_build'))").fetchone()[0]:
            log.info("another dbt build is running against this warehouse; waiting for it")
            conn.execute("select pg_advisory_lock(hashtext('cds_warehouse.dbt_build'))")
        try:
            yield
        finally:
            conn.execute("select pg_advisory_unlock(hashtext('cds_warehouse.dbt_build'))")


def project_digest(project: Path | None = None) -> str:
    """sha256 over the dbt project's own files (models, seeds, macros, tests, configuration)."""
    project = project or dbt_project_dir()
    digest = hashlib.sha256()
    for path in sorted(project.rglob("*")):
        relative = path.relative_to(project)
        if not path.is_file() or relative.parts[0].startswith((*_NOT_PROJECT_FILES, ".")):
            continue
        digest.update(str(relative).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def build_portal_inputs() -> bool:
    """Build the portal models' other inputs unless this version of the project already built them in
    this warehouse; returns whether it built. The record lives in the reference schema, so a warehouse
    whose dbt schemas were dropped is rebuilt."""
    digest = project_digest()
    with connect() as conn:
        if conn.execute("select to_regclass(%s)", (INPUTS_STATE,)).fetchone()[0]:
            built = conn.execute(f"select project_digest from {INPUTS_STATE}").fetchone()
            missing = _missing_portal_inputs(conn)
            if built and built[0] == digest and not missing:
                log.info("portal inputs already built by this version of the dbt project (%s)", digest[:12])
                return False
            if missing:
                log.warning("portal inputs missing from the warehouse, rebuilt: %s", ", ".join(missing))
    run_build(**PORTAL_INPUTS)
    _record_inputs_built(digest)
    return True


def _missing_portal_inputs(conn) -> list[str]:
    """The relations the portal models read besides the portal (their parents outside the portal chain)
    that the warehouse lacks. A seed rebuilt outside portal_inputs (a `dbt seed` by hand) drops the views
    built on it with CASCADE, which the project digest cannot see. Read from dbt's manifest; none when
    there is no manifest to read."""
    project = dbt_project_dir()
    manifests = [run_results_path().parent / "manifest.json", project / "target" / "manifest.json"]
    path = next((m for m in manifests if m.exists()), None)
    if path is None:
        return []
    manifest = json.loads(path.read_text(encoding="utf-8"))
    nodes, children = manifest["nodes"], manifest["child_map"]
    chain = {k for k, n in nodes.items() if n.get("original_file_path", "").startswith(PORTAL_MODELS_PATH)}
    pending = list(chain)
    while pending:
        for child in children.get(pending.pop(), []):
            if child in nodes and child not in chain:
                chain.add(child)
                pending.append(child)
    inputs = {
        parent
        for key in chain
        for parent in nodes[key]["depends_on"]["nodes"]
        if parent in nodes
        and parent not in chain
        and nodes[parent]["resource_type"] in ("model", "seed")
        and nodes[parent]["config"].get("materialized") != "ephemeral"  # no relation of its own
    }
    names = sorted(f"{nodes[k]['schema']}.{nodes[k]['alias']}" for k in inputs)
    rows = conn.execute("select name from unnest(%s::text[]) as r (name) where to_regclass(name) is null", (names,))
    return [r[0] for r in rows.fetchall()]


def full_build() -> None:
    """`dbt build --full-refresh` of the whole project: every model rebuilt from all published loads
    (after a change of an incremental model's columns, or to check the incremental runs)."""
    digest = project_digest()
    run_build(extra=["--full-refresh"])
    _record_inputs_built(digest)


def _record_inputs_built(digest: str) -> None:
    with connect() as conn, conn.transaction():
        conn.execute(f"create table if not exists {INPUTS_STATE} (project_digest text not null, built_at timestamptz)")
        conn.execute(f"delete from {INPUTS_STATE}")
        conn.execute(f"insert into {INPUTS_STATE} values (%s, now())", (digest,))
    log.info("portal inputs built by this version of the dbt project (%s)", digest[:12])


def check_source_freshness() -> list[str]:
    """`dbt source freshness`: how old the newest published batch of each source is, against the
    `freshness:` of its YAML (mirrored in models/staging/_raw__sources.yml). Returns one line per stale
    source, each logged as a warning: agencies report monthly or quarterly and the portal API is optional,
    so staleness is a fact to look at, not a failed night. Raises when dbt could not measure a source
    (a query error, a missing table): that is a defect, not staleness."""
    results = run_results_path("freshness").parent / "sources.json"
    results.unlink(missing_ok=True)
    try:
        run_dbt("source", ["freshness"], artifacts="freshness", builds=False)  # reads raw only
    except RuntimeError:
        if not results.exists():
            raise  # dbt stopped before measuring anything
    measured = json.loads(results.read_text(encoding="utf-8"))["results"]
    # a source whose query failed is left out of sources.json: compare with the sources that have a freshness
    manifest = json.loads((results.parent / "manifest.json").read_text(encoding="utf-8"))
    expected = {
        key
        for key, node in manifest["sources"].items()
        if any(
            (node["config"].get("freshness") or {}).get(f"{level}_after", {}).get("count")
            for level in ("warn", "error")
        )
    }
    broken = sorted(expected - {r["unique_id"] for r in measured if r["status"] in ("pass", "warn", "error")})
    if broken:
        raise RuntimeError(f"dbt could not measure the freshness of {', '.join(broken)} (see the log above)")
    stale = []
    for result in measured:
        if result["status"] == "pass":
            continue
        criteria = result["criteria"][f"{result['status']}_after"]
        # dbt reports a source without any published batch as loaded in the year 1
        newest = (
            "none published yet"
            if result["max_loaded_at"].startswith("0001-")
            else f"newest published {result['max_loaded_at_time_ago_in_s'] / 86400:.1f} days ago"
        )
        stale.append(
            f"{result['unique_id'].removeprefix('source.cds_warehouse.')}: {newest}"
            f" ({result['status']} after {criteria['count']} {criteria['period']}s)"
        )
    for line in stale:
        log.warning("stale source: %s", line)
    return stale


def generate_docs() -> Path:
    """`dbt docs generate` against the warehouse; returns the index.html to open (its catalog.json and
    manifest.json beside it). Works on a fresh warehouse once it is set up (setup.set_up_warehouse).
    Without compiling: the portal models' SQL runs queries when it compiles (the loads of the run), which
    need the models built; the catalog, the lineage and each model's source SQL do not."""
    run_dbt("docs", ["generate", "--no-compile"], artifacts="docs")
    return run_results_path("docs").parent / "index.html"


def dbt_tests_left_without_a_task(manifest: dict, model_ids: set[str]) -> list[str]:
    """The tests on these models that none of their `dbt build --select <model> --indirect-selection
    buildable` runs would run: buildable runs a test with a model only when each of the test's other
    parents is that model's ancestor, so it runs after every table it compares. The nightly DAG runs one such
    build per model; a test listed here would silently never run there."""
    nodes = {**manifest["nodes"], **manifest["sources"]}
    parents = {key: set(node.get("depends_on", {}).get("nodes", [])) for key, node in nodes.items()}
    ancestors: dict[str, set[str]] = {}

    def ancestors_of(key: str) -> set[str]:
        if key not in ancestors:
            ancestors[key] = set()  # a cycle is dbt's error, not a loop here
            ancestors[key] = set().union(*({p} | ancestors_of(p) for p in parents.get(key, ())))
        return ancestors[key]

    return sorted(
        key
        for key, node in manifest["nodes"].items()
        if node["resource_type"] == "test"
        and parents[key] & model_ids
        and not any(parents[key] - {model} <= ancestors_of(model) for model in parents[key] & model_ids)
    )
