{#- The snapshot being built, as a SQL date literal. Fails at run time (not at parse) when unset,
    because a mart built without a snapshot date would silently mix periods. -#}
{% macro snapshot_date() -%}
    {%- set value = var('snapshot_date', none) -%}
    {%- if execute and value is none -%}
        {{ exceptions.raise_compiler_error("this model needs the snapshot date: --vars '{snapshot_date: YYYY-MM-DD}'") }}
    {%- endif -%}
    cast('{{ value }}' as date)
{%- endmacro %}
