{{
    config(
        materialized='incremental',
        incremental_strategy='delete+insert',
        unique_key='order_date',
        on_schema_change='fail',
    )
}}

{#- Net spend per customer id, day and product category: what customer_features ranks a customer's top
    category from, added up once instead of from every line at every snapshot. Incremental as
    int_orders__daily_totals: the days re-converted since the last run are rebuilt whole. -#}

with

order_lines as (
    {{ lines_of_reconverted_days() }}
),

final as (
    select
        customer_id_kind,
        customer_id,
        order_date,
        category,
        sum(net_amount_base) as net_amount_base,
        max(_converted_at) as _converted_at,
        -- When this model last added the day up: an incremental run leaves other days untouched.
        {{ dbt.current_timestamp() }} as _added_at
    from order_lines
    group by customer_id_kind, customer_id, order_date, category
)

select * from final
