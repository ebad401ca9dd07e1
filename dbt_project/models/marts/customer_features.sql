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
        cast({{ dbt.dateadd('day', -364, 'snapshot_date') }} as date) as first_day,
        cast({{ dbt.dateadd('day', -89, 'snapshot_date') }} as date) as first_day_90d
    from snapshot_dates
),

-- Each customer's order days up to the latest snapshot, once; every snapshot below reads these. Lines come
-- added up per order and day (int_orders__daily_totals), so this joins orders, not lines.
customer_order_days as {{ materialized_cte() }} (
    select
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
        order_totals.sale_discount_base
    from order_totals
    inner join identity
        on order_totals.customer_id_kind = identity.id_kind and order_totals.customer_id = identity.id
    where order_totals.order_date <= (select max(snapshot_date) from snapshots)
),

-- Each order once, the same at every snapshot it precedes: an order is known from its first day on, and its
-- first time falls on that day (order_date is the UTC date of ordered_at_utc), so only its net can differ
-- between snapshots, when lines were added on a later day (a return under the same order id). Adding each
-- order up once instead of once per snapshot (with what follows from it below) took a five-date statement at
-- 10M order lines from 28-31 s to 20-23 s (issue #10).
orders as {{ materialized_cte() }} (
    select
        customer_key,
        channel,
        order_id,
        min(ordered_at_utc) as ordered_at_utc,
        min(order_date) as order_date,
        max(order_date) as last_line_date,
        sum(net_amount_base) as order_net_base
    from customer_order_days
    group by customer_key, channel, order_id
),

-- Orders with lines on more than one day (a return under the sale's order id): their net depends on the
-- snapshot. Rare, so only these are added up per snapshot.
multi_day_orders as (
    select customer_key, channel, order_id, order_date, last_line_date
    from orders
    where order_date < last_line_date
),

-- Point in time: each order once per snapshot on or after its first day, with the net of its lines up to the
-- snapshot (all of them unless some came on a later day).
known_orders as (
    select
        snapshots.snapshot_date,
        snapshots.first_day,
        snapshots.first_day_90d,
        orders.customer_key,
        orders.order_date,
        orders.order_net_base
    from orders
    inner join snapshots on orders.last_line_date <= snapshots.snapshot_date
    union all
    select
        snapshots.snapshot_date,
        snapshots.first_day,
        snapshots.first_day_90d,
        multi_day_orders.customer_key,
        multi_day_orders.order_date,
        sum(order_days.net_amount_base) as order_net_base
    from multi_day_orders
    inner join customer_order_days as order_days
        on multi_day_orders.customer_key = order_days.customer_key
        and multi_day_orders.channel = order_days.channel
        and multi_day_orders.order_id = order_days.order_id
    inner join snapshots
        on multi_day_orders.order_date <= snapshots.snapshot_date
        and multi_day_orders.last_line_date > snapshots.snapshot_date
        and order_days.order_date <= snapshots.snapshot_date
    group by
        snapshots.snapshot_date, snapshots.first_day, snapshots.first_day_90d, multi_day_orders.customer_key,
        multi_day_orders.channel, multi_day_orders.order_id, multi_day_orders.order_date
),

per_customer as {{ materialized_cte() }} (
    select
        snapshot_date,
        customer_key,
        min(order_date) as first_order_date,
        max(order_date) as last_order_date,
        count(*) filter (where order_date >= first_day) as frequency_365d,
        coalesce(sum(order_net_base) filter (where order_date >= first_day), 0) as monetary_365d,
        count(*) filter (where order_date >= first_day_90d) as orders_90d,
        coalesce(sum(order_net_base) filter (where order_date >= first_day_90d), 0) as monetary_90d
    from known_orders
    group by snapshot_date, customer_key
),

-- Orders placed at the same instant are ordered by channel name and order id, so the pick is reproducible.
-- A customer's first order is the same at every snapshot; the last one up to a snapshot is one of the orders
-- of its last order day (order_date follows ordered_at_utc), so only those days' orders are compared.
first_channels as (
    select customer_key, {{ value_at_min('channel', ['ordered_at_utc', 'channel', 'order_id']) }} as first_channel
    from orders
    group by customer_key
),

last_order_days as (
    select distinct customer_key, last_order_date from per_customer
),

last_channels as (
    select
        orders.customer_key,
        orders.order_date as last_order_date,
        {{ value_at_max('channel', ['orders.ordered_at_utc', 'orders.channel', 'orders.order_id']) }} as last_channel
    from orders
    inner join last_order_days
        on orders.customer_key = last_order_days.customer_key
        and orders.order_date = last_order_days.last_order_date
    group by orders.customer_key, orders.order_date
),

-- Gaps between distinct order days: two orders on one day are one shopping occasion, not a 0-day gap. The
-- gaps known at a snapshot are those ending on or before it, so each is computed once.
order_days_with_previous as (
    select
        customer_key,
        order_date,
        lag(order_date) over (partition by customer_key order by order_date) as previous_order_date
    from (select distinct customer_key, order_date from orders) as order_days
),

order_gaps as (
    select
        customer_key,
        order_date,
        {{ dbt.datediff('previous_order_date', 'order_date', 'day') }} as days_since_previous
    from order_days_with_previous
    where previous_order_date is not null
),

-- The median is the middle gap (or the mean of the two middle ones) by rank: the same value as the
-- percentile_cont(0.5) aggregate, in plain SQL every engine runs, and sorted in a window, which spills to
-- disk, instead of every snapshot's gap lists held in memory by the aggregate (at 10M order lines, five
-- dates in one statement spilled 2-5 GB with it against a 4 GB DuckDB limit and the statement ran 25-41 s,
-- 21 s this way).
known_gaps as (
    select
        snapshots.snapshot_date,
        order_gaps.customer_key,
        order_gaps.days_since_previous,
        row_number() over (
            partition by snapshots.snapshot_date, order_gaps.customer_key order by order_gaps.days_since_previous
        ) as gap_rank,
        count(*) over (partition by snapshots.snapshot_date, order_gaps.customer_key) as gaps
    from order_gaps
    inner join snapshots on order_gaps.order_date <= snapshots.snapshot_date
),

gap_statistics as {{ materialized_cte() }} (
    select
        snapshot_date,
        customer_key,
        avg(days_since_previous) as mean_days_between_orders,
        avg(days_since_previous) filter (
            where gap_rank in (floor((gaps + 1) / 2), floor((gaps + 2) / 2))
        ) as median_days_between_orders
    from known_gaps
    group by snapshot_date, customer_key
),

-- Gross spend (before discount) counts sale lines only, so its shares stay within 0..1 despite returns.
line_behaviour_365d as {{ materialized_cte() }} (
    select
        snapshots.snapshot_date,
        order_days.customer_key,
        sum(order_days.line_count) as lines,
        sum(order_days.return_line_count) as return_lines,
        count(distinct order_days.channel) as distinct_channels,
        sum(order_days.gross_sale_amount_base) as gross_base,
        sum(order_days.sale_discount_base) as discount_base,
        {%- for channel in channels %}
        sum(case when order_days.channel = '{{ channel }}' then order_days.gross_sale_amount_base else 0 end)
            as gross_base_{{ channel }}{{ ',' if not loop.last }}
        {%- endfor %}
    from customer_order_days as order_days
    inner join snapshots
        on order_days.order_date >= snapshots.first_day and order_days.order_date <= snapshots.snapshot_date
    group by snapshots.snapshot_date, order_days.customer_key
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
-- window (bought before it) would otherwise push the top share above 1. Equal spend goes to the category
-- first by name.
top_categories as {{ materialized_cte() }} (
    select
        snapshot_date,
        customer_key,
        {{ value_at_min('category', ['-net_base', 'category']) }} as top_category,
        {{ share('max(net_base)', 'sum(net_base)') }} as top_category_share
    from category_spend_365d
    where net_base > 0
    group by snapshot_date, customer_key
),

-- Most customers buy in one country only: from their first order there, it is their home market at every
-- snapshot, with nothing to add up. Spend per country is ranked per snapshot for the others only.
customer_countries as (
    select customer_key, count(distinct country_code) as countries, min(country_code) as country_code,
        min(order_date) as first_order_date
    from customer_order_days
    where country_code is not null
    group by customer_key
),

country_spend as (
    select snapshots.snapshot_date, order_days.customer_key, order_days.country_code,
        sum(order_days.net_amount_base) as net_base
    from customer_order_days as order_days
    inner join customer_countries
        on order_days.customer_key = customer_countries.customer_key and customer_countries.countries > 1
    inner join snapshots on order_days.order_date <= snapshots.snapshot_date
    where order_days.country_code is not null
    group by snapshots.snapshot_date, order_days.customer_key, order_days.country_code
),

home_markets as {{ materialized_cte() }} (
    select snapshots.snapshot_date, customer_countries.customer_key, customer_countries.country_code as home_market
    from customer_countries
    inner join snapshots on customer_countries.first_order_date <= snapshots.snapshot_date
    where customer_countries.countries = 1
    union all
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
        first_channels.first_channel,
        last_channels.last_channel,
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
    {%- for side in ['gap_statistics', 'line_behaviour_365d', 'top_categories', 'home_markets'] %}
    left join {{ side }}
        on per_customer.snapshot_date = {{ side }}.snapshot_date
        and per_customer.customer_key = {{ side }}.customer_key
    {%- endfor %}
    left join first_channels on per_customer.customer_key = first_channels.customer_key
    left join last_channels
        on per_customer.customer_key = last_channels.customer_key
        and per_customer.last_order_date = last_channels.last_order_date
)

select * from final
