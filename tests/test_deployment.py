"""The Docker deployment (docker/, .dockerignore), checked without Docker: the compose file and the Dockerfile
refer to files, commands and variables that exist, secrets come only from the environment, and the image's
entry point does what docs/deployment.md says when run here with stand-in commands."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
import tomllib
from pathlib import Path, PurePosixPath

import pytest
import yaml

from cds_warehouse.sources import file_sources, load_source

ROOT = Path(__file__).resolve().parents[1]
DOCKER = ROOT / "docker"
COMPOSE_FILE = DOCKER / "docker-compose.yml"
DOCKERFILE = DOCKER / "Dockerfile"
ENTRYPOINT = DOCKER / "entrypoint.sh"
ENV_EXAMPLE = DOCKER / ".env.example"
DOCKERIGNORE = ROOT / ".dockerignore"
DEPLOYMENT_DOC = ROOT / "docs" / "deployment.md"
AIRFLOW = Path(sys.executable).parent / "airflow"

AIRFLOW_SERVICES = {"init", "api-server", "scheduler", "dag-processor", "triggerer", "worker"}
CELERY_SERVICES = {"redis", "worker"}
SHARED_SETTINGS = (
    "AIRFLOW__API_AUTH__JWT_SECRET",
    "AIRFLOW__CORE__EXECUTION_API_SERVER_URL",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN",
    "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC",
    "AIRFLOW__CORE__FERNET_KEY",
    "AIRFLOW__API__SECRET_KEY",
    "AIRFLOW_CONN_CDS_WAREHOUSE",
)
TELEMETRY_OFF = {
    "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
    "DBT_SEND_ANONYMOUS_USAGE_STATS": "False",
    "DO_NOT_TRACK": "1",
    "SCARF_NO_ANALYTICS": "true",
}
A_KEY = "k" * 40

# Compose's interpolation: $$ is a literal $, then ${NAME}, ${NAME<op><arg>} and $NAME.
_REFERENCE = re.compile(r"\$(?:(?P<escaped>\$)|\{(?P<braced>[^}]*)\}|(?P<named>[_A-Za-z][_A-Za-z0-9]*))")
_BRACED = re.compile(r"(?P<name>[_A-Za-z][_A-Za-z0-9]*)(?:(?P<op>:?[-?+])(?P<arg>.*))?", re.S)


def references(text: str) -> list[tuple[str, str | None, str]]:
    """(name, operator, argument) of every variable the text refers to, in compose's syntax."""
    found = []
    for m in _REFERENCE.finditer(text):
        if m["escaped"]:
            continue
        if m["named"]:
            found.append((m["named"], None, ""))
            continue
        braced = _BRACED.fullmatch(m["braced"])
        assert braced, f"not a variable reference compose understands: ${{{m['braced']}}}"
        found.append((braced["name"], braced["op"], braced["arg"] or ""))
    return found


def interpolate(text: str, env: dict[str, str]) -> str:
    def value(m: re.Match) -> str:
        if m["escaped"]:
            return "$"
        if m["named"]:
            return env.get(m["named"], "")
        b = _BRACED.fullmatch(m["braced"])
        name, op, arg = b["name"], b["op"], b["arg"] or ""
        current = env.get(name)
        if op in (":?", "?") and not current:
            raise KeyError(f"{name}: {arg}")
        if op == ":-":
            return current or arg
        return current or ""

    return _REFERENCE.sub(value, text)


def interpolated(node, env: dict[str, str]):
    """The parsed compose file with its variables replaced, as compose does it: value by value."""
    if isinstance(node, dict):
        return {key: interpolated(value, env) for key, value in node.items()}
    if isinstance(node, list):
        return [interpolated(item, env) for item in node]
    return interpolate(node, env) if isinstance(node, str) else node


def strings(node):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from strings(key)
            yield from strings(value)
    elif isinstance(node, list):
        for item in node:
            yield from strings(item)
    elif isinstance(node, str):
        yield node


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def services(compose) -> dict[str, dict]:
    return compose["services"]


def environment(service: dict) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {key: str(value) for key, value in env.items()}


def command(service: dict) -> list[str]:
    cmd = service.get("command") or []
    return shlex.split(cmd) if isinstance(cmd, str) else [str(c) for c in cmd]


def env_example() -> dict[str, str]:
    values = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, sep, value = line.partition("=")
            assert sep, f"not NAME=value in docker/.env.example: {line!r}"
            values[name.strip()] = value.strip()
    return values


# --- .dockerignore, read the way Docker reads it -------------------------------------------------------


def _pattern_regex(pattern: str) -> re.Pattern:
    """A .dockerignore pattern (Go filepath.Match plus **), anchored at the context's root."""
    pattern = str(PurePosixPath(pattern.strip().lstrip("/")))
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        elif pattern[i] == "[":
            end = pattern.index("]", i)
            out, i = out + "[" + pattern[i + 1 : end].replace("!", "^", 1) + "]", end + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return re.compile(out)


def dockerignore_rules() -> list[tuple[bool, re.Pattern]]:
    rules = []
    for line in DOCKERIGNORE.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        negated = line.startswith("!")
        rules.append((negated, _pattern_regex(line[1:] if negated else line)))
    return rules


def excluded(path: str, rules: list[tuple[bool, re.Pattern]]) -> bool:
    """Whether Docker leaves the path out of the build context: the last rule matching the path or one of
    its parent folders decides."""
    parts = PurePosixPath(path).parts
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    result = False
    for negated, regex in rules:
        if any(regex.fullmatch(c) for c in candidates):
            result = not negated
    return result


def test_the_dockerignore_reading_follows_docker():
    rules = [(False, _pattern_regex(p)) for p in (".venv", "**/.env", "dbt_project/target*", "*.key")]
    assert excluded(".venv/bin/python", rules)
    assert not excluded("src/.venv", rules)  # no slash: the root only, unlike .gitignore
    assert excluded(".env", rules) and excluded("docker/.env", rules)
    assert excluded("dbt_project/target_warehouse/run_results.json", rules)
    assert not excluded("dbt_project/models/x.sql", rules)
    assert excluded("pii.key", rules) and not excluded("docs/pii.key", rules)
    assert not excluded("a", [*rules, (False, _pattern_regex("a")), (True, _pattern_regex("a"))])


@pytest.mark.parametrize(
    "path",
    [
        ".venv/bin/python",
        ".state/pii.key",
        ".state/pg.port",
        ".state/airflow/airflow.db",
        ".state/landing/portal_dossiers/export.csv",
        ".state/gx/gx/great_expectations.yml",
        ".git/config",
        "airflow.db",
        "dags/airflow.db",
        "pii.key",
        "src/cds_warehouse/signing.key",
        "docker/.env",
        ".env",
        "dbt_project/target/manifest.json",
        "dbt_project/target_warehouse/run_results.json",
        "dbt_project/logs/dbt.log",
        "dbt_project/logs_warehouse/dbt.log",
        "src/cds_warehouse/__pycache__/cli.cpython-311.pyc",
        "tests/__pycache__/conftest.cpython-311.pyc",
        ".pytest_cache/v/cache/lastfailed",
        ".ruff_cache/CACHEDIR.TAG",
    ],
)
def test_dockerignore_keeps_state_secrets_and_caches_out_of_the_image(path):
    assert excluded(path, dockerignore_rules()), f"{path} would be sent to the Docker build"


# --- Dockerfile ----------------------------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    lines = [line.strip() for line in text.splitlines()]
    return [
        (line.split(None, 1)[0].upper(), line.split(None, 1)[1] if " " in line else "")
        for line in lines
        if line and not line.startswith("#")
    ]


def copy_sources() -> list[str]:
    """What the Dockerfile copies from the build context (not from an earlier stage)."""
    sources = []
    for name, args in dockerfile_instructions():
        if name != "COPY":
            continue
        words = shlex.split(args)
        if any(w.startswith("--from") for w in words):
            continue
        words = [w for w in words if not w.startswith("--")]
        sources.extend(words[:-1])
    return sources


def test_dockerfile_copies_files_that_exist_and_are_in_the_build_context():
    rules = dockerignore_rules()
    sources = copy_sources()
    assert {"pyproject.toml", "uv.lock", "src", "dags", "dbt_project", "expectations"} <= set(sources)
    tracked = subprocess.run(
        ["git", "ls-files", "--", *sources], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    for source in sources:
        assert (ROOT / source).exists(), f"COPY {source}: no such file in the repository"
        assert not excluded(source, rules), f"COPY {source}: excluded by .dockerignore"
    # every file of the project under a copied folder reaches the image
    left_out = [f for f in tracked if (ROOT / f).exists() and excluded(f, rules)]
    assert not left_out, f".dockerignore leaves project files out of the image: {left_out[:10]}"
    for needed in ("dbt_project/dbt_project.yml", "dbt_project/profiles.yml", "src/cds_warehouse/sql"):
        assert not excluded(needed, rules)


def test_image_installs_the_lock_with_celery_parses_dbt_and_reports_nothing():
    instructions = dockerfile_instructions()
    runs = " ".join(args for name, args in instructions if name == "RUN")
    assert "uv sync --frozen --no-dev --extra celery" in runs
    assert re.search(r"dbt parse --project-dir dbt_project --profiles-dir dbt_project", runs)
    env_text = " ".join(args for name, args in instructions if name == "ENV")
    for key, value in TELEMETRY_OFF.items():
        assert f"{key}={value}" in env_text, f"the image does not set {key}={value}"
    assert ("ENTRYPOINT", '["cds-entrypoint"]') in instructions
    assert any(
        name == "COPY" and args.split() == ["docker/entrypoint.sh", "/usr/local/bin/cds-entrypoint"]
        for name, args in instructions
    )
    assert any(name == "USER" and args.strip() not in ("root", "0") for name, args in instructions), "runs as root"


def test_image_prepares_the_folders_the_volumes_mount(services):
    runs = " ".join(args for name, args in dockerfile_instructions() if name == "RUN")
    targets = {v.split(":")[1] for name in AIRFLOW_SERVICES for v in services[name].get("volumes", [])}
    assert targets, "no volume on the Airflow services"
    for target in targets:
        # a new named volume takes the owner of the image's folder: it must exist and belong to the runtime user
        assert re.search(rf"mkdir -p[^&]*{re.escape(target)}", runs), f"{target} is not created in the image"
        assert re.search(rf"chown -R[^&]*{re.escape(target.rsplit('/', 1)[0] or target)}", runs), target


def test_celery_extra_is_locked_but_not_installed_by_default():
    lock = tomllib.loads((ROOT / "uv.lock").read_text(encoding="utf-8"))
    project = next(p for p in lock["package"] if p["name"] == "cds-warehouse")
    default = {d["name"] for d in project.get("dependencies", [])}
    extra = {d["name"] for d in project.get("optional-dependencies", {}).get("celery", [])}
    assert "apache-airflow-providers-celery" in extra
    assert "apache-airflow-providers-celery" not in default and "celery" not in default
    assert any(p["name"] == "apache-airflow-providers-celery" for p in lock["package"])


# --- docker-compose.yml --------------------------------------------------------------------------------


def test_compose_describes_the_databases_and_airflow(services):
    assert {"airflow-db", "warehouse-db", *AIRFLOW_SERVICES, *CELERY_SERVICES} <= set(services)
    commands = {name: command(services[name]) for name in AIRFLOW_SERVICES}
    assert commands["api-server"] == ["airflow", "api-server"]
    assert commands["scheduler"] == ["airflow", "scheduler"]
    assert commands["dag-processor"] == ["airflow", "dag-processor"]
    assert commands["triggerer"] == ["airflow", "triggerer"]
    assert commands["worker"] == ["airflow", "celery", "worker"]
    assert commands["init"] == ["init"]
    for name in ("airflow-db", "warehouse-db"):
        assert services[name]["image"].startswith("postgres:")
        assert "healthcheck" in services[name]


def test_every_build_context_and_dockerfile_exists(services):
    built = {name: s["build"] for name, s in services.items() if "build" in s}
    assert set(built) >= AIRFLOW_SERVICES, f"not built from the project: {AIRFLOW_SERVICES - set(built)}"
    for name, build in built.items():
        build = {"context": build} if isinstance(build, str) else build
        context = (DOCKER / build["context"]).resolve()
        assert context.is_dir(), f"{name}: no build context {context}"
        assert (context / build.get("dockerfile", "Dockerfile")).is_file(), f"{name}: no Dockerfile"
        assert context == ROOT, f"{name}: the image is built from {context}, not the repository"
    images = {services[name].get("image") for name in AIRFLOW_SERVICES}
    assert len(images) == 1, f"the Airflow services do not share one image: {images}"


def test_every_volume_is_declared_or_a_path_that_exists(compose, services):
    declared = set(compose.get("volumes") or {})
    for name, service in services.items():
        for volume in service.get("volumes", []):
            if isinstance(volume, dict):
                source, kind = volume.get("source", ""), volume.get("type", "volume")
            else:
                source = volume.split(":")[0]
                kind = "bind" if source.startswith((".", "/", "~", "$")) else "volume"
            if kind == "bind":
                assert (DOCKER / source).exists(), f"{name}: bind mount of a missing path {source}"
            else:
                assert source in declared, f"{name}: volume {source} is not declared"


def test_logs_landing_folders_and_gx_state_are_on_volumes(compose, services):
    named = set(compose.get("volumes") or {})
    for name in AIRFLOW_SERVICES:
        env = environment(services[name])
        mounts = {v.split(":")[1]: v.split(":")[0] for v in services[name].get("volumes", [])}
        for folder in ("/opt/airflow/logs", env["CDS_LANDING_DIR"], env["CDS_STATE_DIR"]):
            assert mounts.get(folder) in named, f"{name}: {folder} is not on a named volume"
        assert "CDS_GX_DIR" not in env, "GX state lives under CDS_STATE_DIR/gx"
    for name in ("airflow-db", "warehouse-db"):
        mounts = {v.split(":")[1]: v.split(":")[0] for v in services[name]["volumes"]}
        assert mounts.get("/var/lib/postgresql/data") in named, f"{name}: its data is not on a named volume"


def test_airflow_components_share_their_settings_and_read_the_warehouse_from_the_connection(services):
    envs = {name: environment(services[name]) for name in AIRFLOW_SERVICES}
    for key in SHARED_SETTINGS:
        values = {name: env.get(key) for name, env in envs.items()}
        assert None not in values.values(), f"{key} missing from {[n for n, v in values.items() if v is None]}"
        assert len(set(values.values())) == 1, f"{key} differs between components: {values}"
    env = envs["scheduler"]
    assert env["AIRFLOW__CORE__EXECUTION_API_SERVER_URL"] == "http://api-server:8080/execution/"
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"].startswith("postgresql+psycopg2://")
    assert "@airflow-db:5432/airflow" in env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"]
    # Airflow's async engine needs a driver that is installed: psycopg 3 (asyncpg, which Airflow would derive
    # from the psycopg2 URL, is not in the lock)
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC"].startswith("postgresql+psycopg_async://")
    assert env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN_ASYNC"].endswith("@airflow-db:5432/airflow")
    assert importlib.util.find_spec("psycopg") is not None
    assert env["AIRFLOW__CORE__EXECUTOR"] == "${AIRFLOW__CORE__EXECUTOR:-LocalExecutor}"
    assert any(p.endswith(":8080") for p in services["api-server"]["ports"])
    for name, env in envs.items():
        stray = [k for k in env if k.startswith("PG") or k == "WAREHOUSE_DSN"]
        assert not stray, f"{name}: the warehouse comes from AIRFLOW_CONN_CDS_WAREHOUSE, not {stray}"
        for key, value in TELEMETRY_OFF.items():
            assert env.get(key) == value, f"{name}: {key} is not {value}"


def test_init_runs_first_and_waits_for_both_databases(services):
    init_deps = services["init"]["depends_on"]
    for db in ("airflow-db", "warehouse-db"):
        assert init_deps[db]["condition"] == "service_healthy"
    assert services["init"].get("restart") == "no"
    for name in AIRFLOW_SERVICES - {"init"}:
        assert services[name]["depends_on"]["init"]["condition"] == "service_completed_successfully", name


def test_celery_services_only_in_the_celery_profile(services):
    for name, service in services.items():
        if name in CELERY_SERVICES:
            assert service.get("profiles") == ["celery"], f"{name} is not in the celery profile"
        else:
            assert not service.get("profiles"), f"{name} does not start with a plain `docker compose up`"
    assert environment(services["worker"])["AIRFLOW__CELERY__BROKER_URL"].startswith("redis://redis:")


SECRET_NAME = re.compile(r"PASSWORD|SECRET|_KEY$|TOKEN|^AIRFLOW_CONN_")
URI_PASSWORD = re.compile(r"://[^/:@\s]*:(?P<password>[^@\s]+)@")
ONE_REFERENCE = re.compile(r"\$\{[^}]*\}")


def test_no_literal_password_in_the_compose_file(compose):
    # a password inside a URI is a variable
    for text in strings(compose):
        for password in URI_PASSWORD.findall(text):
            assert ONE_REFERENCE.fullmatch(password), f"a password written in the compose file: {text}"
    # a secret is a variable as a whole, without a default other than empty (an optional connection)
    blocks = [compose.get("x-airflow-env") or {}, *(s.get("environment") or {} for s in compose["services"].values())]
    for env in blocks:
        for key, value in env.items():
            value = str(value)
            if not SECRET_NAME.search(key) or key.endswith("_FILE") or URI_PASSWORD.search(value):
                continue
            assert ONE_REFERENCE.fullmatch(value), f"{key} is written in the compose file: {value}"
            (_, op, arg) = references(value)[0]
            assert op in (None, ":?", "?") or (op == ":-" and arg == ""), f"{key} falls back to a value: {value}"


def test_secrets_are_required_not_defaulted(compose):
    required = {name for text in strings(compose) for name, op, _ in references(text) if op in (":?", "?")}
    for secret in (
        "AIRFLOW_DB_PASSWORD",
        "WAREHOUSE_DB_PASSWORD",
        "AIRFLOW_CONN_CDS_WAREHOUSE",
        "CDS_PII_KEY",
        "AIRFLOW__CORE__FERNET_KEY",
        "AIRFLOW__API_AUTH__JWT_SECRET",
        "AIRFLOW__API__SECRET_KEY",
        "CDS_UI_PASSWORDS",
    ):
        assert secret in required, f"{secret} is not required (${{{secret}:?...}})"
    defaults = {(name, arg) for text in strings(compose) for name, op, arg in references(text) if op == ":-"}
    assert not [d for d in defaults if d[0] in required], f"a required secret has a default: {defaults}"


def test_every_variable_is_documented(compose):
    used = {name for text in strings(compose) for name, _, _ in references(text)}
    assert used, "no variable found in the compose file"
    example = env_example()
    doc = DEPLOYMENT_DOC.read_text(encoding="utf-8")
    assert not used - set(example), f"not in docker/.env.example: {sorted(used - set(example))}"
    missing = sorted(name for name in used if not re.search(rf"`{re.escape(name)}`", doc))
    assert not missing, f"not in docs/deployment.md: {missing}"


def test_env_example_holds_no_secret_and_only_refers_to_its_own_variables(compose):
    example = env_example()
    required = {name for text in strings(compose) for name, op, _ in references(text) if op in (":?", "?")}
    defined = []
    for name, value in example.items():
        for ref, _, _ in references(value):
            assert ref in defined, f"docker/.env.example: {name} refers to {ref} before it is defined"
        defined.append(name)
        if name in required:  # empty, or made only of the other secrets (the warehouse's URI)
            for password in URI_PASSWORD.findall(value):
                assert ONE_REFERENCE.fullmatch(password), f"docker/.env.example gives {name} a password"
            assert value == "" or references(value), f"docker/.env.example gives {name} a value"


def test_compose_file_interpolates_with_every_secret_given_and_fails_without(compose):
    example = env_example()
    required = {name for text in strings(compose) for name, op, _ in references(text) if op in (":?", "?")}
    given = {name: value for name, value in example.items() if value}
    given.update({name: A_KEY for name in required if not example.get(name)})
    given["AIRFLOW_CONN_CDS_WAREHOUSE"] = interpolate(example["AIRFLOW_CONN_CDS_WAREHOUSE"], given)
    env = environment(interpolated(compose, given)["services"]["scheduler"])
    assert env["CDS_PII_KEY"] == A_KEY
    assert env["AIRFLOW_CONN_CDS_WAREHOUSE"] == f"postgresql://warehouse:{A_KEY}@warehouse-db:5432/warehouse"
    assert env["AIRFLOW_CONN_CDS_PORTAL"] == "", "an optional connection left out is empty (the entry point drops it)"
    for name in required:
        with pytest.raises(KeyError, match=name):
            interpolated(compose, {k: v for k, v in given.items() if k != name})


# --- Airflow commands ----------------------------------------------------------------------------------


def airflow_commands(services) -> list[list[str]]:
    """Every `airflow ...` command the deployment runs: services, health checks and the entry point."""
    found = []
    for service in services.values():
        candidates = [command(service)]
        test = (service.get("healthcheck") or {}).get("test") or []
        if test and test[0] == "CMD":
            candidates.append([str(t) for t in test[1:]])
        elif test and test[0] == "CMD-SHELL":
            candidates.append(shlex.split(test[1]))
        found += [c for c in candidates if c[:1] == ["airflow"]]
    for line in ENTRYPOINT.read_text(encoding="utf-8").splitlines():
        if m := re.fullmatch(r"\s*(?:exec\s+)?(airflow(?:\s+[\w-]+)+)\s*", line):
            found.append(m[1].split())
    return found


def test_every_airflow_command_is_a_real_subcommand(services, tmp_path):
    commands = airflow_commands(services)
    assert ["airflow", "db", "migrate"] in commands
    assert ["airflow", "celery", "worker"] in commands
    celery_available = importlib.util.find_spec("airflow.providers.celery") is not None
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    }
    runs = {}
    for cmd in commands:
        # the words before the first option are the subcommand; what follows an option is its value
        subcommand = []
        for w in cmd[1:]:
            if w.startswith("-"):
                break
            subcommand.append(w)
        options = [w.split("=")[0] for w in cmd if w.startswith("--")]
        if subcommand[:1] == ["celery"] and not celery_available:
            # the provider is in the image (--extra celery), not in the default environment: see
            # test_celery_extra_is_locked_but_not_installed_by_default
            continue
        key = tuple(subcommand)
        if key not in runs:
            runs[key] = (
                subprocess.Popen(
                    [str(AIRFLOW), *subcommand, "--help"],
                    env=env,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.STDOUT,
                    text=True,
                ),
                set(),
            )
        runs[key][1].update(options)
    assert {("api-server",), ("scheduler",), ("dag-processor",), ("triggerer",), ("db", "migrate")} <= set(runs)
    for subcommand, (process, options) in runs.items():
        output, _ = process.communicate(timeout=120)
        assert process.returncode == 0, f"airflow {' '.join(subcommand)}: {output[-2000:]}"
        assert f"airflow {' '.join(subcommand)}" in output, output[-2000:]
        for option in options:
            assert option in output, f"airflow {' '.join(subcommand)} has no option {option}"


# --- entry point ---------------------------------------------------------------------------------------


def test_entrypoint_is_valid_bash():
    run = subprocess.run(["bash", "-n", str(ENTRYPOINT)], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert os.access(ENTRYPOINT, os.X_OK), "docker/entrypoint.sh is not executable"


@pytest.fixture
def stand_ins(tmp_path) -> Path:
    """`airflow` and `cds` that record how they were called (and, for airflow, their environment)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for name in ("airflow", "cds"):
        script = bin_dir / name
        script.write_text(
            "#!/bin/sh\n"
            f'echo "{name} $*" >> "{tmp_path}/calls"\n'
            f'env > "{tmp_path}/env.{name}"\n'
            f'exit "${{STAND_IN_EXIT_{name.upper()}:-0}}"\n'
        )
        script.chmod(script.stat().st_mode | stat.S_IXUSR)
    return bin_dir


def run_entrypoint(tmp_path: Path, bin_dir: Path, args: list[str], **env: str) -> subprocess.CompletedProcess:
    base = {
        "PATH": f"{bin_dir}:{os.environ.get('PATH', '/usr/bin:/bin')}",
        "HOME": str(tmp_path),
        "AIRFLOW_HOME": str(tmp_path / "airflow"),
        "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(tmp_path / "airflow" / "passwords.json"),
        "CDS_LANDING_DIR": str(tmp_path / "landing"),
        "CDS_STATE_DIR": str(tmp_path / "state"),
        "AIRFLOW_CONN_CDS_WAREHOUSE": "postgresql://etl:pw@warehouse-db:5432/warehouse",
        "CDS_PII_KEY": A_KEY,
    }
    base.update(env)
    base = {k: v for k, v in base.items() if v is not None}
    return subprocess.run(["bash", str(ENTRYPOINT), *args], env=base, capture_output=True, text=True, timeout=60)


def calls(tmp_path: Path) -> list[str]:
    path = tmp_path / "calls"
    return path.read_text().splitlines() if path.exists() else []


def test_init_migrates_airflow_then_sets_up_the_warehouse(tmp_path, stand_ins):
    run = run_entrypoint(tmp_path, stand_ins, ["init"])
    assert run.returncode == 0, run.stderr
    assert calls(tmp_path) == ["airflow db migrate", "cds setup"]
    sources = sorted(load_source(name).landing.folder for name in file_sources())
    assert sources and sorted(p.name for p in (tmp_path / "landing").iterdir()) == sources
    assert (tmp_path / "state" / "gx").is_dir()
    assert (tmp_path / "airflow" / "logs").is_dir()


def test_init_stops_when_the_migration_fails(tmp_path, stand_ins):
    run = run_entrypoint(tmp_path, stand_ins, ["init"], STAND_IN_EXIT_AIRFLOW="3")
    assert run.returncode == 3
    assert calls(tmp_path) == ["airflow db migrate"]


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CDS_PII_KEY": None}, "CDS_PII_KEY is not set"),
        ({"CDS_PII_KEY": ""}, "CDS_PII_KEY is not set"),
        ({"CDS_PII_KEY": "short"}, "CDS_PII_KEY is 5 characters long"),
        ({"AIRFLOW_CONN_CDS_WAREHOUSE": None}, "AIRFLOW_CONN_CDS_WAREHOUSE is not set"),
        ({"CDS_UI_PASSWORDS": "admin:secret"}, "CDS_UI_PASSWORDS is not JSON"),
        ({"CDS_UI_PASSWORDS": '["admin"]'}, "CDS_UI_PASSWORDS must be a JSON object"),
        ({"CDS_UI_PASSWORDS": '{"admin": "short"}'}, "the password of 'admin'"),
    ],
)
def test_a_wrong_variable_stops_the_container_naming_it(tmp_path, stand_ins, env, message):
    for args in (["init"], ["airflow", "scheduler"]):
        run = run_entrypoint(tmp_path, stand_ins, args, **env)
        assert run.returncode == 64, run.stderr
        assert message in run.stderr
        assert calls(tmp_path) == []


def test_a_folder_that_cannot_be_made_stops_the_container(tmp_path, stand_ins):
    (tmp_path / "a-file").write_text("")
    run = run_entrypoint(tmp_path, stand_ins, ["airflow", "scheduler"], CDS_LANDING_DIR=str(tmp_path / "a-file/x"))
    assert run.returncode == 64
    assert f"cannot create {tmp_path}/a-file/x" in run.stderr
    assert calls(tmp_path) == []


def test_airflow_commands_get_the_ui_passwords_file_and_no_empty_optional_variable(tmp_path, stand_ins):
    run = run_entrypoint(
        tmp_path,
        stand_ins,
        ["airflow", "api-server"],
        CDS_UI_PASSWORDS='{"admin": "a long password", "viewer": "another long one"}',
        AIRFLOW_CONN_CDS_PORTAL="",
        AIRFLOW_CONN_CDS_ALERTS="smtp://u:p@mail.example:587",
        CDS_NIGHT_DEADLINE="",
    )
    assert run.returncode == 0, run.stderr
    assert calls(tmp_path) == ["airflow api-server"]
    passwords = tmp_path / "airflow" / "passwords.json"
    assert json.loads(passwords.read_text()) == {"admin": "a long password", "viewer": "another long one"}
    assert stat.S_IMODE(passwords.stat().st_mode) == 0o600
    seen = dict(line.split("=", 1) for line in (tmp_path / "env.airflow").read_text().splitlines() if "=" in line)
    assert "AIRFLOW_CONN_CDS_PORTAL" not in seen and "CDS_NIGHT_DEADLINE" not in seen
    assert seen["AIRFLOW_CONN_CDS_ALERTS"] == "smtp://u:p@mail.example:587"
    assert "CDS_UI_PASSWORDS" not in seen, "the passwords stay in the file, not in the server's environment"


def test_other_commands_run_as_given_without_preparing(tmp_path, stand_ins):
    run = run_entrypoint(tmp_path, stand_ins, ["cds", "report"], CDS_PII_KEY=None, AIRFLOW_CONN_CDS_WAREHOUSE=None)
    assert run.returncode == 0, run.stderr
    assert calls(tmp_path) == ["cds report"]
    assert not (tmp_path / "landing").exists()


def test_without_a_command_the_image_prints_airflow_version(tmp_path, stand_ins):
    run = run_entrypoint(tmp_path, stand_ins, [])
    assert run.returncode == 0, run.stderr
    assert calls(tmp_path) == ["airflow version"]


@pytest.mark.skipif(shutil.which("shellcheck") is None, reason="shellcheck is not installed")
def test_entrypoint_passes_shellcheck():
    run = subprocess.run(["shellcheck", str(ENTRYPOINT)], capture_output=True, text=True)
    assert run.returncode == 0, run.stdout
