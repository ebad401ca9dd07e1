{#- Money columns: exact decimals to the hundredth of a cent, on every engine (no float drift in totals). -#}
{% macro type_money() -%}
    decimal(18, 4)
{%- endmacro %}
