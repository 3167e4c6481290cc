"""Applicants (personal data, all fake): names, citizen ID numbers, phones, addresses, summaries."""

from __future__ import annotations

import numpy as np

from cds_devkit.synthetic.arrays import categorical, cumulative, object_lut
from cds_devkit.synthetic.parameters import COMMUNE, DISTRICT
from cds_devkit.synthetic.reference import Reference
from cds_devkit.synthetic.reference_data import (
    CCCD_PROVINCES,
    GIVEN_NAMES,
    HIGHLAND_VILLAGES,
    MIDDLE_NAMES,
    MOBILE_PREFIXES,
    RURAL_VILLAGES,
    URBAN_STREETS,
)


def draw_applicants(rng, d: dict[str, np.ndarray], ref: Reference) -> dict[str, list[str]]:
    n = len(d["proc"])
    female = rng.random(n) < 0.52
    family = np.empty(n, dtype=object)
    for p in range(len(ref.province_codes)):
        rows = np.flatnonzero(d["province"] == p)
        family[rows] = ref.family_luts[p][categorical(rng, ref.family_cum[p], rows.size)]
    name = family + " " + _given_names(rng, female)
    relative = family + " " + _given_names(rng, rng.random(n) < 0.5)
    summary = _summaries(d["proc"], name, relative, ref)
    return {
        "applicant_name": name.tolist(),
        "applicant_id_hash": _citizen_ids(rng, d["province"], female, ref),
        "applicant_phone_hash": _phones(rng, n),
        "applicant_address": _addresses(rng, d, ref).tolist(),
        "summary": summary.tolist(),
    }


def _given_names(rng, female: np.ndarray) -> np.ndarray:
    """Middle and given name, drawn for both sexes and picked by sex to keep the draws fixed."""
    n = len(female)
    parts = []
    for sex in (0, 1):
        middle = _MIDDLE_LUTS[sex][categorical(rng, _MIDDLE_CUMS[sex], n)]
        given = _GIVEN_LUTS[sex][rng.integers(0, len(_GIVEN_LUTS[sex]), n)]
        parts.append(middle + " " + given)
    return np.where(female, parts[1], parts[0])


def _citizen_ids(rng, province, female, ref) -> list[str]:
    """12 digits: 0 + birth province code, sex and century digit, year of birth, 6 random digits."""
    n = len(province)
    own = np.array([int(c) for c in ref.province_codes])[province]
    elsewhere = np.array(CCCD_PROVINCES)[rng.integers(0, len(CCCD_PROVINCES), n)]
    home = np.where(rng.random(n) < 0.88, own, elsewhere)
    born = rng.integers(1950, 2007, n)
    sex_century = (born >= 2000) * 2 + female
    number = home * 10**9 + sex_century * 10**8 + (born % 100) * 10**6 + rng.integers(0, 10**6, n)
    missing = rng.random(n) < 0.01
    return [("" if m else f"0{x:011d}") for x, m in zip(number.tolist(), missing.tolist(), strict=True)]


def _phones(rng, n: int) -> list[str]:
    prefix = _PHONE_PREFIXES[rng.integers(0, len(MOBILE_PREFIXES), n)].tolist()
    local = rng.integers(0, 10**7, n).tolist()
    missing = (rng.random(n) < 0.05).tolist()
    return [("" if m else f"{p}{x:07d}") for p, x, m in zip(prefix, local, missing, strict=True)]


def _addresses(rng, d, ref) -> np.ndarray:
    """Applicants mostly live in the commune (or district) that handles their dossier."""
    n = len(d["proc"])
    home = np.empty(n, dtype=np.int64)
    for p in range(len(ref.province_codes)):
        rows = np.flatnonzero(d["province"] == p)
        communes, cum = ref.unit_choice[p, COMMUNE]
        home[rows] = communes[categorical(rng, cum, rows.size)]
    unit, level = d["unit"], d["level"]
    local = rng.random(n) < 0.9
    in_district = ref.unit_first_commune[unit] + (rng.random(n) * ref.unit_communes[unit]).astype(np.int64)
    home = np.where(local & (level == DISTRICT), in_district, home)
    home = np.where(local & (level == COMMUNE), unit, home)
    setting = ref.unit_setting[home]
    place = np.select(
        [setting == 0, setting == 2],
        [
            _URBAN_LUT[rng.integers(0, len(_URBAN_LUT), n)],
            _HIGHLAND_LUT[rng.integers(0, len(_HIGHLAND_LUT), n)],
        ],
        _RURAL_LUT[rng.integers(0, len(_RURAL_LUT), n)],
    )
    numbered = rng.random(n) < np.where(setting == 0, 0.75, 0.15)
    house = np.where(numbered, _HOUSE_LUT[rng.integers(1, len(_HOUSE_LUT), n)], _HOUSE_LUT[0])
    return house + place + ref.unit_address_tail[home]


def _summaries(proc, name, relative, ref) -> np.ndarray:
    person = ref.summary_person[proc]
    who = np.where(person == 1, name, np.where(person == 2, relative, ""))
    return ref.summary_prefix[proc] + who + ref.summary_suffix[proc]


_MIDDLE_LUTS = [object_lut([m for m, _ in MIDDLE_NAMES[s]]) for s in (0, 1)]
_MIDDLE_CUMS = [cumulative([w for _, w in MIDDLE_NAMES[s]]) for s in (0, 1)]
_GIVEN_LUTS = [object_lut(GIVEN_NAMES[s]) for s in (0, 1)]
_PHONE_PREFIXES = object_lut(MOBILE_PREFIXES)
_URBAN_LUT = object_lut(URBAN_STREETS)
_RURAL_LUT = object_lut(RURAL_VILLAGES)
_HIGHLAND_LUT = object_lut(HIGHLAND_VILLAGES)
# Addresses always contain commas, so the field opens with a quote here and the unit tail closes it.
_HOUSE_LUT = object_lut(['"'] + [f'"Số {k}, ' for k in range(1, 300)])
