{#- The median of a numeric expression, as an aggregate. The default is the SQL-standard ordered-set
    aggregate, which DuckDB, Postgres, Snowflake, Redshift and Spark 3.3+ accept; an engine without it
    (BigQuery, Trino) needs only this macro overridden (e.g. trino__median with approx_percentile). -#}
{% macro median(expression) -%}
    {{ return(adapter.dispatch('median')(expression)) }}
{%- endmacro %}

{% macro default__median(expression) -%}
    percentile_cont(0.5) within group (order by {{ expression }})
{%- endmacro %}
