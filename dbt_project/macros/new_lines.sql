{#- The rows of a staging model that an incremental int_orders__unified run must (re)convert: lines
    loaded since the last run, plus recent lines converted with a fallback FX rate, because the day's
    own rate often lands a day late. Older fallbacks (weekends, holidays) have no rate coming. -#}
{% macro new_lines(channel_model) -%}
    {%- if is_incremental() %}
    {%- set recent_fallbacks -%}
        order_id in (
           select order_id from {{ this }}
           where is_fx_fallback
             and order_date >= (
                 select {{ dbt.dateadd('day', -var('fx_revision_days', 7), 'max(order_date)') }} from {{ this }}
             )
       )
    {%- endset %}
    {{ lines_loaded_since(channel_model, '(select max(_loaded_at) from ' ~ this ~ ')', recent_fallbacks) }}
    {%- else %}
    {{ lines_loaded_since(channel_model, '') }}
    {%- endif %}
{%- endmacro %}
