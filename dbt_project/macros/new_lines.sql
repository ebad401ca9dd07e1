{#- The rows of a staging model that an incremental int_orders__unified run must (re)convert: lines
    loaded since the last run, plus recent lines converted with a fallback FX rate, because the day's
    own rate often lands a day late. Older fallbacks (weekends, holidays) have no rate coming. -#}
{% macro new_lines(channel_model) -%}
    select * from {{ ref(channel_model) }}
    {%- if is_incremental() %}
    where _loaded_at > (select coalesce(max(_loaded_at), cast('1900-01-01' as timestamp)) from {{ this }})
       or order_id in (
           select order_id from {{ this }}
           where is_fx_fallback
             and order_date >= (
                 select {{ dbt.dateadd('day', -var('fx_revision_days', 7), 'max(order_date)') }} from {{ this }}
             )
       )
    {%- endif %}
{%- endmacro %}
