{#- The segmentations the published tables break customers down by: columns of the customer tier history. -#}
{% macro published_segmentations() -%}
    {{ return(['tier', 'rfm_segment', 'value_tier', 'lifecycle_stage', 'cluster_name']) }}
{%- endmacro %}

{#- One row per customer, snapshot and segmentation (a portable unpivot). A customer who may not be profiled is
    in segment 'not profiled'; a profiled one whose model left the column empty in 'unassigned', so every
    customer of a snapshot is counted once in every segmentation. -#}
{% macro segment_memberships(relation) -%}
    {%- for segmentation in published_segmentations() %}
    select
        snapshot_date,
        customer_key,
        market,
        recency_days,
        frequency_365d,
        monetary_365d,
        '{{ segmentation }}' as segmentation,
        {{ segment_of(segmentation) }} as segment
    from {{ relation }}
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
{%- endmacro %}

{#- A published id that reveals nothing: a hash of a random number and the key, so it cannot be recomputed from
    the key (the warehouse's customer_key is a hash of a channel id). Kept in a mapping, never recomputed. -#}
{% macro random_published_key(key) -%}
    'cus_' || substr(md5(cast(random() as {{ dbt.type_string() }}) || {{ key }}), 1, 16)
{%- endmacro %}

{#- A customer's segment in one segmentation, as segment_memberships counts it; `alias` qualifies the columns. -#}
{% macro segment_of(segmentation, alias=none) -%}
    {%- set prefix = alias ~ '.' if alias else '' -%}
    case
        when not {{ prefix }}profiled then 'not profiled'
        else coalesce(cast({{ prefix }}{{ segmentation }} as {{ dbt.type_string() }}), 'unassigned')
    end
{%- endmacro %}
