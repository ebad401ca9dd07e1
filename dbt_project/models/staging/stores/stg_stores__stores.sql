with

source as (
    select * from {{ source('raw', 'stores') }}
),

renamed as (
    select
        upper(trim(store_id)) as store_id,
        country as country_code,
        trim(city) as city,
        trim(timezone) as timezone,
        upper(trim(currency)) as currency_code,
        opened_date,
        _loaded_at
    from source
),

-- One row per store: a store re-sent in a later export replaces the earlier row.
final as (
    select *
    from renamed
    {{ latest_per_key(['store_id']) }}
)

select * from final
