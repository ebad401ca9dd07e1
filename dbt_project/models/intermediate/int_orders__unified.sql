with

pos as (
    select * from {{ ref('stg_pos__order_lines') }}
),

ecommerce as (
    select * from {{ ref('stg_ecommerce__order_lines') }}
),

unioned as (
    select * from pos
    union all
    select * from ecommerce
),

final as (
    select
        channel,
        order_id,
        line_number,
        customer_id as customer_key,
        ordered_at,
        order_date,
        sku,
        quantity,
        unit_price,
        cast(quantity * unit_price as {{ type_money() }}) as net_amount_base
    from unioned
)

select * from final
