"""The portal dossier API contract (docs/sources/portal_api.md), shared by the client and the local server.

Items carry the fields of the file contract (``sources/portal_dossiers.yml``) under the same names, except
the two identifiers that land hashed, which the API calls by what they hold.
"""

from __future__ import annotations

import re
from datetime import datetime

API_PREFIX = "/api/v1"
STATUS_PATH = "/status"
DOSSIERS_PATH = "/dossiers"
COUNTS_PATH = "/counts"
MAX_LIMIT = 1000

# Timestamps: local time of Viet Nam (UTC+7), no zone written (or "+07:00", which says the same), whole seconds.
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S"
TIMESTAMP_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\+07:00)?$")

# API field -> field of the file contract (what the loader calls the column it lands in).
FIELD_ALIASES = {"applicant_id": "applicant_id_hash", "applicant_phone": "applicant_phone_hash"}
CONTRACT_TO_API = {v: k for k, v in FIELD_ALIASES.items()}


def api_field(contract_name: str) -> str:
    return CONTRACT_TO_API.get(contract_name, contract_name)


def format_ts(value: datetime) -> str:
    return value.strftime(TIMESTAMP_FORMAT)


def shape_of(value: object) -> str:
    """A value as an error message may show it (the rule of reject reasons, load.shown_in_reason): a row
    out of line can put a name or an ID number where a timestamp or a code belongs."""
    from cds_warehouse.load.personal_data import shown_in_reason

    return repr(shown_in_reason(value)) if isinstance(value, str) else f"a JSON {type(value).__name__}"


def parse_ts(text: object) -> datetime:
    """A contract timestamp; ValueError for anything else (other layouts, dates that cannot be)."""
    if not isinstance(text, str) or not TIMESTAMP_RE.match(text):
        raise ValueError(f"{shape_of(text)} is not a timestamp YYYY-MM-DDTHH:MM:SS (local time, +07:00 allowed)")
    return datetime.fromisoformat(text[:19])  # the layout is checked above; this checks the calendar
