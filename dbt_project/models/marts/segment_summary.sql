-- Per snapshot, segmentation, segment and market: customers, revenue and mean key features. Market 'ALL'
-- repeats every segment over all markets together, so a dashboard needs no second aggregation.
{{ config(materialized='view', tags=['publish']) }}

with

history as (
    select * from {{ ref('customer_tier_history') }}
),

segmentations as (
    {{ published_segmentation_rows() }}
),

market_levels as (
    select * from (values (false), (true)) as market_levels (is_all_markets)
),

-- Every customer once per segmentation and once more under market 'ALL'. The history is read once and unpivoted
-- by cross joins, so a filter on snapshot_date (the published snapshot's tests) reaches its scan.
with_all_markets as (
    select
        history.snapshot_date,
        segmentations.segmentation,
        {{ pick_segmentation('segmentations.segmentation') }} as segment,
        case when market_levels.is_all_markets then 'ALL' else history.market end as market,
        history.recency_days,
        history.frequency_365d,
        history.monetary_365d
    from history
    cross join segmentations
    cross join market_levels
),

per_segment as (
    select
        snapshot_date,
        segmentation,
        segment,
        market,
        count(*) as customers,
        sum(monetary_365d) as revenue_base,
        avg(cast(recency_days as double)) as mean_recency_days,
        avg(cast(frequency_365d as double)) as mean_frequency_365d,
        -- avg of the decimal itself: exact sums, so the same rows give the same mean in every run (a sum of
        -- doubles depends on the order threads add them in, and the publish would see a changed snapshot).
        avg(monetary_365d) as mean_monetary_365d
    from with_all_markets
    group by snapshot_date, segmentation, segment, market
),

final as (
    select
        snapshot_date,
        segmentation,
        segment,
        market,
        customers,
        {{ share('customers', 'sum(customers) over (partition by snapshot_date, segmentation, market)') }}
            as customer_share,
        cast(revenue_base as {{ type_money() }}) as revenue_base,
        {{ share('revenue_base', 'sum(revenue_base) over (partition by snapshot_date, segmentation, market)') }}
            as revenue_share,
        mean_recency_days,
        mean_frequency_365d,
        mean_monetary_365d
    from per_segment
)

select * from final
