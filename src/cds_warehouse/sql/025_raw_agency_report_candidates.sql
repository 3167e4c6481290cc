-- Ranked candidate indicators for the agency-report indicator texts that neither the catalog nor the
-- aliases match (cds_warehouse.agency_reports.candidates; docs/sources/agency_reports.md, "Review").
-- Rewritten whole before each build of the agency-report models, so it follows the catalog and the
-- aliases; marts.agency_report_rows_awaiting_review shows it. Idempotent, applied after 020.
create table if not exists raw.agency_report_indicator_candidate (
    match_key      text     not null,  -- the text's match key (int_agency_report_indicator_keys)
    unit_kind      text,               -- the row's unit kind: percent, other, or null when none given
    candidate_rank smallint not null check (candidate_rank between 1 and 3),
    indicator_code text     not null,  -- a catalog code (seeds/indicators.csv)
    score          numeric(4, 1) not null check (score between 0 and 100)
);
create unique index if not exists agency_report_indicator_candidate_rank
    on raw.agency_report_indicator_candidate (match_key, coalesce(unit_kind, ''), candidate_rank);
