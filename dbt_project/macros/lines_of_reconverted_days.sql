{#- The customer lines (customer id known) of int_orders__unified that a model adding them up by day must
    (re)read: every line on a first build; on an incremental run, all lines of the days that
    int_orders__unified (re)converted since this model's last run (its max _converted_at), so each such day
    is rebuilt whole and a re-converted line never counts twice. The model uses unique_key='order_date'. -#}
{% macro lines_of_reconverted_days() -%}
    select * from {{ ref('int_orders__unified') }}
    where customer_id is not null
    {%- if is_incremental() %}
      and order_date in (
          select distinct order_date from {{ ref('int_orders__unified') }}
          where _converted_at > (
              select coalesce(max(_converted_at), cast('1900-01-01' as timestamp)) from {{ this }}
          )
      )
    {%- endif %}
{%- endmacro %}
