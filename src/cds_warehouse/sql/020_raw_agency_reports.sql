-- Raw layer of agency reports (Excel workbooks) and of portal-published 766 figures (CSV).
-- One file is one batch in raw.load_audit (source 'agency_reports' or 'published_766').
-- Idempotent; applied after 010_raw_portal.sql, which creates raw.load_audit and raw.load_reject.

-- One row per report: a sheet of a workbook with a table, and its title block.
create table if not exists raw.agency_report (
    load_id           bigint  not null references raw.load_audit (load_id),
    sheet_index       integer not null,          -- 1-based position of the sheet in the workbook
    sheet_name        text    not null,
    header_row        integer not null,          -- Excel row number of the (first) header row
    report_title      text,
    agency_text       text,                      -- "Đơn vị báo cáo" as written (NFC)
    province_text     text,                      -- "Tỉnh" as written, or the "UBND TỈNH …" heading line
    agency_code       text,                      -- resolved from dbt_project/seeds/agencies.csv; null: unknown
    province_code     text,                      -- the agency's province
    agency_problem    text,                      -- why agency_code is null
    period_text       text,                      -- "Kỳ báo cáo" as written
    period_type       text check (period_type in ('month', 'quarter', 'half_year', 'year')),
    period_start      date,
    period_end        date,
    submitted_text    text,                      -- "Ngày báo cáo" (or the "…, ngày … tháng … năm …" line)
    submitted_on      date,                      -- the report's own date: orders resubmissions
    submitted_at      timestamp,                 -- with its time, when one is written
    workbook_saved_at timestamptz,               -- when the workbook was last saved (file metadata)
    rows_read         integer not null,
    rows_loaded       integer not null,
    rows_rejected     integer not null,
    primary key (load_id, sheet_index)
);

-- One row per table row with a value (headings, blank and footnote rows are not rows of the report).
create table if not exists raw.agency_report_row (
    load_id        bigint  not null,
    sheet_index    integer not null,
    source_row     integer not null,             -- Excel row number
    stt            text,
    indicator_text text    not null,             -- "Chỉ tiêu" as written (NFC); matched to the catalog in dbt
    indicator_key  text    not null,             -- folded indicator_text (cds_warehouse.agency_reports.text)
    unit_text      text,
    unit_kind      text check (unit_kind in ('percent', 'other')),
    level_text     text,
    admin_level    text check (admin_level in ('province', 'district', 'commune', 'all')),
    plan_value     numeric,                      -- percentages in 0-100
    actual_value   numeric,                      -- percentages in 0-100; null: no figure (N/A, —)
    numerator      numeric,
    denominator    numeric,
    actual_text    text,                         -- the "Thực hiện" cell as written
    value_derived  boolean not null default false,  -- actual_value computed from numerator / denominator
    note           text,
    primary key (load_id, sheet_index, source_row),
    foreign key (load_id, sheet_index) references raw.agency_report (load_id, sheet_index)
);

-- What could not be read, or was read with a caveat: file, sheet, row, column and reason.
create table if not exists raw.agency_report_issue (
    load_id     bigint not null references raw.load_audit (load_id),
    issue_no    integer not null,
    file_name   text   not null,
    sheet_name  text,
    source_row  integer,                         -- Excel row number; null for the sheet or the file
    column_name text,                            -- template header and Excel column: "Thực hiện (F)"
    severity    text   not null check (severity in ('error', 'warning', 'info')),
    reason      text   not null,
    cell_text   text,
    primary key (load_id, issue_no)
);

-- Figures published by the national public-service portal (Decision 766), one row per CSV row.
-- Contract: src/cds_warehouse/sources/published_766.yml (loaded by the generic CSV loader).
create table if not exists raw.published_766 (
    load_id        bigint  not null references raw.load_audit (load_id),
    source_row     integer not null,
    province_code  text    not null,
    period         text    not null,             -- 2025-09 | 2025-Q3 | 2025-H1 | 2025
    indicator_code text    not null,
    admin_level    text,                         -- province | district | commune | all (blank: all)
    value          numeric not null,
    numerator      numeric,
    denominator    numeric,
    retrieved_at   timestamp,                    -- when the figure was read off the portal (local time)
    source_url     text,
    primary key (load_id, source_row)
);
