{#- customer_features in several statements, each for a share of the customers: the var customer_buckets
    or STRATIFY_CUSTOMER_BUCKETS (how many shares, default 1: one statement) and customer_bucket or
    STRATIFY_CUSTOMER_BUCKET (this statement's share, 0-based; see snapshot_setting). The number of shares
    is read at parse time too (it sets the model's incremental strategy), so every dbt run exports it
    (StratifyResource.export_dbt_env): unchanged, it makes dbt re-parse nothing.
    Every per-customer step of the model holds 1/customer_buckets of the rows, so memory falls with it: at
    50M order lines one snapshot date ran out of a 3 GB DuckDB limit in one statement (medians, distinct
    counts and the CTEs several steps read are held in memory) and took 2 x 16 s in halves.
    Bucket 0 clears the dates it builds, later buckets append to them (see clear_snapshot_dates). -#}
{% macro customer_buckets() -%}
    {{ return(snapshot_setting('customer_buckets', 'STRATIFY_CUSTOMER_BUCKETS', 1, at_parse=true) | int) }}
{%- endmacro %}

{% macro customer_bucket() -%}
    {{ return(snapshot_setting('customer_bucket', 'STRATIFY_CUSTOMER_BUCKET', 0) | int) }}
{%- endmacro %}

{#- A where clause keeping this statement's customers; nothing when there is one bucket. -#}
{% macro customer_bucket_filter(column) -%}
    {%- if customer_buckets() > 1 -%}
    where {{ adapter.dispatch('customer_bucket_of')(column, customer_buckets()) }} = {{ customer_bucket() }}
    {%- endif -%}
{%- endmacro %}

{% macro default__customer_bucket_of(column, buckets) -%}
    {{ exceptions.raise_compiler_error("snapshots.customer_buckets > 1 needs a hash function for this engine") }}
{%- endmacro %}

{% macro duckdb__customer_bucket_of(column, buckets) -%}
    hash({{ column }}) % {{ buckets }}
{%- endmacro %}

{% macro spark__customer_bucket_of(column, buckets) -%}
    pmod(hash({{ column }}), {{ buckets }})
{%- endmacro %}

{% macro trino__customer_bucket_of(column, buckets) -%}
    mod(abs(from_big_endian_64(xxhash64(to_utf8({{ column }})))), {{ buckets }})
{%- endmacro %}

{#- How the model writes: one statement replaces its dates (delete+insert); in buckets every statement
    appends, and the first one's pre-hook clears the dates first. Deleting in the first bucket's own
    delete+insert would miss a date that bucket happens to have no customers for. -#}
{% macro customer_features_strategy() -%}
    {{ return('delete+insert' if customer_buckets() == 1 else 'append') }}
{%- endmacro %}

{% macro clear_snapshot_dates() -%}
    {%- set existing = adapter.get_relation(database=this.database, schema=this.schema, identifier=this.identifier) -%}
    {%- if customer_buckets() > 1 and customer_bucket() == 0 and existing is not none -%}
    delete from {{ this }} where snapshot_date in (
        {%- for day in ([required_snapshot_date()] + earlier_snapshot_dates()) | unique -%}
        cast('{{ day }}' as date){{ ', ' if not loop.last }}
        {%- endfor -%}
    )
    {%- else -%}
    select 1 where 1 = 0
    {%- endif -%}
{%- endmacro %}
