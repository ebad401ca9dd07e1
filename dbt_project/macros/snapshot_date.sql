{#- The snapshot date var. Fails at run time (not at parse) when unset, because a mart built without a
    snapshot date would silently mix periods. `dbt docs generate` compiles every model but builds none, so
    there the compiled SQL shows a placeholder instead: documentation needs no snapshot. -#}
{% macro required_snapshot_date() -%}
    {%- set value = var('snapshot_date', none) -%}
    {%- if value is none and execute and flags.WHICH != 'generate' -%}
        {{ exceptions.raise_compiler_error("this model needs the snapshot date: --vars '{snapshot_date: YYYY-MM-DD}'") }}
    {%- endif -%}
    {{ return('YYYY-MM-DD' if value is none else value) }}
{%- endmacro %}

{#- The snapshot being built, as a SQL date literal. -#}
{% macro snapshot_date() -%}
    cast('{{ required_snapshot_date() }}' as date)
{%- endmacro %}

{#- Every snapshot this run builds, one row each (column snapshot_date): the partition's, plus the earlier
    dates in the optional var earlier_snapshots (a list of YYYY-MM-DD) that the segment stage trains on.
    One statement builds them all, so a fit's training snapshots cost one dbt invocation, not one each. -#}
{% macro snapshot_dates() -%}
    {%- set dates = [required_snapshot_date()] + (var('earlier_snapshots', none) or []) -%}
    {%- for day in dates | unique %}
    select cast('{{ day }}' as date) as snapshot_date{{ ' union all' if not loop.last }}
    {%- endfor %}
{%- endmacro %}
