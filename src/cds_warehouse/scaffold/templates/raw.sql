-- Raw layer of the source $name: one row per data row of a delivered file, personal data already
-- dropped or keyed-hashed (contract: src/cds_warehouse/sources/$name.yml). Written by `cds add-source`.
-- Idempotent; applied with the other sql/*.sql files in name order, after 010_raw_portal.sql, which creates
-- raw.load_audit (one row per batch) and raw.load_reject (rows the loader refused, with the reason).
create table if not exists raw.$name (
    load_id    bigint  not null,  -- the batch (raw.load_audit); rows reach the models once it is published
    source_row integer not null,  -- 1-based data row of the file (the header is row 0)
$ddl_columns
);
-- Batches are appended in load_id order: a BRIN index finds one batch at almost no upkeep.
create index if not exists ${name}_load_id
    on raw.$name using brin (load_id);
