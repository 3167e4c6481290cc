"""Tooling for developing and demonstrating the warehouse, not part of the product: synthetic portal
exports (``synthetic``), a local portal API (``portal_server``), sample agency workbooks
(``agency_samples``) and the benchmark (``bench``). ``cds_warehouse`` never imports this package."""
