-- Invariant: within a snapshot, segmentation and market, customer shares sum to 1, and revenue shares too
-- unless the revenue total is 0 (then they are all empty).
with

-- The snapshot being published only (macros/published_snapshot.sql); every snapshot when run by hand.
summary as (
    select * from {{ ref('segment_summary') }}
    where true {{ and_published_snapshot('snapshot_date') }}
),

totals as (
    select
        snapshot_date,
        segmentation,
        market,
        sum(customer_share) as customer_share_total,
        sum(revenue_share) as revenue_share_total,
        sum(revenue_base) as revenue_total
    from summary
    group by snapshot_date, segmentation, market
),

final as (
    select *
    from totals
    where abs(customer_share_total - 1) > 0.000001
       or (revenue_total <> 0 and abs(revenue_share_total - 1) > 0.000001)
       or (revenue_total = 0 and revenue_share_total is not null)
)

select * from final
