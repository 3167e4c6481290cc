-- Portal API pulls (docs/sources/portal_api.md). Rows land in raw.portal_dossier like file rows; one
-- pull is one batch in raw.load_audit (source 'portal_api'). Idempotent, applied after 010.

-- Where each portal's pull stands. Written in the same transaction as every page of rows, so after a
-- crash it says exactly which rows are in. A batch is in progress while its load_audit status is
-- 'running' (or 'failed': stopped by an error); the next run resumes that batch from the cursor.
create table if not exists raw.portal_api_watermark (
    source            text        not null,  -- load_audit.source of the pulls, e.g. 'portal_api'
    portal            text        not null,  -- portal_id the server reports
    base_url          text        not null,  -- last base URL used (no credentials)
    committed_to      timestamp,             -- every version updated before this is in a finished batch
    load_id           bigint      references raw.load_audit (load_id),  -- current or last batch
    window_from       timestamp,             -- the batch's window [window_from, window_to); null = start
    window_to         timestamp,
    cursor_updated_at timestamp,             -- key of the last row loaded in the batch
    cursor_code       text,
    pages             integer     not null default 0,  -- pages loaded in the batch
    rows_pulled       bigint      not null default 0,  -- rows received in the batch (last source_row)
    updated_at        timestamptz not null default now(),
    primary key (source, portal),
    check ((cursor_updated_at is null) = (cursor_code is null))
);

-- The versions an API batch holds while it is open, so that a page repeated by the server is not stored
-- twice: a row goes to raw.portal_dossier only if its key is new here (same transaction). Emptied when
-- the batch is complete. A table of its own keeps file loads free of the index this needs.
create table if not exists raw.portal_api_version (
    load_id       bigint    not null references raw.load_audit (load_id),
    province_code text      not null,
    dossier_code  text      not null,
    updated_at    timestamp not null,
    primary key (load_id, province_code, dossier_code, updated_at)
);
