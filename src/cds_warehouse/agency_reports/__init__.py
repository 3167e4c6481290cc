"""Agency reports: Excel workbooks filled from the report template, read as a person would, landed in raw
as audited batches, gated, and matched to the indicator catalog in dbt (docs/sources/agency_reports.md).

Modules: ``text`` (folding), ``numbers`` and ``periods`` (reading cells), ``template`` (the contract in
sources/agency_reports.yml), ``parser`` (a workbook -> reports and issues), ``agencies`` (who sent it),
``loader`` (raw tables, audit, quality gate), ``landing`` (what the DAG calls), ``samples`` (the sample
workbook and the demo files), ``cli``.
"""
