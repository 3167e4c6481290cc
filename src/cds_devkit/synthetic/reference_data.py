"""The generator's reference lists, read from the data files beside this module (data/) and from the
warehouse's own seed of administrative units, so each list exists once.

data/provinces.yml       volumes, rates, departments and each district's communes, by province code
data/departments.csv     department keys and names (the core ones every province has)
data/procedures.csv      procedures: level, agency, service level, fee, processing days, weight, summary
data/family_names.csv    family names by group (kinh, highland) with weights
data/middle_names.csv    middle names by sex with weights; data/given_names.csv: given names by sex
data/mobile_prefixes.csv, data/address_places.csv (urban streets, rural and highland villages)
data/holidays.csv        Viet Nam's public holidays 2022-2026 (non-working days)
dbt_project/seeds/admin_units.csv   province and district names, and the pre-2025 province codes
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import yaml

from cds_warehouse.settings import DBT_PROJECT_DIR

DATA_DIR = Path(__file__).parent / "data"
ADMIN_UNITS_SEED = DBT_PROJECT_DIR / "seeds" / "admin_units.csv"
LAST_DAY_BEFORE_REORGANIZATION = "2025-06-30"
LEVELS = {"province": 0, "district": 1, "commune": 2}  # parameters.PROVINCE, DISTRICT, COMMUNE
SEXES = ("male", "female")  # index 0, 1 of MIDDLE_NAMES and GIVEN_NAMES
COMMUNE_KINDS = ("phường", "thị trấn", "xã")


@dataclass(frozen=True)
class District:
    kind: str  # "huyện", "thị xã", "thành phố"
    name: str
    weight: float  # volume weight within the province
    highland: bool  # mountain district: highland village names in addresses
    communes: tuple[tuple[str, str], ...]  # (kind, name) in official order


@dataclass(frozen=True)
class ProvinceSpec:
    code: str
    name: str
    volume: float  # share of dossiers when all three provinces are generated
    level_split: tuple[float, float, float]  # province, district, commune
    online_shift: float
    late_factor: float
    digital_shift: float
    family_names: str  # key of FAMILY_NAMES
    departments: tuple[tuple[str, str], ...]  # (department key, name as the province spells it)
    districts: tuple[District, ...]  # in the order that numbers them


@dataclass(frozen=True)
class Procedure:
    code: str
    name: str
    level: int
    agency: str  # department key for province-level procedures, "" otherwise
    service_level: str
    fee_vnd: int
    paper_result: int
    days: int  # processing time in working days; 0 = same day
    weight: float
    summary: str  # "{a}" = the applicant's name, "{c}" = another person of the applicant's family


def _rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _data(name: str) -> list[dict[str, str]]:
    return _rows(DATA_DIR / name)


def _split_kind(full_name: str, kinds: tuple[str, ...]) -> tuple[str, str]:
    """'Thị xã Quế Võ' -> ('thị xã', 'Quế Võ')."""
    for kind in kinds:
        if full_name.lower().startswith(kind + " "):
            return kind, full_name[len(kind) + 1 :]
    raise ValueError(f"{full_name!r} does not start with one of {kinds}")


def read_admin_units() -> list[dict[str, str]]:
    """The warehouse's seed of administrative units, one dict per row."""
    return _rows(ADMIN_UNITS_SEED)


def _load_provinces() -> dict[str, ProvinceSpec]:
    seed = [r for r in read_admin_units() if r["valid_to"] == LAST_DAY_BEFORE_REORGANIZATION]
    province_row = {r["unit_code"]: r for r in seed if r["level"] == "province"}
    district_name = {(r["parent_unit_key"], r["unit_code"]): r["name_vi"] for r in seed if r["level"] == "district"}
    names = {r["key"]: r["name"] for r in _data("departments.csv")}
    core = [(r["key"], r["name"]) for r in _data("departments.csv") if r["core"] == "1"]
    specs = {}
    for code, spec in yaml.safe_load((DATA_DIR / "provinces.yml").read_text(encoding="utf-8")).items():
        province = province_row[code]
        others = [next(iter(d.items())) if isinstance(d, dict) else (d, names[d]) for d in spec["other_departments"]]
        districts = []
        for d in spec["districts"]:
            kind, name = _split_kind(district_name[province["unit_key"], d["code"]], ("huyện", "thị xã", "thành phố"))
            communes = tuple(_split_kind(c, COMMUNE_KINDS) for c in d["communes"])
            districts.append(District(kind, name, d["weight"], d.get("highland", False), communes))
        specs[code] = ProvinceSpec(
            code=code,
            name=_split_kind(province["name_vi"], ("tỉnh", "thành phố"))[1],
            volume=spec["volume"],
            level_split=tuple(spec["level_split"]),
            online_shift=spec["online_shift"],
            late_factor=spec["late_factor"],
            digital_shift=spec["digital_shift"],
            family_names=spec["family_names"],
            departments=tuple(core + others),
            districts=tuple(districts),
        )
    return specs


def _load_procedures() -> tuple[Procedure, ...]:
    return tuple(
        Procedure(
            code=r["code"],
            name=r["name"],
            level=LEVELS[r["level"]],
            agency=r["agency"],
            service_level=r["service_level"],
            fee_vnd=int(r["fee_vnd"]),
            paper_result=int(r["paper_result"]),
            days=int(r["days"]),
            weight=float(r["weight"]),
            summary=r["summary"],
        )
        for r in _data("procedures.csv")
    )


def _weighted(rows: list[dict[str, str]], column: str, value: str) -> tuple[tuple[str, float], ...]:
    return tuple((r["name"], float(r["weight"])) for r in rows if r[column] == value)


PROVINCES: dict[str, ProvinceSpec] = _load_provinces()
PROCEDURES: tuple[Procedure, ...] = _load_procedures()
_family_rows = _data("family_names.csv")
FAMILY_NAMES = {
    group: _weighted(_family_rows, "group", group) for group in dict.fromkeys(r["group"] for r in _family_rows)
}
MIDDLE_NAMES = tuple(_weighted(_data("middle_names.csv"), "sex", sex) for sex in SEXES)
GIVEN_NAMES = tuple(tuple(r["name"] for r in _data("given_names.csv") if r["sex"] == sex) for sex in SEXES)
MOBILE_PREFIXES = tuple(r["prefix"] for r in _data("mobile_prefixes.csv"))
_places = _data("address_places.csv")
URBAN_STREETS, RURAL_VILLAGES, HIGHLAND_VILLAGES = (
    tuple(r["place"] for r in _places if r["setting"] == setting) for setting in ("urban", "rural", "highland")
)
HOLIDAYS = tuple(r["day"] for r in _data("holidays.csv"))
# Province codes before July 2025: each can appear as the birth-registration code of a CCCD.
CCCD_PROVINCES = tuple(
    sorted(
        int(r["unit_code"])
        for r in _rows(ADMIN_UNITS_SEED)
        if r["level"] == "province" and r["valid_to"] == LAST_DAY_BEFORE_REORGANIZATION
    )
)
