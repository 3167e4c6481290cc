from cds_warehouse.agency_reports.cli import main

main()
