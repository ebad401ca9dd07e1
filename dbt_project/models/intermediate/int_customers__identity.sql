-- Channel identities -> one customer_key: the connected components of the identity links, found by
-- label propagation (each id takes the smallest label among itself and its neighbours, repeated).
-- Plain joins and group-bys only, so it runs on any engine; a singular test proves it converged.
{%- set rounds = var('identity_rounds', 6) %}

with

order_lines as (
    select * from {{ ref('int_orders__unified') }}
),

crm as (
    select * from {{ ref('stg_crm_customers__customers') }}
),

links as (
    select * from {{ ref('int_identity__links') }}
    where not is_through_hub
),

nodes as (
    select distinct customer_id_kind as id_kind, customer_id as id from order_lines where customer_id is not null
    union
    select 'loyalty_id', loyalty_id from crm
    union
    select from_kind, from_id from links
    union
    select to_kind, to_id from links
),

edges as (
    select from_kind || ':' || from_id as a, to_kind || ':' || to_id as b from links
    union
    select to_kind || ':' || to_id, from_kind || ':' || from_id from links
),

named_nodes as (
    select id_kind, id, id_kind || ':' || id as node from nodes
),

label_0 as (
    select node, node as label from named_nodes
),
{% for i in range(1, rounds + 1) %}
label_{{ i }} as (
    select l.node, least(l.label, coalesce(min(n.label), l.label)) as label
    from label_{{ i - 1 }} as l
    left join edges as e on e.a = l.node
    left join label_{{ i - 1 }} as n on n.node = e.b
    group by l.node, l.label
),
{% endfor %}

components as (
    select
        label_{{ rounds }}.node,
        label_{{ rounds }}.label,
        label_{{ rounds }}.label <> label_{{ rounds - 1 }}.label as is_still_changing
    from label_{{ rounds }}
    inner join label_{{ rounds - 1 }} on label_{{ rounds }}.node = label_{{ rounds - 1 }}.node
),

-- A component's stable name: its smallest loyalty id when it has one, else its smallest id.
component_names as (
    select
        label,
        coalesce(min(case when node like 'loyalty_id:%' then node end), min(node)) as name,
        min(case when node like 'loyalty_id:%' then substr(node, 12) end) as loyalty_id,
        count(*) as identities
    from components
    group by label
),

link_ends as (
    select distinct from_kind || ':' || from_id as node, evidence from links
    union
    select distinct to_kind || ':' || to_id, evidence from links
),

evidence as (
    select node, {{ dbt.listagg('evidence', "'; '", "order by evidence") }} as link_evidence
    from link_ends
    group by node
),

final as (
    select
        named_nodes.id_kind,
        named_nodes.id,
        component_names.loyalty_id,
        evidence.link_evidence,
        component_names.identities as identities_in_customer,
        components.is_still_changing,
        substr(md5(component_names.name), 1, 20) as customer_key
    from components
    inner join named_nodes on components.node = named_nodes.node
    inner join component_names on components.label = component_names.label
    left join evidence on components.node = evidence.node
)

select * from final
