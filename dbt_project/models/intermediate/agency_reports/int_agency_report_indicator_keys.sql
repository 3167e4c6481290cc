-- Every indicator text to match (report rows, catalog names and codes, aliases) with its match key.
-- The key is the one normalisation of indicator names, in one place: no diacritics (NFD, combining
-- marks U+0300-U+036F removed, đ is d), lower case, anything but a-z and 0-9 as one space, leading
-- enumerators ("1.", "2.1") dropped, word-final y after a consonant read as i ("tỷ" = "tỉ").
-- Mirrored by cds_warehouse.agency_reports.text.indicator_key; a test checks that both agree.

with

report_texts as (

    select indicator_text as text_value from {{ ref('stg_agency_reports__rows') }}

),

catalog as (

    select * from {{ ref('indicators') }}

),

alias_texts as (

    select alias_text as text_value from {{ ref('indicator_aliases') }}

),

texts as (

    select text_value from report_texts
    union
    select name_vi as text_value from catalog
    union
    select indicator_code as text_value from catalog
    union
    select text_value from alias_texts

),

unaccented as (

    select
        text_value,
        lower(
            translate(regexp_replace(normalize(text_value, nfd), '[\u0300-\u036f]', '', 'g'), 'Đđ', 'dd')
        ) as plain_text
    from texts
    where text_value is not null

),

spaced as (

    select
        text_value,
        trim(regexp_replace(plain_text, '[^a-z0-9]+', ' ', 'g')) as spaced_text
    from unaccented

),

final as (

    select
        text_value,
        regexp_replace(
            trim(regexp_replace(spaced_text || ' ', '^([0-9]+ )+', '')),
            '([bcdghklmnpqrstvx])y\M', '\1i', 'g'
        ) as match_key
    from spaced

)

select * from final
