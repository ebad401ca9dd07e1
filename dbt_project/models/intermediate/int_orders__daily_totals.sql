{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='order_date',
        on_schema_change='fail',
    )
}}

{#- Each order's lines of one day added up once, so that every snapshot of customer_features reads
    orders (about 2.3 lines each in the demo) instead of lines, and joins identity and snapshot dates on
    fewer rows. The grain keeps order_date because a snapshot must count only the lines on or before it.
    Incremental: the days that int_orders__unified (re)converted since this model's last run are rebuilt
    whole, so a re-converted line never counts twice. Anonymous lines (no customer id) belong to no
    customer and are left out. -#}

with

order_lines as (
    {{ lines_of_reconverted_days() }}
),

priced_lines as (
    select
        *,
        quantity > 0 and not is_return as is_sale,
        cast(round(discount * fx_rate, 4) as {{ type_money() }}) as discount_base
    from order_lines
),

final as (
    select
        customer_id_kind,
        customer_id,
        channel,
        order_id,
        order_date,
        country_code,
        min(ordered_at_utc) as ordered_at_utc,
        count(*) as line_count,
        count(case when is_return then 1 end) as return_line_count,
        sum(net_amount_base) as net_amount_base,
        -- Gross (before discount) and discount of sale lines only: shares of them stay within 0..1.
        sum(case when is_sale then net_amount_base + discount_base else 0 end) as gross_sale_amount_base,
        sum(case when is_sale then discount_base else 0 end) as sale_discount_base,
        max(_converted_at) as _converted_at,
        -- When this model last added the day up: an incremental run leaves other days untouched.
        {{ dbt.current_timestamp() }} as _added_at
    from priced_lines
    group by customer_id_kind, customer_id, channel, order_id, order_date, country_code
)

select * from final
