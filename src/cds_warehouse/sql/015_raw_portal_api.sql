-- Portal API pulls (docs/sources/portal_api.md). Rows land in raw.portal_dossier like file rows; one
-- pull is one batch in raw.load_audit (source 'portal_api'). Idempotent, applied after 010.

-- Where each configured portal's pull stands. Written in the same transaction as every page of rows, so
-- after a crash it says exactly which rows are in. A batch is in progress while its load_audit status is
-- 'running' (or 'failed': stopped by an error); the next run resumes that batch from the cursor.
create table if not exists raw.portal_api_watermark (
    source            text        not null,  -- load_audit.source of the pulls, e.g. 'portal_api'
    portal            text        not null,  -- the configured portal: its base URL without credentials
    base_url          text        not null,  -- last base URL used (no credentials); equals portal
    reported_id       text,                  -- portal_id the server last reported (shown, never a key)
    committed_to      timestamp,             -- every version updated before this is in a finished batch
    ledger_from       timestamp,             -- raw.portal_api_version holds every version received with
                                             -- updated_at >= this (null: since the first pull)
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
alter table raw.portal_api_watermark add column if not exists reported_id text;
alter table raw.portal_api_watermark add column if not exists ledger_from timestamp;

-- Watermarks written before they were keyed by the configured portal held the portal_id the server
-- reported in `portal`. They now go under their base URL; their ledger held only the open batch, so it
-- is complete from committed_to on. Of several rows under one URL (a portal that changed its reported id)
-- the latest takes the URL; the others keep their old key, which no configured portal uses.
with legacy as (
    select
        source,
        portal,
        row_number() over (partition by source, base_url order by updated_at desc) as rank_in_url
    from raw.portal_api_watermark
    where reported_id is null
)

update raw.portal_api_watermark as w
set
    reported_id = w.portal,
    portal = case
        when
            legacy.rank_in_url = 1
            and not exists (
                select from raw.portal_api_watermark as o
                where o.source = w.source and o.portal = w.base_url
            )
            then w.base_url
        else w.portal
    end,
    ledger_from = w.committed_to
from legacy
where legacy.source = w.source and legacy.portal = w.portal;

-- The keys of the versions received from each configured portal (landed or rejected) that a later pull
-- may meet again: those of the open batch, and those inside the overlap window and the reconciliation
-- days (pruned when a batch completes). A version goes to raw.portal_dossier only if its key is new here
-- (same transaction): a page repeated by the server, or re-read through the overlap, is not stored
-- twice. A table of its own keeps file loads free of the index this needs, and never probes the
-- history-sized raw table.
do $$
begin
    -- before, the ledger was keyed by batch and held only open batches: its keys move under their portal
    if exists (
        select from information_schema.columns
        where table_schema = 'raw' and table_name = 'portal_api_version' and column_name = 'province_code'
    ) then
        alter table raw.portal_api_version rename to portal_api_version_by_batch;
    end if;
end $$;

create table if not exists raw.portal_api_version (
    source       text      not null,
    portal       text      not null,
    updated_at   timestamp not null,
    dossier_code text      not null,
    load_id      bigint    not null references raw.load_audit (load_id),  -- the batch that received it
    primary key (source, portal, updated_at, dossier_code)
);

do $$
begin
    if to_regclass('raw.portal_api_version_by_batch') is not null then
        insert into raw.portal_api_version (source, portal, updated_at, dossier_code, load_id)
        select distinct on (w.source, w.portal, v.updated_at, v.dossier_code)
            w.source, w.portal, v.updated_at, v.dossier_code, v.load_id
        from raw.portal_api_version_by_batch as v
        inner join raw.portal_api_watermark as w on v.load_id = w.load_id
        on conflict do nothing;
        drop table raw.portal_api_version_by_batch;
    end if;
end $$;
