with

source as (
    select * from {{ source('raw', 'orders') }}
),

renamed as (
    select
        'orders' as channel,
        {{ order_line_columns() }},
        'orders_customer_id' as customer_id_kind,
        nullif(trim(customer_id), '') as customer_id,
        cast(null as varchar) as loyalty_id,
        country as country_code,
        {{ utc_timestamp('ordered_at') }} as ordered_at_utc
    from source
),

final as (
    select *
    from renamed
    {{ latest_per_key(['order_id', 'line_number']) }}
)

select * from final
