-- Per pair of consecutive snapshots and segmentation: how many customers moved from each segment to each
-- segment. Only customers present in both snapshots count, so each from_segment's rows sum to its customers
-- at the earlier snapshot who are still present at the later one.
-- Customers are matched once, with every segmentation side by side, and counted per combination of moves
-- before the segmentations are taken apart: matching one row per customer and segmentation instead held
-- customers x segmentations x snapshots rows at once and ran out of 3 GB at 1.56M customers.
{{ config(materialized='view', tags=['publish']) }}

{%- set segmentations = published_segmentations() %}

with

history as (
    select * from {{ ref('customer_tier_history') }}
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

combinations as (
    select
        pairs.previous_snapshot_date,
        pairs.snapshot_date,
        {%- for segmentation in segmentations %}
        {{ segment_of(segmentation, 'earlier') }} as from_{{ loop.index }},
        {{ segment_of(segmentation, 'later') }} as to_{{ loop.index }},
        {%- endfor %}
        count(*) as customers
    from pairs
    inner join history as earlier on pairs.previous_snapshot_date = earlier.snapshot_date
    inner join history as later
        on pairs.snapshot_date = later.snapshot_date
        and earlier.customer_key = later.customer_key
    group by
        pairs.previous_snapshot_date,
        pairs.snapshot_date
        {%- for segmentation in segmentations %},
        from_{{ loop.index }},
        to_{{ loop.index }}
        {%- endfor %}
),

moves as (
    {%- for segmentation in segmentations %}
    select
        previous_snapshot_date,
        snapshot_date,
        '{{ segmentation }}' as segmentation,
        from_{{ loop.index }} as from_segment,
        to_{{ loop.index }} as to_segment,
        sum(customers) as customers
    from combinations
    group by previous_snapshot_date, snapshot_date, from_{{ loop.index }}, to_{{ loop.index }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

final as (
    select
        previous_snapshot_date,
        snapshot_date,
        segmentation,
        from_segment,
        to_segment,
        cast(customers as bigint) as customers,
        {{ share('customers', 'sum(customers) over (partition by snapshot_date, segmentation, from_segment)') }}
            as share_of_from_segment
    from moves
)

select * from final
