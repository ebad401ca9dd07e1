{#- The columns every order-line source shares, cleaned the same way in each staging model. -#}
{% macro order_line_columns() -%}
        trim(order_id) as order_id,
        line_number,
        nullif(upper(trim(sku)), '') as sku,
        coalesce(nullif(lower(trim(category)), ''), 'unknown') as category,
        -- Quantities are negative for returns: a line flagged as a return with a positive quantity (exports
        -- that give the returned units) is turned round, so its amount is taken off the customer's spend.
        case when is_return and quantity > 0 then -quantity else quantity end as quantity,
        unit_price,
        coalesce(discount, 0) as discount,
        upper(trim(currency)) as currency_code,
        coalesce(is_return, quantity < 0) as is_return,
        _loaded_at
{%- endmacro %}

{#- Keep one row per key: a row re-sent in a later file replaces the earlier one. QUALIFY runs on DuckDB,
    Snowflake, Databricks and BigQuery; an engine without it needs a variant of this macro. -#}
{% macro latest_per_key(key_columns) -%}
    qualify row_number() over (partition by {{ key_columns | join(', ') }} order by _loaded_at desc) = 1
{%- endmacro %}
