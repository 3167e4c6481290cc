-- Match key -> indicator code, from the catalog (names and codes) and the alias seed. A key that leads
-- to two codes is ambiguous and matches nothing (its rows wait for review). Aliases pointing at a code
-- that is not in the catalog are ignored (and flagged by a test on the seed).

with

text_keys as (

    select * from {{ ref('int_agency_report_indicator_keys') }}

),

catalog as (

    select * from {{ ref('indicators') }}

),

aliases as (

    select * from {{ ref('indicator_aliases') }}

),

candidates as (

    select
        name_vi as text_value,
        indicator_code,
        'catalog_name' as matched_by
    from catalog
    where name_vi is not null

    union all

    select
        indicator_code as text_value,
        indicator_code,
        'catalog_code' as matched_by
    from catalog

    union all

    select
        aliases.alias_text as text_value,
        aliases.indicator_code,
        'alias' as matched_by
    from aliases
    inner join catalog
        on aliases.indicator_code = catalog.indicator_code

),

keyed as (

    select
        text_keys.match_key,
        candidates.indicator_code,
        candidates.matched_by
    from candidates
    inner join text_keys
        on candidates.text_value = text_keys.text_value
    where text_keys.match_key != ''

),

grouped as (

    select
        match_key,
        count(distinct indicator_code) as candidate_count,
        min(indicator_code) as first_code,
        string_agg(distinct indicator_code, ', ' order by indicator_code) as candidate_codes,
        string_agg(distinct matched_by, ', ' order by matched_by) as matched_by
    from keyed
    group by match_key

),

final as (

    select
        match_key,
        case when candidate_count = 1 then first_code end as indicator_code,
        candidate_count,
        candidate_codes,
        matched_by
    from grouped

)

select * from final
