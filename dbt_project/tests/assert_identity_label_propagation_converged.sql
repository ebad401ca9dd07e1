-- Invariant: identity_rounds was enough; no id's component label changed in the last round.
{{ config(meta={'dagster': {'ref': {'name': 'int_customers__identity'}}}) }}
select * from {{ ref('int_customers__identity') }} where is_still_changing
