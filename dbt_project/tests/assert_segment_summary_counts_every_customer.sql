-- Invariant: every customer of a snapshot is counted once per segmentation, in market 'ALL' and in the
-- markets, which add up to 'ALL' (customers and revenue).
{{ config(meta={'dagster': {'ref': {'name': 'segment_summary'}}}) }}
with

-- The snapshot being published only (macros/published_snapshot.sql); every snapshot when run by hand.
summary as (
    select * from {{ ref('segment_summary') }}
    where true {{ and_published_snapshot('snapshot_date') }}
),

history as (
    select * from {{ ref('customer_tier_history') }}
    where true {{ and_published_snapshot('snapshot_date') }}
),

customers_per_snapshot as (
    select snapshot_date, count(*) as customers, sum(monetary_365d) as revenue_base
    from history
    group by snapshot_date
),

per_scope as (
    select
        snapshot_date,
        segmentation,
        market = 'ALL' as is_all_markets,
        sum(customers) as customers,
        sum(revenue_base) as revenue_base
    from summary
    group by snapshot_date, segmentation, market = 'ALL'
),

final as (
    select per_scope.*, customers_per_snapshot.customers as expected_customers
    from per_scope
    left join customers_per_snapshot on per_scope.snapshot_date = customers_per_snapshot.snapshot_date
    where customers_per_snapshot.customers is null
       or per_scope.customers <> customers_per_snapshot.customers
       or per_scope.revenue_base <> customers_per_snapshot.revenue_base
)

select * from final
