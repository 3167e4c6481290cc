-- Raw layer: what the sources delivered, personal data already removed or keyed-hashed.
-- Idempotent; applied (with the other sql/*.sql files, in name order) before every load.
create schema if not exists raw;

create table if not exists raw.load_audit (
    load_id        bigint generated always as identity primary key,
    source         text        not null,
    file_name      text        not null,
    file_sha256    text        not null,
    rows_read      bigint,
    rows_loaded    bigint,
    rows_rejected  bigint,
    started_at     timestamptz not null default now(),
    finished_at    timestamptz,
    -- running -> loaded -> published (quality gate passed) | quarantined (gate failed) ; failed on error;
    -- empty: a file without a data row (nothing to gate, nothing to publish)
    status         text        not null default 'running',
    message        text
);
-- Added after the first release: applied to warehouses made before it too.
alter table raw.load_audit drop constraint if exists load_audit_status_check;
alter table raw.load_audit add constraint load_audit_status_check
    check (status in ('running', 'loaded', 'empty', 'published', 'quarantined', 'failed'));
-- Nulls per column the source says a file must carry, among the batch's loaded rows: the gate compares their
-- share with the source's recent batches (quality.null_share_departures).
alter table raw.load_audit add column if not exists null_counts jsonb;
-- One successful load per file content and source: a re-run of the same file is recognised.
drop index if exists raw.load_audit_one_success_per_file;
create unique index if not exists load_audit_one_landing_per_file
    on raw.load_audit (source, file_sha256) where status in ('loaded', 'empty', 'published', 'quarantined');

create table if not exists raw.load_reject (
    load_id     bigint  not null references raw.load_audit (load_id),
    file_name   text    not null,
    source_row  integer not null,     -- 1-based data row number (header is row 0)
    column_name text    not null,
    reason      text    not null,
    primary key (load_id, source_row, column_name)
);

-- Append-only, one row per delivered dossier version. No primary key or foreign key: each would
-- cost an index probe or a trigger per row of multi-million-row COPYs; (load_id, source_row) is
-- unique by construction, and rows whose load is not published in the audit never reach the models.
create table if not exists raw.portal_dossier (
    load_id              bigint  not null,
    source_row           integer not null,
    dossier_code         text    not null,
    procedure_code       text    not null,
    procedure_name       text,
    service_level        text,
    province_code        text    not null,
    unit_code            text    not null,
    unit_name            text,
    admin_level          text    not null,
    channel              smallint,
    received_at          timestamp not null,
    due_at               timestamp,
    finished_at          timestamp,
    status               text    not null,
    supplement_count     integer,
    supplement_days      numeric,
    fee_vnd              bigint,
    online_payment       smallint,
    components_digitized smallint,
    electronic_result    smallint,
    paper_result         smallint,
    rating               text,
    complaint            smallint,
    updated_at           timestamp not null,
    applicant_id_hash    text,
    applicant_phone_hash text
);
-- Batches are appended in load_id order, so a BRIN index finds one batch at almost no upkeep.
create index if not exists portal_dossier_load_id on raw.portal_dossier using brin (load_id);
-- Each load analyses load_id (cds_warehouse.load.file.analyze_raw) so that filters on the new loads use that
-- index. A sample of 3,000 rows (not 30,000) is enough: a batch large enough to be read whole shows in it,
-- and one too small to show is estimated small, which leads to the index too. On a 1M-row table the
-- analysis takes 40 ms instead of 200.
alter table raw.portal_dossier alter column load_id set statistics 10;

-- The personal-data key each batch was hashed with, as a fingerprint (cds_warehouse.pii_key): a load with
-- another key than the warehouse's stops, unless the change was declared here (`cds pii-key rotate`).
alter table raw.load_audit add column if not exists pii_key_fingerprint text;
create table if not exists raw.pii_key_rotation (
    rotation_id          bigint generated always as identity primary key,
    previous_fingerprint text,                 -- the warehouse's key before (null: none recorded yet)
    fingerprint          text        not null, -- the key from now on
    declared_at          timestamptz not null default now(),
    declared_by          text        not null default current_user,
    note                 text
);
