"""Derive the administrative-unit seeds across the 1 July 2025 reorganization (Resolution 202/2025/QH15).

Writes two dbt seeds from the MIT-licensed PyPI package ``vietnamadminunits`` (derived with 1.0.4):

* ``dbt_project/seeds/admin_units.csv`` — the 63 provinces before the merger (valid to 2025-06-30), the 34
  provinces after it (valid from 2025-07-01, open-ended) and the districts of the three seed provinces
  (Bắc Ninh 27, Bắc Kạn 06, Nghệ An 40; valid to 2025-06-30: the district level was abolished).
* ``dbt_project/seeds/admin_unit_successions.csv`` — every pre-merger province → its post-merger province.

The seeds are committed; dbt never needs the package. Re-run this script only to regenerate them (the
output is deterministic, so an unchanged package version rewrites identical files):

    uv pip install --python .venv/bin/python vietnamadminunits   # temporary; not a project dependency
    .venv/bin/python scripts/derive_admin_units.py               # rewrite the two CSVs
    .venv/bin/python scripts/derive_admin_units.py --check       # exit 1 when the CSVs are out of date

Package API used (read from its source in site-packages):

* ``vietnamadminunits.database.query(sql)`` — SQL over the package's SQLite dataset: table
  ``admin_units_legacy`` (63 provinces, their districts and wards; columns provinceCode, province,
  districtCode, district, …) and table ``admin_units`` (34 provinces and their 3,321 wards).
* ``vietnamadminunits.convert_address(address)`` — converts a 63-province address to the 34-province
  ``AdminUnit`` (``.province``, ``.province_code``); called with each old province's full name.
* ``vietnamadminunits.converter.converter_2025.DICT_PROVINCE`` — new province key → old province keys;
  used to cross-check convert_address and to count each new province's predecessors.

Modelling choices (see docs/admin_units.md): a unit is a code plus a validity period, so its key is
``<level>:<code>:<valid_from>``. Pre-merger units get ``valid_from`` 2008-08-01, the start of the
63-province configuration (Hà Tây merged into Hà Nội): it is the horizon of this table, not each unit's
creation date, and boundary or type changes inside that period (a district becoming a town) are not
modelled. Names are the package's (the name at the end of the unit's validity), NFC-normalised.
"""

from __future__ import annotations

import argparse
import csv
import io
import sys
import unicodedata
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "dbt_project" / "seeds"
UNITS_CSV = SEEDS / "admin_units.csv"
SUCCESSIONS_CSV = SEEDS / "admin_unit_successions.csv"

LEGACY_FROM = "2008-08-01"
LEGACY_TO = "2025-06-30"
MERGER_DATE = "2025-07-01"
SEED_PROVINCES = ("27", "06", "40")  # Bắc Ninh, Bắc Kạn, Nghệ An: their districts are listed too

UNIT_COLUMNS = ["unit_key", "unit_code", "name_vi", "level", "parent_unit_key", "valid_from", "valid_to"]
SUCCESSION_COLUMNS = ["predecessor_unit_key", "successor_unit_key", "effective_date", "note"]


def unit_key(level: str, code: str, valid_from: str) -> str:
    return f"{level}:{code}:{valid_from}"


def clean_name(name: str) -> str:
    """NFC, single spaces, and the package's odd 'Thành Phố' casing fixed."""
    name = unicodedata.normalize("NFC", " ".join(name.split()))
    return name.replace("Thành Phố ", "Thành phố ")


def derive() -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    from vietnamadminunits import convert_address
    from vietnamadminunits.converter.converter_2025 import DICT_PROVINCE
    from vietnamadminunits.database import query

    legacy = query(
        "select distinct provinceCode as code, province as name, provinceKey as key"
        " from admin_units_legacy order by provinceCode"
    )
    current = query(
        "select distinct provinceCode as code, province as name, provinceKey as key"
        " from admin_units order by provinceCode"
    )
    placeholders = ",".join(f"'{c}'" for c in SEED_PROVINCES)
    districts = query(
        "select distinct provinceCode as province_code, districtCode as code, district as name"
        f" from admin_units_legacy where provinceCode in ({placeholders}) order by provinceCode, districtCode"
    )
    if len(legacy) != 63 or len(current) != 34:
        raise SystemExit(f"expected 63 and 34 provinces, the package has {len(legacy)} and {len(current)}")

    units: list[dict[str, str]] = []
    for p in legacy:
        units.append(
            {
                "unit_key": unit_key("province", p["code"], LEGACY_FROM),
                "unit_code": p["code"],
                "name_vi": clean_name(p["name"]),
                "level": "province",
                "parent_unit_key": "",
                "valid_from": LEGACY_FROM,
                "valid_to": LEGACY_TO,
            }
        )
    for d in districts:
        units.append(
            {
                "unit_key": unit_key("district", d["code"], LEGACY_FROM),
                "unit_code": d["code"],
                "name_vi": clean_name(d["name"]),
                "level": "district",
                "parent_unit_key": unit_key("province", d["province_code"], LEGACY_FROM),
                "valid_from": LEGACY_FROM,
                "valid_to": LEGACY_TO,
            }
        )
    for p in current:
        units.append(
            {
                "unit_key": unit_key("province", p["code"], MERGER_DATE),
                "unit_code": p["code"],
                "name_vi": clean_name(p["name"]),
                "level": "province",
                "parent_unit_key": "",
                "valid_from": MERGER_DATE,
                "valid_to": "",
            }
        )

    new_by_key = {p["key"]: p for p in current}
    old_by_key = {p["key"]: p for p in legacy}
    successions: list[dict[str, str]] = []
    for old in legacy:
        converted = convert_address(old["name"])
        mapped = [k for k, olds in DICT_PROVINCE.items() if old["key"] in olds]
        if len(mapped) != 1 or new_by_key[mapped[0]]["code"] != converted.province_code:
            raise SystemExit(f"{old['name']}: convert_address and DICT_PROVINCE disagree ({mapped}, {converted})")
        new = new_by_key[mapped[0]]
        others = sorted((old_by_key[k] for k in DICT_PROVINCE[mapped[0]] if k != old["key"]), key=lambda p: p["code"])
        new_name = clean_name(new["name"])
        if others:
            merged = ", ".join(f"{clean_name(o['name'])} ({o['code']})" for o in others)
            note = f"Merged with {merged} into {new_name} (code {new['code']})"
        else:
            note = f"Same territory, re-established as {new_name} (code {new['code']}) without districts"
        successions.append(
            {
                "predecessor_unit_key": unit_key("province", old["code"], LEGACY_FROM),
                "successor_unit_key": unit_key("province", new["code"], MERGER_DATE),
                "effective_date": MERGER_DATE,
                "note": note + "; Resolution 202/2025/QH15",
            }
        )
    return units, successions


def to_csv(rows: list[dict[str, str]], columns: list[str]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the committed CSVs differ")
    args = parser.parse_args(argv)

    units, successions = derive()
    outputs = {UNITS_CSV: to_csv(units, UNIT_COLUMNS), SUCCESSIONS_CSV: to_csv(successions, SUCCESSION_COLUMNS)}
    stale = [p for p, text in outputs.items() if not p.exists() or p.read_text(encoding="utf-8") != text]
    if args.check:
        for path in stale:
            print(f"out of date: {path.relative_to(ROOT)}", file=sys.stderr)
        return 1 if stale else 0
    for path, text in outputs.items():
        path.write_text(text, encoding="utf-8")
    print(
        f"vietnamadminunits {version('vietnamadminunits')}: {len(units)} units, {len(successions)} successions"
        f" ({len(stale)} file(s) changed)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
