{#- Use a folder's custom schema as is (staging, intermediate, marts) rather than dbt's default
    "<target>_<custom>" so that the DuckDB schema.table is the Dagster asset key. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}{{ target.schema }}{%- else -%}{{ custom_schema_name | trim }}{%- endif -%}
{%- endmacro %}
