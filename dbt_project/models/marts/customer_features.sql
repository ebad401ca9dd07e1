{{
    config(
        materialized='incremental',
        incremental_strategy=customer_features_strategy(),
        unique_key='snapshot_date',
        on_schema_change='fail',
        pre_hook=["{{ insertion_order(false) }}", "{{ clear_snapshot_dates() }}"],
        post_hook="{{ insertion_order(true) }}",
    )
}}

{%- set channels = ['pos', 'ecommerce', 'app', 'marketplace', 'orders'] %}

with

order_totals as (
    select * from {{ ref('int_orders__daily_totals') }}
),

category_totals as (
    select * from {{ ref('int_orders__category_daily_totals') }}
),

-- In buckets (var customer_buckets > 1) this statement's share of the customers; every step below
-- follows from these ids.
identity as (
    select * from {{ ref('int_customers__identity') }}
    {{ customer_bucket_filter('customer_key') }}
),

crm_customers as (
    select * from {{ ref('stg_crm_customers__customers') }}
),

snapshot_dates as (
    {{ snapshot_dates() }}
),

snapshots as (
    select
        snapshot_date,
        {{ dbt.dateadd('day', -364, 'snapshot_date') }} as first_day,
        {{ dbt.dateadd('day', -89, 'snapshot_date') }} as first_day_90d
    from snapshot_dates
),

-- Point in time: only what happened on or before the snapshot date (each order's day once per snapshot it
-- precedes). Lines come added up per order and day (int_orders__daily_totals), so this joins orders.
known_order_days as (
    select
        snapshots.snapshot_date,
        identity.customer_key,
        order_totals.channel,
        order_totals.order_id,
        order_totals.ordered_at_utc,
        order_totals.order_date,
        order_totals.country_code,
        order_totals.line_count,
        order_totals.return_line_count,
        order_totals.net_amount_base,
        order_totals.gross_sale_amount_base,
        order_totals.sale_discount_base,
        order_totals.order_date >= snapshots.first_day as is_in_365d
    from order_totals
    inner join identity
        on order_totals.customer_id_kind = identity.id_kind and order_totals.customer_id = identity.id
    inner join snapshots on order_totals.order_date <= snapshots.snapshot_date
),

known_orders as (
    select
        snapshot_date,
        customer_key,
        channel,
        order_id,
        min(ordered_at_utc) as ordered_at_utc,
        min(order_date) as order_date,
        sum(net_amount_base) as order_net_base
    from known_order_days
    group by snapshot_date, customer_key, channel, order_id
),

per_customer as (
    select
        known_orders.snapshot_date,
        known_orders.customer_key,
        min(known_orders.order_date) as first_order_date,
        max(known_orders.order_date) as last_order_date,
        count(*) filter (where known_orders.order_date >= snapshots.first_day) as frequency_365d,
        coalesce(
            sum(known_orders.order_net_base) filter (where known_orders.order_date >= snapshots.first_day), 0
        ) as monetary_365d,
        count(*) filter (where known_orders.order_date >= snapshots.first_day_90d) as orders_90d,
        coalesce(
            sum(known_orders.order_net_base) filter (where known_orders.order_date >= snapshots.first_day_90d), 0
        ) as monetary_90d
    from known_orders
    inner join snapshots on known_orders.snapshot_date = snapshots.snapshot_date
    group by known_orders.snapshot_date, known_orders.customer_key
),

-- Gaps between distinct order days: two orders on one day are one shopping occasion, not a 0-day gap.
order_days as (
    select distinct snapshot_date, customer_key, order_date from known_orders
),

order_days_with_previous as (
    select
        snapshot_date,
        customer_key,
        order_date,
        lag(order_date) over (partition by snapshot_date, customer_key order by order_date) as previous_order_date
    from order_days
),

order_gaps as (
    select
        snapshot_date,
        customer_key,
        {{ dbt.datediff('previous_order_date', 'order_date', 'day') }} as days_since_previous
    from order_days_with_previous
    where previous_order_date is not null
),

gap_statistics as {{ materialized_cte() }} (
    select
        snapshot_date,
        customer_key,
        avg(days_since_previous) as mean_days_between_orders,
        {{ median('days_since_previous') }} as median_days_between_orders
    from order_gaps
    group by snapshot_date, customer_key
),

-- Gross spend (before discount) counts sale lines only, so its shares stay within 0..1 despite returns.
line_behaviour_365d as {{ materialized_cte() }} (
    select
        snapshot_date,
        customer_key,
        sum(line_count) as lines,
        sum(return_line_count) as return_lines,
        count(distinct channel) as distinct_channels,
        sum(gross_sale_amount_base) as gross_base,
        sum(sale_discount_base) as discount_base,
        {%- for channel in channels %}
        sum(case when channel = '{{ channel }}' then gross_sale_amount_base else 0 end)
            as gross_base_{{ channel }}{{ ',' if not loop.last }}
        {%- endfor %}
    from known_order_days
    where is_in_365d
    group by snapshot_date, customer_key
),

category_spend_365d as (
    select snapshots.snapshot_date, identity.customer_key, category_totals.category,
        sum(category_totals.net_amount_base) as net_base
    from category_totals
    inner join identity
        on category_totals.customer_id_kind = identity.id_kind and category_totals.customer_id = identity.id
    inner join snapshots
        on category_totals.order_date >= snapshots.first_day and category_totals.order_date <= snapshots.snapshot_date
    group by snapshots.snapshot_date, identity.customer_key, category_totals.category
),

-- Shares are of the categories bought on balance: a category with more returns than purchases in the
-- window (bought before it) would otherwise push the top share above 1.
ranked_categories as (
    select
        snapshot_date,
        customer_key,
        category,
        {{ share('net_base', 'sum(net_base) over (partition by snapshot_date, customer_key)') }} as spend_share,
        row_number() over (partition by snapshot_date, customer_key order by net_base desc, category) as spend_rank
    from category_spend_365d
    where net_base > 0
),

top_categories as {{ materialized_cte() }} (
    select snapshot_date, customer_key, category as top_category, spend_share as top_category_share
    from ranked_categories
    where spend_rank = 1
),

country_spend as (
    select snapshot_date, customer_key, country_code, sum(net_amount_base) as net_base
    from known_order_days
    where country_code is not null
    group by snapshot_date, customer_key, country_code
),

home_markets as {{ materialized_cte() }} (
    select snapshot_date, customer_key, country_code as home_market
    from (
        select
            snapshot_date,
            customer_key,
            country_code,
            row_number() over (
                partition by snapshot_date, customer_key order by net_base desc, country_code
            ) as spend_rank
        from country_spend
    ) as ranked_countries
    where spend_rank = 1
),

-- Orders placed at the same instant are ordered by channel name and order id, so the pick is reproducible.
first_and_last_channels as {{ materialized_cte() }} (
    select
        snapshot_date,
        customer_key,
        {{ value_at_min('channel', ['ordered_at_utc', 'channel', 'order_id']) }} as first_channel,
        {{ value_at_max('channel', ['ordered_at_utc', 'channel', 'order_id']) }} as last_channel
    from known_orders
    group by snapshot_date, customer_key
),

-- A customer_key carries at most one loyalty id; min() keeps that true if identity ever changes.
members as (
    select customer_key, min(loyalty_id) as loyalty_id
    from identity
    where loyalty_id is not null
    group by customer_key
),

member_profiles as (
    select
        members.customer_key,
        crm_customers.birth_year,
        crm_customers.gender,
        crm_customers.has_profiling_consent
    from members
    inner join crm_customers on members.loyalty_id = crm_customers.loyalty_id
),

per_customer_profiled as (
    select
        per_customer.*,
        extract(year from per_customer.snapshot_date) - member_profiles.birth_year as age_at_snapshot,
        member_profiles.gender,
        member_profiles.has_profiling_consent
    from per_customer
    left join member_profiles on per_customer.customer_key = member_profiles.customer_key
),

final as (
    select
        per_customer.customer_key,
        per_customer.snapshot_date,
        {{ dbt.datediff('per_customer.last_order_date', 'per_customer.snapshot_date', 'day') }} as recency_days,
        per_customer.frequency_365d,
        cast(per_customer.monetary_365d as {{ type_money() }}) as monetary_365d,
        {{ dbt.datediff('per_customer.first_order_date', 'per_customer.snapshot_date', 'day') }} as tenure_days,
        per_customer.first_order_date,
        per_customer.last_order_date,
        per_customer.orders_90d,
        cast(per_customer.monetary_90d as {{ type_money() }}) as monetary_90d,
        cast(
            per_customer.monetary_365d / nullif(per_customer.frequency_365d, 0) as {{ type_money() }}
        ) as avg_order_value_365d,
        gap_statistics.mean_days_between_orders,
        gap_statistics.median_days_between_orders,
        {{ share('line_behaviour_365d.return_lines', 'line_behaviour_365d.lines') }} as return_rate,
        {{ share('line_behaviour_365d.discount_base', 'line_behaviour_365d.gross_base') }} as discount_share,
        coalesce(line_behaviour_365d.distinct_channels, 0) as distinct_channels,
        {%- for channel in channels %}
        coalesce(
            {{ share('line_behaviour_365d.gross_base_' ~ channel, 'line_behaviour_365d.gross_base') }}, 0
        ) as spend_share_{{ channel }},
        {%- endfor %}
        top_categories.top_category,
        top_categories.top_category_share,
        first_and_last_channels.first_channel,
        first_and_last_channels.last_channel,
        home_markets.home_market,
        case
            when per_customer.age_at_snapshot is null then 'unknown'
            -- A birth year after the snapshot or more than 120 years before it is a typo, not an age.
            when per_customer.age_at_snapshot < 0 or per_customer.age_at_snapshot > 120 then 'unknown'
            when per_customer.age_at_snapshot < 25 then '<25'
            when per_customer.age_at_snapshot < 35 then '25-34'
            when per_customer.age_at_snapshot < 45 then '35-44'
            when per_customer.age_at_snapshot < 55 then '45-54'
            when per_customer.age_at_snapshot < 65 then '55-64'
            else '65+'
        end as age_band,
        case
            when per_customer.gender in ('F', 'M', 'X') then per_customer.gender
            else 'unknown'
        end as gender,
        coalesce(per_customer.has_profiling_consent, false) as has_profiling_consent
    from per_customer_profiled as per_customer
    {%- for side in ['gap_statistics', 'line_behaviour_365d', 'top_categories', 'home_markets',
                     'first_and_last_channels'] %}
    left join {{ side }}
        on per_customer.snapshot_date = {{ side }}.snapshot_date
        and per_customer.customer_key = {{ side }}.customer_key
    {%- endfor %}
)

select * from final
