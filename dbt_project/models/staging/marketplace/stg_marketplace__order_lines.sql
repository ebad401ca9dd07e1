with

source as (
    select * from {{ source('raw', 'marketplace') }}
),

renamed as (
    select
        'marketplace' as channel,
        {{ order_line_columns() }},
        'marketplace_buyer_id' as customer_id_kind,
        nullif(trim(customer_id), '') as customer_id,
        nullif(upper(trim(loyalty_id)), '') as loyalty_id,
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
