with

source as (
    select * from {{ source('raw', 'crm_customers') }}
),

renamed as (
    select
        upper(trim(loyalty_id)) as loyalty_id,
        email_hash,
        phone_hash,
        birth_year,
        upper(trim(gender)) as gender,
        trim(city) as city,
        country as country_code,
        signup_date,
        coalesce(profiling_consent, false) as has_profiling_consent,
        nullif(trim(app_user_id), '') as app_user_id,
        _loaded_at
    from source
),

-- One row per member: the latest CRM export is the truth.
final as (
    select *
    from renamed
    {{ latest_per_key(['loyalty_id']) }}
)

select * from final
