with

source as (
    select * from {{ source('raw', 'fx_rates') }}
),

renamed as (
    select
        rate_date,
        upper(trim(currency)) as currency_code,
        cast(rate as decimal(18, 8)) as rate_to_base,
        _loaded_at
    from source
),

-- One rate per currency and day: a corrected rate in a later file wins.
final as (
    select *
    from renamed
    {{ latest_per_key(['currency_code', 'rate_date']) }}
)

select * from final
