"""Extraction from sources that are pulled rather than delivered: the portal dossier API."""

from cds_warehouse.extract.http import PortalApiError, RetryPolicy
from cds_warehouse.extract.ingest import SOURCE, ingest_api
from cds_warehouse.extract.portal_api import PortalConfig, portal_config
from cds_warehouse.extract.pull import ApiLoadResult

__all__ = ["SOURCE", "ApiLoadResult", "PortalApiError", "PortalConfig", "RetryPolicy", "ingest_api", "portal_config"]
