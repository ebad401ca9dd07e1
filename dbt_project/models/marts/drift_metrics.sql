-- The drift stage's figures as published: the columns BI reads, whatever else the drift table gains.
{{ config(materialized='view', tags=['publish']) }}

with

drift as (
    select * from {{ source('drift', 'drift_metrics') }}
),

final as (
    select
        cast(snapshot_date as date) as snapshot_date,
        cast(reference_snapshot as date) as reference_snapshot,
        cast(metric as {{ dbt.type_string() }}) as metric,
        cast(subject as {{ dbt.type_string() }}) as subject,
        cast(value as double) as value,
        cast(threshold as double) as threshold,
        cast(status as {{ dbt.type_string() }}) as status
    from drift
)

select * from final
