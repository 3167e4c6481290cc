"""Which agency sent a report: the title block's "Đơn vị báo cáo" (and "Tỉnh") matched to the agencies
seed ``dbt_project/seeds/agencies.csv``, among the agencies that existed during the report's period.

A unit is a code plus its validity period (DOMAIN.md): "Sở Khoa học và Công nghệ, Bắc Ninh" is 27.S14
for periods up to 30 June 2025 and 24.SKHCN after the merger of provinces. Names are compared after
``fold``, with "Ủy ban nhân dân" read as "UBND"; the name may carry the province ("Sở TT&TT tỉnh Bắc Kạn").
"""

from __future__ import annotations

import csv
import datetime as dt
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from cds_warehouse.agency_reports.periods import Period
from cds_warehouse.agency_reports.text import fold
from cds_warehouse.settings import DBT_PROJECT_DIR

SCOPES = ("province", "unit")
_PROVINCE_PREFIXES = ("ubnd tinh ", "uy ban nhan dan tinh ", "tinh ", "ubnd thanh pho ", "thanh pho ", "tp ")


def agencies_csv() -> Path:
    return Path(os.environ.get("CDS_AGENCIES_CSV", DBT_PROJECT_DIR / "seeds" / "agencies.csv"))


@dataclass(frozen=True)
class Agency:
    code: str
    name: str
    province_code: str
    province_name: str
    admin_level: str  # province | district | commune
    scope: str  # province: reports figures for the whole province | unit: reports on itself
    valid_from: dt.date | None
    valid_to: dt.date | None
    names: tuple[str, ...]

    def valid_during(self, period: Period | None) -> bool:
        if period is None:
            return True
        return (self.valid_from is None or self.valid_from <= period.end) and (
            self.valid_to is None or self.valid_to >= period.start
        )


def agency_key(text: object) -> str:
    key = f" {fold(text)} ".replace(" uy ban nhan dan ", " ubnd ")
    return key.strip()


def province_key(text: object) -> str:
    key = agency_key(text)
    for prefix in _PROVINCE_PREFIXES:
        if key.startswith(prefix):
            return key[len(prefix) :]
    return key


def _date(text: str) -> dt.date | None:
    return dt.date.fromisoformat(text) if text and text.strip() else None


def load_agencies(path: Path | None = None) -> tuple[Agency, ...]:
    """The seed's agencies (read again when the file changes)."""
    path = path or agencies_csv()
    return _load_agencies(path, path.stat().st_mtime_ns)


@cache
def _load_agencies(path: Path, _mtime: int) -> tuple[Agency, ...]:
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    agencies = []
    for row in rows:
        names = [row["agency_name"], *[n for n in (row.get("other_names") or "").split(";") if n.strip()]]
        agencies.append(
            Agency(
                code=row["agency_code"],
                name=row["agency_name"],
                province_code=row["province_code"],
                province_name=row["province_name"],
                admin_level=row["admin_level"],
                scope=row["scope"],
                valid_from=_date(row.get("valid_from", "")),
                valid_to=_date(row.get("valid_to", "")),
                names=tuple(names),
            )
        )
    return tuple(agencies)


def _forms(agency: Agency) -> set[str]:
    province = fold(agency.province_name)
    forms = set()
    for name in agency.names:
        key = agency_key(name)
        forms |= {key, f"{key} tinh {province}", f"{key} {province}", f"{key} thanh pho {province}"}
    return forms


def resolve_agency(
    agency_text: str | None,
    province_text: str | None,
    period: Period | None,
    agencies: tuple[Agency, ...] | None = None,
) -> tuple[Agency | None, str | None]:
    """(the agency, None) or (None, why not)."""
    agencies = agencies if agencies is not None else load_agencies()
    if not agency_text:
        return None, "no reporting agency (Đơn vị báo cáo) in the title block"
    key = agency_key(agency_text)
    named = [a for a in agencies if key in _forms(a)]
    if province_text:
        province = province_key(province_text)
        in_province = [a for a in named if fold(a.province_name) == province]
        if named and not in_province:
            return None, f"agency {agency_text!r} is not known in province {province_text!r} ({agencies_csv().name})"
        named = in_province
    candidates = [a for a in named if a.valid_during(period)]
    if len(candidates) == 1:
        return candidates[0], None
    if not named:
        return None, f"agency {agency_text!r} is not in {agencies_csv().name}; add it there (see docs)"
    if not candidates:
        return (
            None,
            f"agency {agency_text!r} did not exist during the report's period ({', '.join(a.code for a in named)})",
        )
    codes = ", ".join(sorted(a.code for a in candidates))
    return None, f"agency {agency_text!r} is ambiguous ({codes}); write the province in the title block (Tỉnh: …)"
