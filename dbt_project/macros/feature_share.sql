{#- part / whole as a floating-point share, null when whole is 0: integer counts must not divide as
    integers (Postgres, Trino), and a customer without the denominator has no share rather than an error. -#}
{% macro share(part, whole) -%}
    {{ return(adapter.dispatch('share')(part, whole)) }}
{%- endmacro %}

{% macro default__share(part, whole) -%}
    cast({{ part }} as double) / nullif({{ whole }}, 0)
{%- endmacro %}
