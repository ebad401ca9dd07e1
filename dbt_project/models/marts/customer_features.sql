{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='snapshot_date',
        on_schema_change='fail',
    )
}}

with

order_lines as (
    select * from {{ ref('int_orders__unified') }}
),

identity as (
    select * from {{ ref('int_customers__identity') }}
),

-- Point in time: only what happened on or before the snapshot date.
known_orders as (
    select
        identity.customer_key,
        order_lines.channel,
        order_lines.order_id,
        min(order_lines.order_date) as order_date,
        sum(order_lines.net_amount_base) as order_net_base
    from order_lines
    inner join identity
        on order_lines.customer_id_kind = identity.id_kind and order_lines.customer_id = identity.id
    where order_lines.order_date <= {{ snapshot_date() }}
    group by identity.customer_key, order_lines.channel, order_lines.order_id
),

window_start as (
    select {{ dbt.dateadd('day', -364, snapshot_date()) }} as first_day
),

per_customer as (
    select
        customer_key,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date,
        count(*) filter (where order_date >= window_start.first_day) as frequency_365d,
        coalesce(sum(order_net_base) filter (where order_date >= window_start.first_day), 0) as monetary_365d
    from known_orders
    cross join window_start
    group by customer_key
),

final as (
    select
        customer_key,
        {{ snapshot_date() }} as snapshot_date,
        {{ dbt.datediff('last_order_date', snapshot_date(), 'day') }} as recency_days,
        frequency_365d,
        cast(monetary_365d as {{ type_money() }}) as monetary_365d,
        {{ dbt.datediff('first_order_date', snapshot_date(), 'day') }} as tenure_days,
        first_order_date,
        last_order_date
    from per_customer
)

select * from final
