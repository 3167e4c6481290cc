"""`cds agency-reports <command>` (the sample workbooks: `cds samples`, from the devkit).

parse FILE.xlsx           show what the parser reads from a workbook (no database)
load FILE.xlsx            load one workbook as a batch (no gate)
gate LOAD_ID              run the quality gate on a loaded batch
regate LOAD_ID            re-resolve the agency of a quarantined report and gate it again
review                    list the rows awaiting review
accept KEY [--rank N]     accept a candidate indicator of a row awaiting review (alias, re-match)
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _parse(args) -> None:
    from cds_warehouse.agency_reports.parser import parse_workbook

    parsed = parse_workbook(args.file)
    for sheet in parsed.sheets:
        period = sheet.period.label if sheet.period else "?"
        print(
            f"sheet {sheet.sheet_name!r} (header row {sheet.header_row}): agency {sheet.agency_text!r}, "
            f"province {sheet.province_text!r}, period {sheet.period_text!r} = {period}, report date "
            f"{sheet.submitted_on}"
        )
        for row in sheet.rows:
            print(
                f"  row {row.source_row}: {row.indicator_text!r} [{row.unit_text or '-'}] {row.admin_level or '-'}"
                f" plan={row.plan_value} actual={row.actual_value} ({row.numerator}/{row.denominator})"
            )
    for issue in parsed.issues:
        print(issue)


def _load(args) -> None:
    from cds_warehouse.agency_reports.loader import load_report
    from cds_warehouse.local_run import export_warehouse_env

    export_warehouse_env()
    print(load_report(args.file).summary())


def _gate(args, again: bool = False) -> None:
    from cds_warehouse.agency_reports.loader import regate
    from cds_warehouse.batches import gate_batch
    from cds_warehouse.local_run import export_warehouse_env

    export_warehouse_env()
    try:
        result = regate(args.load_id) if again else gate_batch(args.load_id)
    except ValueError as exc:
        sys.exit(str(exc))
    print(f"load {args.load_id}: {'published' if result.passed else 'quarantined'}")
    for failure in result.failures:
        print(f"  {failure}")


def _review(args) -> None:
    from cds_warehouse.agency_reports.review import rows_awaiting_review
    from cds_warehouse.local_run import export_warehouse_env

    export_warehouse_env()
    total, lines = rows_awaiting_review(limit=args.limit)
    print(f"{total} row(s) await review")
    for line in lines:
        print(f"  {line}")


def register(subparsers) -> None:
    top = subparsers.add_parser(
        "agency-reports",
        help="agency report workbooks",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = top.add_subparsers(required=True)
    p = sub.add_parser("parse", help="show what the parser reads from a workbook")
    p.add_argument("file", type=Path)
    p.set_defaults(func=_parse)
    p = sub.add_parser("load", help="load one workbook as a batch")
    p.add_argument("file", type=Path)
    p.set_defaults(func=_load)
    p = sub.add_parser("gate", help="run the quality gate on a loaded batch")
    p.add_argument("load_id", type=int)
    p.set_defaults(func=_gate)
    p = sub.add_parser("regate", help="re-resolve a quarantined report's agency and gate it again")
    p.add_argument("load_id", type=int)
    p.set_defaults(func=lambda a: _gate(a, again=True))
    p = sub.add_parser("review", help="list the rows awaiting review")
    p.add_argument("--limit", type=int, default=50)
    p.set_defaults(func=_review)
    from cds_warehouse.agency_reports import accept  # loads dbt's build code: only when the tree is built

    accept.register(sub)
