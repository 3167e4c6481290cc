"""Quality gates with Great Expectations (GX Core 1.x).

Suites and checkpoints are declared in ``expectations/`` (YAML: expectation type, kwargs, severity).
A checkpoint runs its suites on SQL queries against the warehouse; a failed *critical* expectation
fails the gate, a failed *warning* is logged and kept in Data Docs. The GX file context lives in the
state directory because it holds run results, which do not belong in git; the connection reaches GX
through a variable of the process, so no file holds the warehouse's password.

``great_expectations`` takes seconds to import, so it is imported inside the functions only.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from cds_warehouse.run_dates import load_day_after
from cds_warehouse.settings import EXPECTATIONS_DIR, STATE_DIR, warehouse_dsn

log = logging.getLogger(__name__)
GX_DIR = Path(os.environ.get("CDS_GX_DIR", STATE_DIR / "gx"))
GX_CONNECTION_VARIABLE = "CDS_GX_WAREHOUSE_URL"


class QualityGateFailed(Exception):
    """A critical expectation failed: the data must not be published."""


@dataclass
class Failure:
    suite: str
    expectation: str
    column: str | None
    severity: str
    observed: object
    rows: list = field(default_factory=list)  # the first rows at fault, where the checkpoint names a row column

    def __str__(self) -> str:
        on = f" on {self.column}" if self.column else ""
        at = (
            f"; rows {', '.join(str(r) for r in self.rows)}{' …' if len(self.rows) == ROWS_NAMED else ''}"
            if self.rows
            else ""
        )
        return f"[{self.severity}] {self.suite}: {self.expectation}{on} failed (observed: {self.observed}{at})"


@dataclass
class GateResult:
    checkpoint: str
    evaluated: int = 0
    failures: list[Failure] = field(default_factory=list)
    data_docs: Path | None = None

    @property
    def critical_failures(self) -> list[Failure]:
        return [f for f in self.failures if f.severity == "critical"]

    @property
    def passed(self) -> bool:
        return not self.critical_failures


def _read_yaml(kind: str, name: str) -> dict:
    return yaml.safe_load((EXPECTATIONS_DIR / kind / f"{name}.yml").read_text(encoding="utf-8"))


def _fill(value, params: dict):
    """Substitute run parameters ({load_id}, {load_day_after}) into strings of a declaration."""
    if isinstance(value, str):
        for key, param in params.items():  # not str.format: regexes hold braces too
            value = value.replace("{" + key + "}", str(param))
        return value
    if isinstance(value, list):
        return [_fill(v, params) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, params) for k, v in value.items()}
    return value


def _suite(gx, name: str, params: dict):
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    declared = _read_yaml("suites", name)
    suite = gx.ExpectationSuite(name=declared["name"])
    for exp in declared["expectations"]:
        config = ExpectationConfiguration(
            type=exp["type"],
            kwargs=_fill(exp.get("kwargs", {}), params),
            meta=exp.get("meta"),
            severity=exp.get("severity", "critical"),
        )
        suite.add_expectation_configuration(config)
    return suite


def _sqlalchemy_url(dsn: str) -> str:
    return dsn.replace("postgresql://", "postgresql+psycopg2://", 1)


ROWS_NAMED = 10  # rows at fault named in a failure's message


def _result_format(declared: dict) -> dict:
    """SUMMARY results; a checkpoint that declares a ``row_column`` (the file's row number) has its failures
    name the first rows at fault by that column."""
    result_format = {"result_format": "SUMMARY", "partial_unexpected_count": ROWS_NAMED}
    if declared.get("row_column"):
        result_format["unexpected_index_column_names"] = [declared["row_column"]]
    return result_format


def run_checkpoint(name: str, dsn: str | None = None, evaluated_on: dt.date | None = None, **params) -> GateResult:
    """Run a declared checkpoint; returns what failed. Does not raise: see ``enforce``.

    ``evaluated_on`` is the run's evaluation date (run_dates.evaluation_date; today outside a DAG run): dates
    in a batch may reach the end of the next day ({load_day_after}), not whatever the clock says."""
    import great_expectations as gx
    from great_expectations.checkpoint import UpdateDataDocsAction

    params = {"load_day_after": load_day_after(evaluated_on or dt.date.today()), **params}
    declared = _read_yaml("checkpoints", name)
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="file", project_root_dir=str(GX_DIR))
    context.variables.progress_bars = ProgressBarsConfig(globally=False)  # nightly logs, not a terminal
    # GX keeps its data sources in great_expectations.yml: it holds the name of a variable of this
    # process, never the connection itself (its password)
    os.environ[GX_CONNECTION_VARIABLE] = _sqlalchemy_url(dsn or warehouse_dsn())
    source = context.data_sources.add_or_update_postgres(
        name="warehouse", connection_string="${" + GX_CONNECTION_VARIABLE + "}"
    )
    definitions = []
    for i, validation in enumerate(declared["validations"]):
        suite = context.suites.add_or_update(_suite(gx, validation["suite"], params))
        asset_name = f"{declared['name']}_{i}_{suite.name}"
        if asset_name in source.get_asset_names():
            source.delete_asset(asset_name)
        asset = source.add_query_asset(name=asset_name, query=_fill(validation["query"], params))
        batch = asset.add_batch_definition_whole_table("whole")
        definitions.append(
            context.validation_definitions.add_or_update(
                gx.ValidationDefinition(name=asset_name, data=batch, suite=suite)
            )
        )
    checkpoint = context.checkpoints.add_or_update(
        gx.Checkpoint(
            name=declared["name"],
            validation_definitions=definitions,
            actions=[UpdateDataDocsAction(name="update_data_docs")],
            result_format=_result_format(declared),
        )
    )
    run = checkpoint.run()
    result = GateResult(checkpoint=declared["name"])
    for suite_result in run.run_results.values():
        suite_name = suite_result.suite_name
        for r in suite_result.results:
            result.evaluated += 1
            if r.success:
                continue
            cfg = r.expectation_config
            observed = (r.result or {}).get("observed_value", (r.result or {}).get("unexpected_count"))
            rows = [
                i.get(declared.get("row_column")) for i in (r.result or {}).get("partial_unexpected_index_list") or []
            ]
            if r.exception_info and r.exception_info.get("raised_exception"):
                observed = r.exception_info.get("exception_message")
            result.failures.append(
                Failure(suite_name, cfg.type, cfg.kwargs.get("column"), str(cfg.severity.value), observed, rows)
            )
    docs = GX_DIR / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    result.data_docs = docs if docs.exists() else None
    for failure in result.failures:
        (log.error if failure.severity == "critical" else log.warning)("%s", failure)
    log.info(
        "checkpoint %s: %s expectations, %s failed (%s critical)",
        result.checkpoint,
        result.evaluated,
        len(result.failures),
        len(result.critical_failures),
    )
    return result


def enforce(result: GateResult) -> GateResult:
    if not result.passed:
        lines = "\n".join(str(f) for f in result.critical_failures)
        raise QualityGateFailed(f"checkpoint {result.checkpoint} failed:\n{lines}")
    return result
