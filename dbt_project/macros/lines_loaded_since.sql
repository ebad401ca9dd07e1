{#- The rows of a staging model loaded after `since` (a SQL expression; every row when it is empty or null).
    Raw tables are appended in load order, so DuckDB skips the row groups loaded before it. -#}
{% macro lines_loaded_since(model, since) -%}
    select * from {{ ref(model) }}
    {%- if since | trim %}
    where _loaded_at > coalesce({{ since }}, cast('1900-01-01' as timestamp))
    {%- endif %}
{%- endmacro %}
