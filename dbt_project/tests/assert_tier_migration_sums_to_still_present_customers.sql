-- Invariant: for each pair of consecutive snapshots, the migration rows of one tier sum to the customers of
-- that tier at the earlier snapshot who are still present at the later one, and their shares to 1.
-- Counted here from the segments themselves (tier only), not through the model's own unpivot.
{{ config(meta={'dagster': {'ref': {'name': 'tier_migration'}}}) }}
with

-- The pair ending on the snapshot being published only (macros/published_snapshot.sql); every pair when run
-- by hand.
migration as (
    select * from {{ ref('tier_migration') }}
    where segmentation = 'tier' {{ and_published_snapshot('snapshot_date') }}
),

segments as (
    select * from {{ source('segments', 'customer_segments') }}
),

snapshot_pairs as (
    select *
    from (
        select
            lag(snapshot_date) over (order by snapshot_date) as previous_snapshot_date,
            snapshot_date
        from (select distinct snapshot_date from segments) as snapshots
    ) as pairs
    where true {{ and_published_snapshot('snapshot_date') }}
),

still_present as (
    select
        snapshot_pairs.previous_snapshot_date,
        snapshot_pairs.snapshot_date,
        case when earlier.profiled then coalesce(earlier.tier, 'unassigned') else 'not profiled' end as from_segment,
        count(*) as customers
    from snapshot_pairs
    inner join segments as earlier on snapshot_pairs.previous_snapshot_date = earlier.snapshot_date
    inner join segments as later
        on snapshot_pairs.snapshot_date = later.snapshot_date and earlier.customer_key = later.customer_key
    group by 1, 2, 3
),

migrated as (
    select
        previous_snapshot_date,
        snapshot_date,
        from_segment,
        sum(customers) as customers,
        sum(share_of_from_segment) as share_total
    from migration
    group by previous_snapshot_date, snapshot_date, from_segment
),

final as (
    select
        coalesce(still_present.snapshot_date, migrated.snapshot_date) as snapshot_date,
        coalesce(still_present.from_segment, migrated.from_segment) as from_segment,
        still_present.customers as expected_customers,
        migrated.customers,
        migrated.share_total
    from still_present
    full outer join migrated
        on still_present.snapshot_date = migrated.snapshot_date
        and still_present.previous_snapshot_date = migrated.previous_snapshot_date
        and still_present.from_segment = migrated.from_segment
    where still_present.customers is distinct from migrated.customers
       or abs(migrated.share_total - 1) > 0.000001
)

select * from final
