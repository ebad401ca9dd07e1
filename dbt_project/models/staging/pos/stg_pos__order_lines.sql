with

source as (
    select * from {{ source('raw', 'pos') }}
),

renamed as (
    select
        'pos' as channel,
        trim(order_id) as order_id,
        line_number,
        nullif(trim(customer_id), '') as customer_id,
        ordered_at,
        cast(ordered_at as date) as order_date,
        upper(trim(sku)) as sku,
        quantity,
        unit_price,
        _source_file,
        _loaded_at
    from source
),

-- One row per (order_id, line_number): a line re-sent in a later file replaces the earlier one.
deduplicated as (
    select *
    from renamed
    qualify row_number() over (partition by order_id, line_number order by _loaded_at desc, _source_file desc) = 1
),

final as (
    select * exclude (_source_file, _loaded_at) from deduplicated
)

select * from final
