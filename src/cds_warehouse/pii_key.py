"""Which personal-data key hashed a batch, so that a change of CDS_PII_KEY is caught before it splits the data.

The hash of an ID number or a phone is keyed (load.keyed_hash): under another key the same applicant gets
another hash, and nothing joins across the change. Each batch that hashes records the key's fingerprint in
raw.load_audit.pii_key_fingerprint: a keyed digest of a fixed label, from which the key cannot be read back.
The warehouse's key is the one of its last declared rotation (raw.pii_key_rotation), or without one the one
of its batches; a load with another key stops before its first row. `cds pii-key rotate` declares a
deliberate change (docs/sources/portal_dossiers.md says what it costs).
"""

from __future__ import annotations

import hashlib

import psycopg

from cds_warehouse.batches import last_key_fingerprint

LABEL = b"cds_warehouse: fingerprint of the personal-data key"
LOCK = "cds_warehouse.pii_key"  # serialises checks and rotations: two first batches cannot disagree


class PiiKeyChanged(RuntimeError):
    """The key in CDS_PII_KEY is not the warehouse's, and no rotation to it was declared."""


def fingerprint(key: bytes) -> str:
    """16 hex digits of a keyed BLAKE2b of LABEL; keyed with what keyed_hash uses (the key's first 64 bytes)."""
    return hashlib.blake2b(LABEL, key=key[:64], digest_size=8).hexdigest()


def warehouse_fingerprint(conn: psycopg.Connection) -> str | None:
    """The fingerprint loads must have: the last declared rotation's, else the batches' (all alike, since
    each was checked), else None (a warehouse that has hashed nothing yet, or only before fingerprints
    were recorded)."""
    row = conn.execute("select fingerprint from raw.pii_key_rotation order by rotation_id desc limit 1").fetchone()
    if row is None:
        return last_key_fingerprint(conn)
    return row[0]


def checked_fingerprint(conn: psycopg.Connection, key: bytes) -> str:
    """The key's fingerprint, to record on the batch, once it is the warehouse's; raises PiiKeyChanged
    otherwise. Call it in the transaction that inserts the batch's audit row: the lock it takes lasts
    until that commits."""
    conn.execute("select pg_advisory_xact_lock(hashtextextended(%s, 0))", (LOCK,))
    expected, actual = warehouse_fingerprint(conn), fingerprint(key)
    if expected is not None and expected != actual:
        raise PiiKeyChanged(
            f"CDS_PII_KEY is not the key of this warehouse's earlier batches (key fingerprint {actual}, the"
            f" warehouse's {expected}): its hashes of ID numbers and phones would not join theirs. Nothing was"
            " loaded. If the key changed by mistake, set the warehouse's key again. To change keys for good,"
            " declare the rotation with `cds pii-key rotate` run with the new key in CDS_PII_KEY; hashes made"
            " before and after it do not join (docs/sources/portal_dossiers.md)."
        )
    return actual


def declare_rotation(conn: psycopg.Connection, key: bytes, note: str | None = None) -> tuple[str | None, str]:
    """Record that ``key`` is the warehouse's key from now on; returns (previous, new) fingerprints.
    Declaring the key already in force records nothing."""
    with conn.transaction():
        conn.execute("select pg_advisory_xact_lock(hashtextextended(%s, 0))", (LOCK,))
        previous, new = warehouse_fingerprint(conn), fingerprint(key)
        if previous != new:
            conn.execute(
                "insert into raw.pii_key_rotation (previous_fingerprint, fingerprint, note) values (%s, %s, %s)",
                (previous, new, note),
            )
    return previous, new
