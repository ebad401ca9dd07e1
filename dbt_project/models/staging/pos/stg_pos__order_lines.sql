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
),

final as (
    select *
    from renamed
    {{ latest_per_key(['order_id', 'line_number']) }}
)

select * from final
