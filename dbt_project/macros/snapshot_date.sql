{#- The snapshot being built, as a SQL date literal. Fails at run time (not at parse) when unset,
    because a mart built without a snapshot date would silently mix periods. -#}
{% macro snapshot_date() -%}
    {%- set value = var('snapshot_date', none) -%}
    {%- if execute and value is none -%}
        {{ exceptions.raise_compiler_error("this model needs the snapshot date: --vars '{snapshot_date: YYYY-MM-DD}'") }}
    {%- endif -%}
    cast('{{ value }}' as date)
{%- endmacro %}

{#- Every snapshot this run builds, one row each (column snapshot_date): the partition's, plus the earlier
    dates in the optional var earlier_snapshots (a list of YYYY-MM-DD) that the segment stage trains on.
    One statement builds them all, so a fit's training snapshots cost one dbt invocation, not one each. -#}
{% macro snapshot_dates() -%}
    {%- set dates = [var('snapshot_date', none)] + (var('earlier_snapshots', none) or []) -%}
    {%- if execute and dates[0] is none -%}
        {{ exceptions.raise_compiler_error("this model needs the snapshot date: --vars '{snapshot_date: YYYY-MM-DD}'") }}
    {%- endif -%}
    {%- for day in dates | unique %}
    select cast('{{ day }}' as date) as snapshot_date{{ ' union all' if not loop.last }}
    {%- endfor %}
{%- endmacro %}
