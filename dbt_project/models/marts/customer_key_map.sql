-- The one link between a warehouse customer_key and its published id. Incremental and never fully refreshed:
-- a customer keeps their published id across snapshots and runs; only customers not seen before get one.
-- Its own schema (pseudonyms) is never published and BI tools never open the warehouse.
{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
        full_refresh=false,
        schema='pseudonyms',
        tags=['publish'],
    )
}}

with

segments as (
    select * from {{ source('segments', 'customer_segments') }}
),

unmapped as (
    select customer_key, min(snapshot_date) as first_snapshot_date
    from segments
    {%- if is_incremental() %}
    where not exists (select 1 from {{ this }} as known where known.customer_key = segments.customer_key)
    {%- endif %}
    group by customer_key
),

final as (
    select
        customer_key,
        {{ random_published_key('customer_key') }} as published_key,
        first_snapshot_date
    from unmapped
)

select * from final
