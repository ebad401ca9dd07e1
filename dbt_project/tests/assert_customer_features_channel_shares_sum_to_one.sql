-- Invariant: a customer's channel spend shares sum to 1 when they spent in the 365 days, and are all 0 when not.
{{ config(meta={'dagster': {'ref': {'name': 'customer_features'}}}) }}
with

features as (
    select * from {{ ref('customer_features') }}
    where snapshot_date = {{ snapshot_date() }}
),

share_totals as (
    select
        customer_key,
        spend_share_pos + spend_share_ecommerce + spend_share_app + spend_share_marketplace + spend_share_orders
            as share_total,
        -- discount_share has the same denominator (gross spend), so it is null exactly when that spend is 0.
        discount_share is not null as has_sale_lines
    from features
),

final as (
    select *
    from share_totals
    where share_total is null
       or (has_sale_lines and abs(share_total - 1) > 0.000001)
       or (not has_sale_lines and share_total <> 0)
)

select * from final
