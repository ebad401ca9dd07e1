{#- A local wall-clock timestamp in an IANA time zone -> UTC timestamp. DuckDB-only syntax lives here
    so other engines need only this macro rewritten (dispatch). -#}
{% macro to_utc(local_ts, tz) -%}
    {{ return(adapter.dispatch('to_utc')(local_ts, tz)) }}
{%- endmacro %}

{% macro default__to_utc(local_ts, tz) -%}
    cast(timezone('UTC', timezone({{ tz }}, {{ local_ts }})) as timestamp)
{%- endmacro %}

{#- A timestamp with time zone -> plain UTC timestamp. -#}
{% macro utc_timestamp(ts) -%}
    cast(timezone('UTC', {{ ts }}) as timestamp)
{%- endmacro %}
