with

source as (
    select * from {{ source('raw', 'pos') }}
),

renamed as (
    select
        'pos' as channel,
        {{ order_line_columns() }},
        'loyalty_id' as customer_id_kind,
        nullif(upper(trim(customer_id)), '') as customer_id,
        cast(null as varchar) as loyalty_id,
        upper(trim(store_id)) as store_id,
        ordered_at as ordered_at_local
    from source
)

-- One row per (order_id, line_number) already: ingestion quarantines a re-sent key as a duplicate line,
-- so no window de-duplicates 10M lines here on every read (the unique test guards the key).
select * from renamed
