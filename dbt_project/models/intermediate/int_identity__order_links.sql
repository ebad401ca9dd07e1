{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail',
    )
}}

-- The links order lines carry (an app account's email, a marketplace buyer's loyalty number, delivery phones),
-- each once, kept from run to run. Raw only grows (ingestion quarantines a re-sent line rather than loading
-- it again), so the links of the lines loaded since the last run, less those already here, are all a rebuild
-- would add: reading every order line for them took 1.4-2.8 s of each daily run at 10M lines.
{%- set since %}
    {%- if is_incremental() %}(select max(_lines_loaded_until) from {{ this }}){% endif %}
{%- endset %}

with

app as (
    {{ lines_loaded_since('stg_app__order_lines', since) }}
),

ecommerce as (
    {{ lines_loaded_since('stg_ecommerce__order_lines', since) }}
),

marketplace as (
    {{ lines_loaded_since('stg_marketplace__order_lines', since) }}
),

order_links as (
    select distinct 'app_user_id' as from_kind, customer_id as from_id, 'email_hash' as to_kind,
        account_email_hash as to_id, 'app order: account email' as evidence
    from app where customer_id is not null and account_email_hash is not null
    union all
    select distinct 'marketplace_buyer_id', customer_id, 'loyalty_id', loyalty_id, 'marketplace order: loyalty id'
    from marketplace where customer_id is not null and loyalty_id is not null
    union all
    -- A delivery phone is the only evidence that reaches a buyer who is not a loyalty member.
    select distinct 'email_hash', customer_id, 'phone_hash', delivery_phone_hash, 'web order: delivery phone'
    from ecommerce where customer_id is not null and delivery_phone_hash is not null
    union all
    select distinct 'marketplace_buyer_id', customer_id, 'phone_hash', delivery_phone_hash,
        'marketplace order: delivery phone'
    from marketplace where customer_id is not null and delivery_phone_hash is not null
),

-- Up to when lines were read, kept on the links this run adds: the next run reads lines loaded after the
-- latest. A run that adds no link leaves it where it was, so the next one reads those lines again (the
-- anti-join below keeps every link once); with new customers every day that is rare.
read_until as (
    select max(_loaded_at) as loaded_until from (
        select max(_loaded_at) as _loaded_at from app
        union all
        select max(_loaded_at) from ecommerce
        union all
        select max(_loaded_at) from marketplace
    ) as channels
),

new_links as (
    select * from order_links
    {%- if is_incremental() %}
    where not exists (
        select 1 from {{ this }} as kept
        where kept.from_kind = order_links.from_kind and kept.from_id = order_links.from_id
            and kept.to_kind = order_links.to_kind and kept.to_id = order_links.to_id
            and kept.evidence = order_links.evidence
    )
    {%- endif %}
)

select
    new_links.*,
    read_until.loaded_until as _lines_loaded_until,
    {{ dbt.current_timestamp() }} as _added_at
from new_links
cross join read_until
