{#- Generic test: the combination of columns is unique (dbt_utils is not installable offline).

    `latest_by` (optional) names a column an incremental model stamps with its run's time (_converted_at,
    _added_at), or the staging order lines' _loaded_at (raw only grows: ingestion quarantines a re-sent key
    rather than loading it again, so lines loaded since are the new ones; at 10M lines grouping the whole of
    stg_pos__order_lines took 0.62 s, its keys loaded since 0.27 s): the test then groups only the keys written
    since the last build of the load models that
    passed and was recorded (ops.load_model_builds, written after a whole run's `dbt build` succeeded,
    pipelines/transform/load_builds.py), against every row of the table, instead of grouping the whole table
    each run (at 10M order lines the three intermediate models' tests took 4-5 s of a daily run that adds 17k
    lines). Any duplicate written since holds a row of its keys, so it is found, also one that a failed run
    left behind: it fails every run until the model is repaired (docs/operating.md). With no build recorded
    (a first build, a warehouse built by hand), a build recorded under other code or config than this run's
    (STRATIFY_LOAD_FINGERPRINT, set by the dbt_load_models step), or when every row carries the same stamp
    (a full build), the whole table is grouped, in the second branch below. -#}
{% test unique_combination_of_columns(model, combination_of_columns, latest_by=none) %}
    {%- set columns = combination_of_columns | join(', ') %}
    {%- if latest_by is none %}
    select {{ columns }}, count(*) as n_rows
    from {{ model }}
    group by {{ columns }}
    having count(*) > 1
    {%- else %}
    {#- The model is read in each branch rather than once in a CTE: DuckDB materialized such a CTE for its
        consumers, which cost 0.8 s of 3.9 s on a full build of 10M lines. #}
    {%- set lines = '(select ' ~ columns ~ ', ' ~ latest_by ~ ' as stamp from ' ~ model ~ ')' %}
    {%- set builds = adapter.get_relation(database=model.database, schema='ops', identifier='load_model_builds') if execute else none %}
    {#- Only a build of this code and config: a changed staging view reshapes rows loaded long ago (a new trim of
        a key), so after a change, or run by hand without STRATIFY_LOAD_FINGERPRINT, the whole table is grouped. #}
    {%- set current = env_var('STRATIFY_LOAD_FINGERPRINT', '') if execute else '' %}
    {%- set since = '(select max(built_at) from ' ~ builds ~ " where fingerprint = '" ~ current ~ "')"
        if builds is not none and current else 'cast(null as timestamp)' %}
    with

    stamps as (
        select {{ since }} as since, min(stamp) < max(stamp) and {{ since }} is not null as is_incremental
        from {{ lines }} as lines
    ),

    written_last as (
        select distinct {{ columns }} from {{ lines }} as lines
        where stamp > (select since from stamps) and (select is_incremental from stamps)
    ),

    keys_written_last as (
        select {{ columns }} from {{ lines }} as lines
        where exists (
            select 1 from written_last
            where {% for column in combination_of_columns -%}
                written_last.{{ column }} is not distinct from lines.{{ column }}
                {%- if not loop.last %} and {% endif %}
            {%- endfor %}
        )
    ),

    every_key as (
        select {{ columns }} from {{ lines }} as lines where not coalesce((select is_incremental from stamps), false)
    )

    select {{ columns }}, count(*) as n_rows from keys_written_last group by {{ columns }} having count(*) > 1
    union all
    select {{ columns }}, count(*) as n_rows from every_key group by {{ columns }} having count(*) > 1
    {%- endif %}
{% endtest %}
