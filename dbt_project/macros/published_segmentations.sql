{#- The segmentations the published tables break customers down by: columns of the customer tier history. -#}
{% macro published_segmentations() -%}
    {{ return(['tier', 'rfm_segment', 'value_tier', 'lifecycle_stage', 'cluster_name']) }}
{%- endmacro %}

{#- The segmentations as rows (column `segmentation`): a cross join with them unpivots a relation that is read
    once. A union of one select per segmentation reads it five times, and DuckDB then materializes it whole
    before any filter: a published snapshot's tests on segment_summary read every snapshot's customers (0.83 s
    each at 24 snapshots of 300k customers, against 0.13 s read once and filtered; issue #10). -#}
{% macro published_segmentation_rows() -%}
    select segmentation from (values
    {%- for segmentation in published_segmentations() %}
        ('{{ segmentation }}'){{ ',' if not loop.last }}
    {%- endfor %}
    ) as segmentations (segmentation)
{%- endmacro %}

{#- The value of the segmentation named in `name_column` among per-segmentation expressions: `values` maps each
    segmentation to its expression (by default the customer's segment in it, see segment_of). -#}
{% macro pick_segmentation(name_column, values=none) -%}
    case {{ name_column }}
    {%- for segmentation in published_segmentations() %}
        when '{{ segmentation }}' then {{ values[segmentation] if values else segment_of(segmentation) }}
    {%- endfor %}
    end
{%- endmacro %}

{#- A published id that reveals nothing: a hash of a random number and the key, so it cannot be recomputed from
    the key (the warehouse's customer_key is a hash of a channel id). Kept in a mapping, never recomputed. -#}
{% macro random_published_key(key) -%}
    'cus_' || substr(md5(cast(random() as {{ dbt.type_string() }}) || {{ key }}), 1, 16)
{%- endmacro %}

{#- A customer's segment in one segmentation. A customer who may not be profiled is in segment 'not profiled'; a
    profiled one whose model left the column empty in 'unassigned', so every customer of a snapshot is counted
    once in every segmentation. `alias` qualifies the columns. -#}
{% macro segment_of(segmentation, alias=none) -%}
    {%- set prefix = alias ~ '.' if alias else '' -%}
    case
        when not {{ prefix }}profiled then 'not profiled'
        else coalesce(cast({{ prefix }}{{ segmentation }} as {{ dbt.type_string() }}), 'unassigned')
    end
{%- endmacro %}
