with

source as (
    select * from {{ source('raw', 'app') }}
),

renamed as (
    select
        'app' as channel,
        {{ order_line_columns() }},
        'app_user_id' as customer_id_kind,
        nullif(trim(customer_id), '') as customer_id,
        email_hash as account_email_hash,
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
