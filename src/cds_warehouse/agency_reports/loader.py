"""Land one report workbook in the raw schema as one audited batch.

The batch follows the warehouse's batch life cycle (cds_warehouse.batches, source 'agency_reports'): a file
whose content (sha256) was loaded before is skipped; status goes running -> loaded -> published |
quarantined (batches.gate_batch), or failed when the file cannot be read at all. Every report row with a value lands in
raw.agency_report_row with its indicator text as written; matching to the catalog happens in dbt, so
that adding an alias later re-matches rows without reloading the file. What could not be read goes to
raw.agency_report_issue (file, sheet, row, column, reason).
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from cds_warehouse.agency_reports.agencies import resolve_agency
from cds_warehouse.agency_reports.parser import Issue, ParsedWorkbook, parse_workbook
from cds_warehouse.batches import (
    claim_content,
    open_batch,
    previous_load,
    record_failure,
    record_loaded,
    reopen_for_gate,
)
from cds_warehouse.db import apply_raw_schema, connect
from cds_warehouse.load.file import file_sha256
from cds_warehouse.log_text import shown_name

log = logging.getLogger(__name__)

SOURCE = "agency_reports"
PUBLISHED_SOURCE = "published_766"


@dataclass
class ReportLoad:
    load_id: int
    file_name: str
    file_sha256: str
    status: str  # loaded | skipped (same content loaded before)
    sheets: int = 0
    rows_read: int = 0
    rows_loaded: int = 0
    rows_rejected: int = 0
    issues: list[Issue] = field(default_factory=list)
    seconds: float = 0.0

    def summary(self) -> str:
        counts = Counter(i.severity for i in self.issues)
        return (
            f"{self.file_name}: load {self.load_id} {self.status}; {self.sheets} report sheet(s), rows read "
            f"{self.rows_read}, loaded {self.rows_loaded}, rejected {self.rows_rejected}; issues: "
            f"{counts['error']} error(s), {counts['warning']} warning(s), {counts['info']} note(s)"
        )


def load_report(path: str | Path, dsn: str | None = None) -> ReportLoad:
    """Parse and land one workbook. Raises ReportFileError (after recording the failed batch) when the
    file cannot be read as a report at all."""
    path = Path(path)
    name = shown_name(path.name)
    started = time.monotonic()
    sha = file_sha256(path)
    with connect(dsn) as conn:
        apply_raw_schema(conn)
        claim_content(conn, SOURCE, sha, name)
        previous = previous_load(conn, SOURCE, sha)
        if previous:
            log.info("%s: same content already loaded as load %s; skipped", name, previous[0])
            return ReportLoad(previous[0], name, sha, "skipped", 0, *previous[1:])
        load_id = open_batch(conn, SOURCE, name, sha)
        try:
            parsed = parse_workbook(path)
            with conn.transaction():
                result = _write(conn, load_id, sha, parsed)
        except Exception as exc:
            record_failure(conn, load_id, exc)
            raise
    result.seconds = time.monotonic() - started
    log.info("%s", result.summary())
    for issue in result.issues:
        if issue.severity != "info":
            log.warning("%s: %s", name, issue)
    return result


def _write(conn, load_id: int, sha: str, parsed: ParsedWorkbook) -> ReportLoad:
    issues = list(parsed.issues)
    with conn.cursor() as cur:
        for sheet in parsed.sheets:
            agency, problem = resolve_agency(sheet.agency_text, sheet.province_text, sheet.period)
            if problem and sheet.agency_text:  # a missing agency is already reported by the parser
                issues.append(Issue("error", problem, sheet=sheet.sheet_name, column="Đơn vị báo cáo"))
            period = sheet.period
            cur.execute(
                "insert into raw.agency_report (load_id, sheet_index, sheet_name, header_row, report_title,"
                " agency_text, province_text, agency_code, province_code, agency_problem, period_text, period_type,"
                " period_start, period_end, submitted_text, submitted_on, submitted_at, workbook_saved_at,"
                " rows_read, rows_loaded, rows_rejected)"
                " values (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                (
                    load_id,
                    sheet.sheet_index,
                    sheet.sheet_name,
                    sheet.header_row,
                    sheet.title,
                    sheet.agency_text,
                    sheet.province_text,
                    agency.code if agency else None,
                    agency.province_code if agency else None,
                    problem,
                    sheet.period_text,
                    period.period_type if period else None,
                    period.start if period else None,
                    period.end if period else None,
                    sheet.submitted_text,
                    sheet.submitted_on,
                    sheet.submitted_at,
                    parsed.saved_at,
                    sheet.rows_read,
                    len(sheet.rows),
                    sheet.rows_rejected,
                ),
            )
        with cur.copy(
            "copy raw.agency_report_row (load_id, sheet_index, source_row, stt, indicator_text, indicator_key,"
            " unit_text, unit_kind, level_text, admin_level, plan_value, actual_value, numerator, denominator,"
            " actual_text, value_derived, note) from stdin"
        ) as copy:
            for sheet, row in parsed.rows:
                copy.write_row(
                    (
                        load_id,
                        sheet.sheet_index,
                        row.source_row,
                        row.stt,
                        row.indicator_text,
                        row.indicator_key,
                        row.unit_text,
                        row.unit_kind,
                        row.level_text,
                        row.admin_level,
                        row.plan_value,
                        row.actual_value,
                        row.numerator,
                        row.denominator,
                        row.actual_text,
                        row.value_derived,
                        row.note,
                    )
                )
        with cur.copy(
            "copy raw.agency_report_issue (load_id, issue_no, file_name, sheet_name, source_row, column_name,"
            " severity, reason, cell_text) from stdin"
        ) as copy:
            for number, issue in enumerate(issues, start=1):
                copy.write_row(
                    (
                        load_id,
                        number,
                        parsed.file_name,
                        issue.sheet,
                        issue.row,
                        issue.column,
                        issue.severity,
                        issue.reason,
                        issue.cell_text,
                    )
                )
    # a workbook without a report row awaits the gate too: its checkpoint says what is missing
    record_loaded(conn, load_id, (parsed.rows_read, parsed.rows_loaded, parsed.rows_rejected), status="loaded")
    return ReportLoad(
        load_id,
        parsed.file_name,
        sha,
        "loaded",
        len(parsed.sheets),
        parsed.rows_read,
        parsed.rows_loaded,
        parsed.rows_rejected,
        issues,
    )


def read_issues(conn, load_id: int, limit: int = 50, severities=("error", "warning")) -> list[str]:
    """The issues of a batch, one line each: file, sheet, row, column, cell and reason."""
    rows = conn.execute(
        "select file_name, sheet_name, source_row, column_name, severity, reason, cell_text"
        " from raw.agency_report_issue where load_id = %s and severity = any(%s) order by issue_no limit %s",
        (load_id, list(severities), limit),
    ).fetchall()
    return [
        f"{file}: {Issue(severity, reason, sheet, row, column, cell)}"
        for file, sheet, row, column, severity, reason, cell in rows
    ]


# --- a second chance at the gate ---------------------------------------------------------------------


def regate(load_id: int, dsn: str | None = None):
    """Give a quarantined report a second chance after reference data was fixed (an agency added to
    agencies.csv): set it back to 'loaded', resolve its agencies again and run the gate."""
    from cds_warehouse.batches import gate_batch

    with connect(dsn) as conn:
        source = reopen_for_gate(conn, load_id)
        if source == SOURCE:
            from cds_warehouse.agency_reports.periods import Period

            sheets = conn.execute(
                "select sheet_index, agency_text, province_text, period_type, period_start, period_end"
                " from raw.agency_report where load_id = %s",
                (load_id,),
            ).fetchall()
            for index, agency_text, province_text, kind, start, end in sheets:
                period = Period(kind, start, end) if kind else None
                agency, problem = resolve_agency(agency_text, province_text, period)
                conn.execute(
                    "update raw.agency_report set agency_code = %s, province_code = %s, agency_problem = %s"
                    " where load_id = %s and sheet_index = %s",
                    (
                        agency.code if agency else None,
                        agency.province_code if agency else None,
                        problem,
                        load_id,
                        index,
                    ),
                )
    return gate_batch(load_id, dsn)
