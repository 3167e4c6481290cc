"""Synthetic dossier exports of a provincial public-service portal (see ``export`` for the file's
conventions). Reference lists are data files under ``data/`` (read by ``reference_data``)."""

from cds_devkit.synthetic.export import BadRow, GenerationSummary, contract_columns, generate_portal_export

__all__ = ["BadRow", "GenerationSummary", "contract_columns", "generate_portal_export"]
