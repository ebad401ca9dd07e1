{#- Each line with the FX rate of its order day, or the latest earlier one: `<lines>.*, rate_date,
    rate_to_base`. DuckDB does this as an ASOF join; other engines use a correlated lookup of the
    latest rate date (portable, slower). -#}
{% macro join_latest_rate_on_or_before(lines, rates) -%}
    {{ return(adapter.dispatch('join_latest_rate_on_or_before')(lines, rates)) }}
{%- endmacro %}

{% macro default__join_latest_rate_on_or_before(lines, rates) -%}
    select {{ lines }}.*, {{ rates }}.rate_date, {{ rates }}.rate_to_base
    from {{ lines }}
    left join {{ rates }}
        on {{ lines }}.currency_code = {{ rates }}.currency_code
        and {{ rates }}.rate_date = (
            select max(r.rate_date) from {{ rates }} as r
            where r.currency_code = {{ lines }}.currency_code and r.rate_date <= {{ lines }}.order_date
        )
{%- endmacro %}

{% macro duckdb__join_latest_rate_on_or_before(lines, rates) -%}
    select {{ lines }}.*, {{ rates }}.rate_date, {{ rates }}.rate_to_base
    from {{ lines }}
    asof left join {{ rates }}
        on {{ lines }}.currency_code = {{ rates }}.currency_code
        and {{ lines }}.order_date >= {{ rates }}.rate_date
{%- endmacro %}
