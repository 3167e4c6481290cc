"""Agency reports: Excel workbooks filled from the report template, read as a person would, landed in raw
as audited batches, gated, and matched to the indicator catalog in dbt (docs/sources/agency_reports.md).

Modules: ``text`` (folding), ``numbers`` and ``periods`` (reading cells), ``template`` (the contract in
sources/agency_reports.yml), ``parser`` (a workbook -> reports and issues: ``grid`` reads the cells,
``table_body`` the rows below the header, ``report`` holds what is read), ``agencies`` (who sent it),
``loader`` (raw tables, audit, quality gate), ``landing`` (what the DAG calls), ``cli`` (`cds agency-reports`).
The sample workbook and the demo files are tooling: ``cds_devkit.agency_samples``.
"""
