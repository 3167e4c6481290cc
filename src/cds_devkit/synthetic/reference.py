"""Units and procedures of the chosen provinces as parallel arrays, the form the draws index."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from cds_devkit.synthetic.arrays import cumulative, lut
from cds_devkit.synthetic.parameters import COMMUNE, DISTRICT, PROVINCE, SERVICE_LEVELS
from cds_devkit.synthetic.reference_data import FAMILY_NAMES, PROCEDURES, PROVINCES, ProvinceSpec


@dataclass
class Reference:
    """Units and procedures as parallel arrays; all indices are positions in these arrays."""

    province_codes: list[str]
    province_cum: np.ndarray
    level_cum: list[np.ndarray]
    online_shift: np.ndarray
    late_factor: np.ndarray
    digital_shift: np.ndarray
    family_cum: list[np.ndarray]
    family_luts: list[np.ndarray]
    proc_choice: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]]  # (province, level) -> procs, cum
    unit_choice: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]]  # (province, level) -> units, cum
    department_of: list[np.ndarray]  # per province: procedure -> department unit (-1 if none)
    unit_code: np.ndarray
    unit_name: np.ndarray
    unit_first_commune: np.ndarray  # for districts
    unit_communes: np.ndarray  # for districts
    unit_setting: np.ndarray  # communes: 0 urban, 1 rural, 2 highland
    unit_address_tail: np.ndarray  # communes: '..., xã X, huyện Y, tỉnh Z"' (closing quote included)
    proc_code: np.ndarray
    proc_name: np.ndarray
    proc_service: np.ndarray
    proc_service_text: np.ndarray
    proc_fee: np.ndarray
    proc_fee_text: np.ndarray
    proc_paper: np.ndarray
    proc_days: np.ndarray
    summary_prefix: np.ndarray
    summary_person: np.ndarray  # 0 no name, 1 the applicant, 2 a relative
    summary_suffix: np.ndarray

    @classmethod
    def build(cls, provinces: Sequence[str]) -> Reference:
        specs = [PROVINCES[p] for p in provinces]
        units = _build_units(specs)
        proc_choice, unit_choice, department_of = {}, {}, []
        for p in range(len(specs)):
            department_unit = {key: i for i in units.of(p, PROVINCE) for key in units.department_keys[i]}
            department_of.append(np.array([department_unit.get(pr.agency, -1) for pr in PROCEDURES]))
            for level in (PROVINCE, DISTRICT, COMMUNE):
                procs = [
                    i
                    for i, pr in enumerate(PROCEDURES)
                    if pr.level == level and (level != PROVINCE or pr.agency in department_unit)
                ]
                proc_choice[p, level] = (np.array(procs), cumulative([PROCEDURES[i].weight for i in procs]))
                level_units = units.of(p, level)
                unit_choice[p, level] = (
                    np.array(level_units),
                    cumulative([units.weight[i] for i in level_units]),
                )
        summary_parts = [_split_summary(pr.summary) for pr in PROCEDURES]
        return cls(
            province_codes=[s.code for s in specs],
            province_cum=cumulative([s.volume for s in specs]),
            level_cum=[cumulative(s.level_split) for s in specs],
            online_shift=np.array([s.online_shift for s in specs]),
            late_factor=np.array([s.late_factor for s in specs]),
            digital_shift=np.array([s.digital_shift for s in specs]),
            family_cum=[cumulative([w for _, w in FAMILY_NAMES[s.family_names]]) for s in specs],
            family_luts=[lut([f for f, _ in FAMILY_NAMES[s.family_names]]) for s in specs],
            proc_choice=proc_choice,
            unit_choice=unit_choice,
            department_of=department_of,
            unit_code=lut(units.code),
            unit_name=lut(units.name),
            unit_first_commune=np.array(units.first_commune),
            unit_communes=np.array(units.communes),
            unit_setting=np.array(units.setting),
            unit_address_tail=np.array(units.address_tail, dtype=object),
            proc_code=lut([pr.code for pr in PROCEDURES]),
            proc_name=lut([pr.name for pr in PROCEDURES]),
            proc_service=np.array([SERVICE_LEVELS.index(pr.service_level) for pr in PROCEDURES]),
            proc_service_text=lut([pr.service_level for pr in PROCEDURES]),
            proc_fee=np.array([pr.fee_vnd for pr in PROCEDURES]),
            proc_fee_text=lut([str(pr.fee_vnd) for pr in PROCEDURES]),
            proc_paper=np.array([pr.paper_result for pr in PROCEDURES]),
            proc_days=np.array([pr.days for pr in PROCEDURES]),
            summary_prefix=np.array([part[0] for part in summary_parts], dtype=object),
            summary_person=np.array([part[1] for part in summary_parts]),
            summary_suffix=np.array([part[2] for part in summary_parts], dtype=object),
        )


def _split_summary(template: str) -> tuple[str, int, str]:
    """Template -> (prefix, 0 no name | 1 applicant | 2 relative, suffix)."""
    for marker, person in (("{a}", 1), ("{c}", 2)):
        if marker in template:
            prefix, suffix = template.split(marker)
            return prefix, person, suffix
    return template, 0, ""


@dataclass
class _Units:
    code: list[str] = field(default_factory=list)
    name: list[str] = field(default_factory=list)
    level: list[int] = field(default_factory=list)
    province: list[int] = field(default_factory=list)
    weight: list[float] = field(default_factory=list)
    department_keys: list[list[str]] = field(default_factory=list)
    first_commune: list[int] = field(default_factory=list)
    communes: list[int] = field(default_factory=list)
    setting: list[int] = field(default_factory=list)
    address_tail: list[str] = field(default_factory=list)

    def add(
        self,
        province: int,
        code: str,
        name: str,
        level: int,
        weight: float = 1.0,
        department_keys: Sequence[str] = (),
        first_commune: int = -1,
        communes: int = 0,
        setting: int = -1,
        address_tail: str = "",
    ) -> int:
        self.code.append(code)
        self.name.append(name)
        self.level.append(level)
        self.province.append(province)
        self.weight.append(weight)
        self.department_keys.append(list(department_keys))
        self.first_commune.append(first_commune)
        self.communes.append(communes)
        self.setting.append(setting)
        self.address_tail.append(address_tail)
        return len(self.code) - 1

    def of(self, province: int, level: int) -> list[int]:
        return [
            i for i, (p, lv) in enumerate(zip(self.province, self.level, strict=True)) if p == province and lv == level
        ]


def _build_units(specs: Sequence[ProvinceSpec]) -> _Units:
    """Departments, districts and communes of the chosen provinces; codes come from table positions."""
    units = _Units()
    for p, spec in enumerate(specs):
        for i, (keys, name) in enumerate(spec.departments, start=1):
            units.add(p, f"{spec.code}.S{i:02d}", name, PROVINCE, department_keys=keys.split("+"))
        for d, district in enumerate(spec.districts, start=1):
            district_code = f"{spec.code}.H{d:02d}"
            kind, district_name, weight = district.kind, district.name, district.weight
            unit = units.add(
                p, district_code, f"UBND {kind} {district_name}", DISTRICT, weight, communes=len(district.communes)
            )
            units.first_commune[unit] = unit + 1  # its communes follow it
            for x, (commune_kind, commune_name) in enumerate(district.communes, start=1):
                setting = 0 if commune_kind == "phường" else 2 if district.highland else 1
                # Wards and townships are busier than rural communes.
                busy = 1.6 if commune_kind != "xã" else 1.0
                units.add(
                    p,
                    f"{district_code}.X{x:02d}",
                    f"UBND {commune_kind} {commune_name}",
                    COMMUNE,
                    weight * busy / (1 + 0.04 * x),
                    setting=setting,
                    address_tail=f', {commune_kind} {commune_name}, {kind} {district_name}, tỉnh {spec.name}"',
                )
    return units
