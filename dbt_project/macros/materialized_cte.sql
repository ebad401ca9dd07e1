{#- `name as {{ materialized_cte() }} (...)`: compute a CTE on its own before the query that joins it.
    customer_features joins five per-customer aggregates; planned as one pipeline, their hash tables and
    holistic aggregates (medians, windows) are all held at once, and at 50M order lines one snapshot date
    ran out of a 3 GB DuckDB limit. Materialized one by one, the same date finished in 57 s within it, and
    10M lines took no longer. Engines without the keyword get a plain CTE. -#}
{% macro materialized_cte() -%}
    {{ return(adapter.dispatch('materialized_cte')()) }}
{%- endmacro %}

{% macro default__materialized_cte() -%}
{%- endmacro %}

{% macro duckdb__materialized_cte() -%}
    materialized
{%- endmacro %}
