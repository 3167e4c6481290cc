"""`cds agency-reports accept REVIEW_ROW_KEY [--rank N | --code CODE]`: accept a candidate indicator of a
row awaiting review (marts.agency_report_rows_awaiting_review).

The row's indicator text is appended to the alias seed, ``dbt_project/seeds/indicator_aliases.csv``, and
the agency-report models are built again, so the row and every other row with that text, in any report
already loaded, are matched; no file is loaded again. The seed rather than a table: it is the one list of
aliases the matching reads, reviewed and versioned with the catalog it points into, and the same file a
person edits by hand for a text without a good candidate.
"""

from __future__ import annotations

import csv
import sys
from dataclasses import dataclass

from cds_warehouse.agency_reports.review import build_models
from cds_warehouse.agency_reports.text import indicator_key
from cds_warehouse.db import connect
from cds_warehouse.dbt_build import dbt_project_dir

REVIEW_MODEL = "marts.agency_report_rows_awaiting_review"


class ReviewError(Exception):
    """The candidate cannot be accepted (the reason says why); nothing was written."""


@dataclass(frozen=True)
class Accepted:
    alias_text: str
    indicator_code: str
    rows_awaiting_review: int  # after re-matching

    def summary(self) -> str:
        return (
            f"alias added: {self.alias_text!r} -> {self.indicator_code}; "
            f"{self.rows_awaiting_review} row(s) await review"
        )


def accept_candidate(review_row_key: str, rank: int = 1, code: str | None = None) -> Accepted:
    """Add the row's indicator text as an alias of its candidate of this rank (or of ``code``, a catalog
    code the candidates may not list), then re-match (build the agency-report models)."""
    with connect() as conn:
        row = conn.execute(
            f"select indicator_text, review_reason, candidate_codes, load_id, source_row from {REVIEW_MODEL}"
            " where review_row_key = %s",
            (review_row_key,),
        ).fetchone()
    if row is None:
        raise ReviewError(f"no row awaiting review has the key {review_row_key!r}")
    text, reason, candidates, load_id, source_row = row
    if reason != "indicator_not_in_catalog":
        raise ReviewError(f"row {review_row_key} waits for review as {reason}: an alias does not resolve it")
    chosen = code or _candidate(candidates, rank, review_row_key)
    _append_alias(text, chosen, note=f"accepted in review: load {load_id} row {source_row}")
    build_models()
    with connect() as conn:
        remaining = conn.execute(f"select count(*) from {REVIEW_MODEL}").fetchone()[0]
    return Accepted(text, chosen, remaining)


def _candidate(candidates: str | None, rank: int, key: str) -> str:
    codes = [c.strip() for c in (candidates or "").split(",") if c.strip()]
    if not 1 <= rank <= len(codes):
        raise ReviewError(f"row {key} has {len(codes)} candidate(s), no rank {rank}: give the indicator with --code")
    return codes[rank - 1]


def _append_alias(text: str, code: str, note: str) -> None:
    seeds = dbt_project_dir() / "seeds"
    with open(seeds / "indicators.csv", encoding="utf-8", newline="") as fh:
        catalog = {r["indicator_code"] for r in csv.DictReader(fh)}
    if code not in catalog:
        raise ReviewError(f"{code!r} is not an indicator of the catalog (seeds/indicators.csv)")
    aliases = seeds / "indicator_aliases.csv"
    with open(aliases, encoding="utf-8", newline="") as fh:
        known = {indicator_key(a["alias_text"]): a["indicator_code"] for a in csv.DictReader(fh)}
    if indicator_key(text) in known:
        raise ReviewError(f"the text is already an alias of {known[indicator_key(text)]}")
    content = aliases.read_bytes()
    with open(aliases, "a", encoding="utf-8", newline="") as fh:
        if content and not content.endswith(b"\n"):  # a file edited by hand may lack its last newline
            fh.write("\n")
        csv.writer(fh, lineterminator="\n").writerow((text, code, note))


def _accept(args) -> None:
    try:
        print(accept_candidate(args.review_row_key, rank=args.rank, code=args.code).summary())
    except ReviewError as error:
        sys.exit(str(error))


def register(subparsers) -> None:
    """Add `accept` to the `cds agency-reports` commands."""
    p = subparsers.add_parser(
        "accept",
        help="accept a candidate indicator of a row awaiting review: write the alias and re-match",
        description=__doc__.split("\n\n")[0],
    )
    p.add_argument("review_row_key", help="the row's review_row_key (load_id|sheet_index|source_row)")
    choice = p.add_mutually_exclusive_group()
    choice.add_argument("--rank", type=int, default=1, help="which candidate, 1 = the first (default)")
    choice.add_argument("--code", help="a catalog indicator code instead of a candidate")
    p.set_defaults(func=_accept)
