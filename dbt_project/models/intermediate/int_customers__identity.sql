-- Channel identities -> one customer_key. A channel id is linked to a loyalty member when the CRM
-- (email hash, app user id) or an order (a marketplace order carrying a loyalty id) says so; an id
-- nobody links stays a customer of its own. Each row keeps the evidence that made the link.
with

order_lines as (
    select * from {{ ref('int_orders__unified') }}
),

crm as (
    select * from {{ ref('stg_crm_customers__customers') }}
),

channel_ids as (
    select distinct customer_id_kind as id_kind, customer_id as id
    from order_lines
    where customer_id is not null
),

crm_by_email as (
    select email_hash, min(loyalty_id) as loyalty_id from crm where email_hash is not null group by email_hash
),

crm_by_app as (
    select app_user_id, min(loyalty_id) as loyalty_id from crm where app_user_id is not null group by app_user_id
),

marketplace_links as (
    select customer_id as buyer_id, min(loyalty_id) as loyalty_id
    from order_lines
    where customer_id_kind = 'marketplace_buyer_id' and loyalty_id is not null
    group by customer_id
),

linked as (
    select
        channel_ids.id_kind,
        channel_ids.id,
        case channel_ids.id_kind
            when 'loyalty_id' then channel_ids.id
            when 'email_hash' then crm_by_email.loyalty_id
            when 'app_user_id' then crm_by_app.loyalty_id
            when 'marketplace_buyer_id' then marketplace_links.loyalty_id
        end as loyalty_id,
        case channel_ids.id_kind
            when 'loyalty_id' then 'is loyalty id'
            when 'email_hash' then 'crm email'
            when 'app_user_id' then 'crm app user id'
            when 'marketplace_buyer_id' then 'marketplace order loyalty id'
        end as link_evidence
    from channel_ids
    left join crm_by_email on channel_ids.id_kind = 'email_hash' and channel_ids.id = crm_by_email.email_hash
    left join crm_by_app on channel_ids.id_kind = 'app_user_id' and channel_ids.id = crm_by_app.app_user_id
    left join marketplace_links
        on channel_ids.id_kind = 'marketplace_buyer_id' and channel_ids.id = marketplace_links.buyer_id
),

final as (
    select
        id_kind,
        id,
        loyalty_id,
        case when loyalty_id is null then null else link_evidence end as link_evidence,
        -- Opaque and stable: the same person gets the same key in every run.
        substr(md5(coalesce('loyalty_id:' || loyalty_id, id_kind || ':' || id)), 1, 20) as customer_key
    from linked
)

select * from final
