{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key=['channel', 'order_id', 'line_number'],
        on_schema_change='fail',
    )
}}

{#- Incremental: a run converts only the lines loaded since the last run (see macros/new_lines.sql). -#}

with

pos as (
    {{ new_lines('stg_pos__order_lines') }}
),

stores as (
    select * from {{ ref('stg_stores__stores') }}
),

ecommerce as (
    {{ new_lines('stg_ecommerce__order_lines') }}
),

app as (
    {{ new_lines('stg_app__order_lines') }}
),

marketplace as (
    {{ new_lines('stg_marketplace__order_lines') }}
),

orders as (
    {{ new_lines('stg_orders__order_lines') }}
),

fx_rates as (
    select * from {{ ref('stg_fx_rates__rates') }}
),

-- Store sales carry the store's wall-clock time; its time zone turns them into UTC. A store missing
-- from the stores source keeps its time as UTC, flagged.
pos_in_utc as (
    select
        pos.*,
        stores.country_code,
        coalesce({{ to_utc('pos.ordered_at_local', 'stores.timezone') }}, pos.ordered_at_local) as ordered_at_utc,
        stores.timezone is null as is_timezone_assumed
    from pos
    left join stores on pos.store_id = stores.store_id
),

unioned as (
    select {{ unified_order_line_columns() }} from pos_in_utc
    {%- for channel in ['ecommerce', 'app', 'marketplace', 'orders'] %}
    union all
    select {{ unified_order_line_columns() | replace('store_id,', 'cast(null as varchar) as store_id,') | replace('is_timezone_assumed,', 'false as is_timezone_assumed,') }}
    from {{ channel }}
    {%- endfor %}
),

dated as (
    select *, cast(ordered_at_utc as date) as order_date from unioned
),

-- The rate of the order's day, or the latest earlier one when the feed has a gap (weekends). Looked up
-- once per currency and day, then joined on equality: an as-of join carrying every line costs seconds.
line_days as (
    select distinct currency_code, order_date from dated
),

day_rates as (
    {{ join_latest_rate_on_or_before('line_days', 'fx_rates') }}
),

with_rate as (
    select dated.*, day_rates.rate_date, day_rates.rate_to_base
    from dated
    left join day_rates
        on dated.currency_code = day_rates.currency_code and dated.order_date = day_rates.order_date
),

-- Orders before a currency's first rate use that first rate (flagged as a fallback too).
first_rates as (
    select currency_code, rate_date, rate_to_base
    from (
        select *, row_number() over (partition by currency_code order by rate_date) as rate_rank
        from fx_rates
    ) as ranked
    where rate_rank = 1
),

final as (
    select
        with_rate.channel,
        with_rate.order_id,
        with_rate.line_number,
        with_rate.customer_id_kind,
        with_rate.customer_id,
        with_rate.loyalty_id,
        with_rate.store_id,
        with_rate.country_code,
        with_rate.ordered_at_utc,
        with_rate.order_date,
        with_rate.is_timezone_assumed,
        with_rate.sku,
        with_rate.category,
        with_rate.quantity,
        with_rate.unit_price,
        with_rate.discount,
        with_rate.currency_code,
        with_rate.is_return,
        with_rate._loaded_at,
        cast(with_rate.quantity * with_rate.unit_price - sign(with_rate.quantity) * with_rate.discount
            as {{ type_money() }}) as net_amount,
        case
            when with_rate.currency_code = '{{ var("base_currency") }}' then 1
            else coalesce(with_rate.rate_to_base, first_rates.rate_to_base)
        end as fx_rate,
        with_rate.currency_code <> '{{ var("base_currency") }}'
            and (with_rate.rate_date is null or with_rate.rate_date < with_rate.order_date) as is_fx_fallback
    from with_rate
    left join first_rates on with_rate.currency_code = first_rates.currency_code
)

select
    *,
    cast(round(net_amount * fx_rate, 4) as {{ type_money() }}) as net_amount_base,
    -- When this run converted the line: an incremental run leaves earlier lines' value untouched.
    {{ dbt.current_timestamp() }} as _converted_at
from final
