"""The development kit's commands, added to `cds` by `cds_warehouse.cli` when this package is installed."""

from __future__ import annotations

from cds_devkit import agency_samples, demo
from cds_devkit.bench import run as bench
from cds_devkit.portal_server import cli as portal_server
from cds_devkit.synthetic import cli as synthetic


def register(subparsers) -> None:
    for part in (synthetic, demo, portal_server, agency_samples, bench):
        part.register(subparsers)
