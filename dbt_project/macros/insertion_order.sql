{#- Hook around a model whose row order nobody relies on: `insertion_order(false)` before it lets the
    engine write rows in any order, `insertion_order(true)` after it restores the default.
    customer_features at 50M order lines: the query finished within a 3 GB DuckDB limit, but writing its
    rows while keeping their order ran out of memory (the process tree peaked at 4.1 GB). Readers of the
    model sort by key or are order-independent. Engines without the setting get no statement. -#}
{% macro insertion_order(preserve) -%}
    {{ return(adapter.dispatch('insertion_order')(preserve)) }}
{%- endmacro %}

{% macro default__insertion_order(preserve) -%}
    select 1 where 1 = 0
{%- endmacro %}

{% macro duckdb__insertion_order(preserve) -%}
    {{ 'reset preserve_insertion_order' if preserve else 'set preserve_insertion_order = false' }}
{%- endmacro %}
