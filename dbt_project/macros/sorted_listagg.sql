{#- A group's values joined by `separator`, in sorted order. dbt's listagg with an
    order by is portable, but DuckDB sorts within each group for it: over 932k identities of two
    evidence strings each that aggregate took 1.3 s, against 0.5 s to list, sort and join. -#}
{% macro sorted_listagg(expression, separator) -%}
    {{ return(adapter.dispatch('sorted_listagg')(expression, separator)) }}
{%- endmacro %}

{% macro default__sorted_listagg(expression, separator) -%}
    {{ dbt.listagg(expression, separator, "order by " ~ expression) }}
{%- endmacro %}

{% macro duckdb__sorted_listagg(expression, separator) -%}
    array_to_string(list_sort(list({{ expression }})), {{ separator }})
{%- endmacro %}
