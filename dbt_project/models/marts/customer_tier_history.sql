-- Every customer of every snapshot with every segmentation, under the published id only.
{{ config(materialized='view', tags=['publish']) }}

with

segments as (
    select * from {{ source('segments', 'customer_segments') }}
),

key_map as (
    select * from {{ ref('customer_key_map') }}
),

final as (
    select
        key_map.published_key as customer_key,
        segments.snapshot_date,
        segments.market,
        segments.tier,
        segments.cluster_id,
        segments.cluster_name,
        segments.rfm_r,
        segments.rfm_f,
        segments.rfm_m,
        segments.rfm_segment,
        segments.value_tier,
        segments.lifecycle_stage,
        segments.churn_risk,
        segments.expected_value_365d,
        segments.recency_days,
        segments.frequency_365d,
        segments.monetary_365d,
        segments.profiled,
        segments.exclusion_reason,
        segments.model_version
    from segments
    left join key_map on segments.customer_key = key_map.customer_key
)

select * from final
