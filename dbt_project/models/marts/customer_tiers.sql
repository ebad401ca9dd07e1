-- The latest snapshot of the tier history: what a CRM list or a dashboard of "now" reads.
{{ config(materialized='view', tags=['publish']) }}

with

history as (
    select * from {{ ref('customer_tier_history') }}
),

latest as (
    select max(snapshot_date) as snapshot_date from history
),

final as (
    select history.*
    from history
    inner join latest on history.snapshot_date = latest.snapshot_date
)

select * from final
