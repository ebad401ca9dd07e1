-- Invariant: the snapshot's total monetary_365d equals the net order amounts of known customers in its window.
{{ config(meta={'dagster': {'ref': {'name': 'customer_features'}}}) }}
with

features as (
    select sum(monetary_365d) as total
    from {{ ref('customer_features') }}
    where snapshot_date = {{ snapshot_date() }}
),

orders as (
    select coalesce(sum(net_amount_base), 0) as total
    from {{ ref('int_orders__unified') }}
    where customer_id is not null
      and order_date <= {{ snapshot_date() }}
      and order_date >= {{ dbt.dateadd('day', -364, snapshot_date()) }}
),

final as (
    select features.total as features_total, orders.total as orders_total
    from features cross join orders
    where abs(features.total - orders.total) > 0.01
)

select * from final
