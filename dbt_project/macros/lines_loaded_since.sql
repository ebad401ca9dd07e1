{#- The rows of a staging model loaded after `since` (a SQL expression; every row when it is empty or null),
    and those `or_also` (a SQL condition) names. Raw tables are appended in load order, so DuckDB skips the
    row groups loaded before it. The incremental models' one watermark test (new_lines, the order links). -#}
{% macro lines_loaded_since(model, since, or_also='') -%}
    select * from {{ ref(model) }}
    {%- if since | trim %}
    where _loaded_at > coalesce({{ since }}, cast('1900-01-01' as timestamp))
    {%- if or_also | trim %}
       or {{ or_also }}
    {%- endif %}
    {%- endif %}
{%- endmacro %}
