-- Per pair of consecutive snapshots and segmentation: how many customers moved from each segment to each
-- segment. Only customers present in both snapshots count, so each from_segment's rows sum to its customers
-- at the earlier snapshot who are still present at the later one.
{{ config(materialized='view', tags=['publish']) }}

with

history as (
    select * from {{ ref('customer_tier_history') }}
),

memberships as (
    {{ segment_memberships('history') }}
),

snapshots as (
    select distinct snapshot_date from history
),

pairs as (
    select
        lag(snapshot_date) over (order by snapshot_date) as previous_snapshot_date,
        snapshot_date
    from snapshots
),

moves as (
    select
        pairs.previous_snapshot_date,
        pairs.snapshot_date,
        earlier.segmentation,
        earlier.segment as from_segment,
        later.segment as to_segment,
        count(*) as customers
    from pairs
    inner join memberships as earlier on pairs.previous_snapshot_date = earlier.snapshot_date
    inner join memberships as later
        on pairs.snapshot_date = later.snapshot_date
        and earlier.customer_key = later.customer_key
        and earlier.segmentation = later.segmentation
    group by pairs.previous_snapshot_date, pairs.snapshot_date, earlier.segmentation, earlier.segment, later.segment
),

final as (
    select
        previous_snapshot_date,
        snapshot_date,
        segmentation,
        from_segment,
        to_segment,
        customers,
        {{ share('customers', 'sum(customers) over (partition by snapshot_date, segmentation, from_segment)') }}
            as share_of_from_segment
    from moves
)

select * from final
