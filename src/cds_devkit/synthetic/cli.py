"""`cds generate`: write a synthetic portal dossier export."""

from __future__ import annotations

from datetime import date
from pathlib import Path


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "generate",
        help="write a synthetic portal dossier export (CSV) that follows sources/portal_dossiers.yml",
    )
    p.add_argument("out", type=Path, help="CSV file to write")
    p.add_argument("--rows", type=int, default=200_000)
    p.add_argument("--seed", type=int, default=2025)
    p.add_argument("--start", type=date.fromisoformat, default=date(2024, 1, 1), help="YYYY-MM-01")
    p.add_argument("--months", type=int, default=18)
    p.add_argument("--provinces", default="27,06,40", help="comma-separated codes among 27, 06, 40")
    p.add_argument("--no-bom", dest="bom", action="store_false", help="write UTF-8 without BOM")
    p.add_argument("--bad-rows", type=int, default=0)
    p.add_argument("--duplicate-rows", type=int, default=0)
    p.set_defaults(func=_generate)


def _generate(args) -> None:
    from cds_devkit.synthetic import generate_portal_export

    summary = generate_portal_export(
        args.out,
        args.rows,
        seed=args.seed,
        start=args.start,
        months=args.months,
        provinces=tuple(args.provinces.split(",")),
        bom=args.bom,
        bad_rows=args.bad_rows,
        duplicate_rows=args.duplicate_rows,
    )
    print(f"path     {summary.path}")
    print(f"rows     {summary.rows}")
    print(f"sha256   {summary.sha256}")
    print(f"seconds  {summary.seconds}")
    if summary.bad_rows or summary.duplicate_rows:
        print(f"bad rows {len(summary.bad_rows)}, duplicate codes {len(summary.duplicate_rows)}")
