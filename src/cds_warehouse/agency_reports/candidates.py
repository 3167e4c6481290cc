"""Candidate indicators for the agency-report rows that wait for review because their indicator text is
not in the catalog: up to three catalog indicators per text, most similar first, for a person to accept
(``cds agency-reports accept``, module ``review``).

Texts are compared after the parser's folding (``text.indicator_key``) with the administrative
abbreviations agencies write spelled out ("TTHC" is "thủ tục hành chính"), against every name the
catalog knows an indicator by: its name and its aliases. The score is rapidfuzz's token_sort_ratio
(0–100; word order and repeated words matter, so "số hóa hồ sơ" and "hồ sơ số hóa" stay close while
texts that merely share "tỷ lệ … trực tuyến" do not), less a penalty when the row's unit is a
percentage and the indicator's is not, or the other way round. Candidates under ``MIN_SCORE`` are
not shown: a text the catalog does not have gets none rather than a guess.

The table is rewritten whole before each build of the agency-report models (``refresh_candidates``),
so it follows the catalog and the aliases; matching itself stays in dbt.
"""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rapidfuzz import fuzz, process

from cds_warehouse.agency_reports.text import indicator_key
from cds_warehouse.db import connect

log = logging.getLogger(__name__)

TABLE = "raw.agency_report_indicator_candidate"
TOP = 3
MIN_SCORE = 70.0
UNIT_PENALTY = 15.0
# Abbreviations of official Vietnamese usage, folded: what a department writes for the words the
# catalog spells out.
ABBREVIATIONS = {
    "tthc": "thu tuc hanh chinh",
    "dvc": "dich vu cong",
    "dvctt": "dich vu cong truc tuyen",
    "cntt": "cong nghe thong tin",
    "csdl": "co so du lieu",
    "cqnn": "co quan nha nuoc",
    "cb": "can bo",
    "cc": "cong chuc",
    "vc": "vien chuc",
    "cbccvc": "can bo cong chuc vien chuc",
    "ubnd": "uy ban nhan dan",
    "hs": "ho so",
}


@dataclass(frozen=True)
class Catalog:
    """Every name of every catalog indicator, folded, with its code and whether its unit is a percentage."""

    names: list[str]
    codes: np.ndarray  # code of each name
    is_percent: np.ndarray  # bool per name
    known_keys: frozenset[str]  # match keys dbt matches exactly (int_agency_report_indicator_lookup)


def comparable(text: object) -> str:
    """The text as candidates compare it: the parser's indicator key, abbreviations spelled out."""
    return " ".join(ABBREVIATIONS.get(word, word) for word in indicator_key(text).split())


def read_catalog(project: Path) -> Catalog:
    """The catalog's names and aliases from the dbt project's seeds (the files dbt loads)."""
    with open(project / "seeds" / "indicators.csv", encoding="utf-8", newline="") as fh:
        indicators = list(csv.DictReader(fh))
    with open(project / "seeds" / "indicator_aliases.csv", encoding="utf-8", newline="") as fh:
        aliases = list(csv.DictReader(fh))
    # the same test of a percent unit as int_agency_report_rows_matched
    percent = {r["indicator_code"]: "percent" in (r["unit"] or "").lower() or r["unit"] == "%" for r in indicators}
    named = [(r["name_vi"], r["indicator_code"]) for r in indicators if r["name_vi"]]
    named += [(a["alias_text"], a["indicator_code"]) for a in aliases if a["indicator_code"] in percent]
    return Catalog(
        names=[comparable(text) for text, _ in named],
        codes=np.array([code for _, code in named], dtype=object),
        is_percent=np.array([percent[code] for _, code in named], dtype=bool),
        known_keys=frozenset(indicator_key(text) for text in [*percent, *(text for text, _ in named)]),
    )


def rank(texts: list[tuple[str, str | None]], catalog: Catalog) -> list[tuple[str, str | None, int, str, float]]:
    """(match_key, unit_kind) pairs -> rows (match_key, unit_kind, rank, indicator_code, score): each pair's
    best ``TOP`` indicators scoring at least ``MIN_SCORE``. One similarity matrix for all the pairs."""
    if not texts or not catalog.names:
        return []
    scores = process.cdist(
        [comparable(key) for key, _ in texts], catalog.names, scorer=fuzz.token_sort_ratio, workers=1
    )
    kinds = np.array([kind for _, kind in texts], dtype=object)
    unit_known = (kinds != None)[:, None]  # noqa: E711 (element-wise)
    row_percent = (kinds == "percent")[:, None]
    scores = scores - UNIT_PENALTY * (unit_known & (row_percent != catalog.is_percent[None, :]))
    # best name per indicator: the matrix reduced over the columns of each code
    codes, code_of_name = np.unique(catalog.codes, return_inverse=True)
    best = np.full((len(texts), len(codes)), -np.inf)
    np.maximum.at(best, (slice(None), code_of_name), scores)
    order = np.argsort(-best, axis=1, kind="stable")[:, :TOP]
    rows = []
    for i, (key, kind) in enumerate(texts):
        for position, j in enumerate(order[i], start=1):
            if best[i, j] >= MIN_SCORE:
                rows.append((key, kind, position, codes[j], round(float(best[i, j]), 1)))
    return rows


def refresh_candidates(project: Path) -> int:
    """Rewrite the candidates of every indicator text of raw.agency_report_row that the catalog and the
    aliases do not match (after folding), in one transaction; returns the number of candidate rows."""
    catalog = read_catalog(project)
    with connect() as conn, conn.transaction():
        texts = conn.execute("select distinct indicator_text, unit_kind from raw.agency_report_row").fetchall()
        keyed = {(indicator_key(text), kind) for text, kind in texts}
        pairs = [(key, kind) for key, kind in keyed if key and key not in catalog.known_keys]
        rows = rank(pairs, catalog)
        conn.execute(f"delete from {TABLE}")
        with conn.cursor().copy(
            f"copy {TABLE} (match_key, unit_kind, candidate_rank, indicator_code, score) from stdin"
        ) as copy:
            for row in rows:
                copy.write_row(row)
    log.info("%d candidate indicator(s) for %d unmatched indicator text(s)", len(rows), len(pairs))
    return len(rows)
