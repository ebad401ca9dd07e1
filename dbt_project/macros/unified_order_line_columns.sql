{#- The column order of int_orders__unified's union: every channel CTE selects exactly these. -#}
{% macro unified_order_line_columns() -%}
    channel, order_id, line_number, customer_id_kind, customer_id, loyalty_id, store_id, country_code,
    ordered_at_utc, is_timezone_assumed, sku, category, quantity, unit_price, discount, currency_code, is_return,
    _loaded_at
{%- endmacro %}
