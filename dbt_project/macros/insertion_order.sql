{#- Hooks around a model whose row order nobody relies on: let the engine write rows in any order.
    customer_features at 50M order lines: the query finishes within a 3 GB DuckDB limit, but writing its
    rows into a table while keeping their order ran out of memory (the process tree peaked at 4.1 GB).
    The same statement with `preserve_insertion_order = false` wrote in 61 s within the limit. Readers of
    the model sort by key or are order-independent. Engines without the setting get no statement. -#}
{% macro relax_insertion_order() -%}
    {{ return(adapter.dispatch('relax_insertion_order')()) }}
{%- endmacro %}

{% macro default__relax_insertion_order() -%}
    select 1 where 1 = 0
{%- endmacro %}

{% macro duckdb__relax_insertion_order() -%}
    set preserve_insertion_order = false
{%- endmacro %}

{% macro restore_insertion_order() -%}
    {{ return(adapter.dispatch('restore_insertion_order')()) }}
{%- endmacro %}

{% macro default__restore_insertion_order() -%}
    select 1 where 1 = 0
{%- endmacro %}

{% macro duckdb__restore_insertion_order() -%}
    reset preserve_insertion_order
{%- endmacro %}
