{#- Tests of the published views (every snapshot) look at the snapshot being published only: a test's `where`
    config names `__published_snapshot__`, replaced here, when the test runs, by STRATIFY_SNAPSHOT_DATE (the
    publish step sets it). Over every snapshot, the tests would grow with history: at 10M order lines they took
    4.4, 6.2 and 8.0 s in the publish steps of three monthly snapshots in a row. Earlier snapshots were tested
    when they were published. Without the variable (dbt run by hand) the filter goes and every snapshot is
    tested. A test's `where` is rendered when dbt parses the project, without this project's macros, hence the
    placeholder (dbt's documented way: override get_where_subquery). -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where and '__published_snapshot__' in where -%}
        {%- set snapshot = published_snapshot() -%}
        {%- set where = none if snapshot is none else where | replace('__published_snapshot__', snapshot) -%}
    {%- endif -%}
    {%- if where -%}
        {%- do return('(select * from ' ~ relation ~ ' where ' ~ where ~ ') dbt_subquery') -%}
    {%- endif -%}
    {%- do return(relation) -%}
{%- endmacro %}

{#- The same filter for a singular test's SQL: `and snapshot_date = <the snapshot published>`, or nothing. -#}
{% macro and_published_snapshot(column) -%}
    {%- set snapshot = published_snapshot() -%}
    {%- if snapshot is not none %} and {{ column }} = {{ snapshot }}{% endif -%}
{%- endmacro %}

{#- The snapshot being published as a SQL date literal, or none when no snapshot date is set. -#}
{% macro published_snapshot() -%}
    {%- set day = snapshot_setting('snapshot_date', 'STRATIFY_SNAPSHOT_DATE') -%}
    {{ return(none if day is none else "cast('" ~ day ~ "' as date)") }}
{%- endmacro %}
