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
    select * exclude (_loaded_at)
    from renamed
    qualify row_number() over (partition by store_id order by _loaded_at desc) = 1
)

select * from final
