{#- A setting of one snapshot build: the dbt var `name` when given (`--vars`, by hand), else the environment
    variable `env` (how Stratify passes it), else `default`. Stratify uses the environment because dbt
    re-parses the whole project whenever --vars change (3.3 s of a 6.4 s dbt run on the demo, in every
    partition). The variable is read only when dbt runs a node (`execute`), not while parsing: dbt also
    re-parses every file that read an environment variable whose value changed since the last parse (1 s
    more for each dbt run). A setting a model's config needs at parse time passes at_parse=true. -#}
{% macro snapshot_setting(name, env, default=none, at_parse=false) -%}
    {%- set value = var(name, none) -%}
    {%- if value is none and (execute or at_parse) -%}
        {%- set value = env_var(env, '') -%}
    {%- endif -%}
    {{ return(default if value is none or value == '' else value) }}
{%- endmacro %}

{#- The snapshot date (var snapshot_date or STRATIFY_SNAPSHOT_DATE). Fails at run time (not at parse) when
    unset, because a mart built without a snapshot date would silently mix periods. `dbt docs generate`
    compiles every model but builds none, so there the compiled SQL shows a placeholder instead:
    documentation needs no snapshot. -#}
{% macro required_snapshot_date() -%}
    {%- set value = snapshot_setting('snapshot_date', 'STRATIFY_SNAPSHOT_DATE') -%}
    {%- if value is none and execute and flags.WHICH != 'generate' -%}
        {{ exceptions.raise_compiler_error("this model needs the snapshot date: --vars '{snapshot_date: YYYY-MM-DD}' or STRATIFY_SNAPSHOT_DATE=YYYY-MM-DD") }}
    {%- endif -%}
    {{ return('YYYY-MM-DD' if value is none else value) }}
{%- endmacro %}

{#- The snapshot being built, as a SQL date literal. -#}
{% macro snapshot_date() -%}
    cast('{{ required_snapshot_date() }}' as date)
{%- endmacro %}

{#- The earlier dates this run also builds (the segment stage trains on them): the var earlier_snapshots (a
    list of YYYY-MM-DD) or STRATIFY_EARLIER_SNAPSHOTS (comma-separated); none when neither is set. -#}
{% macro earlier_snapshot_dates() -%}
    {%- set value = snapshot_setting('earlier_snapshots', 'STRATIFY_EARLIER_SNAPSHOTS', []) -%}
    {%- if value is string -%}
        {%- set value = value.split(',') | map('trim') | reject('equalto', '') | list -%}
    {%- endif -%}
    {{ return(value) }}
{%- endmacro %}

{#- Every snapshot this run builds, one row each (column snapshot_date): the partition's, plus the earlier
    dates (earlier_snapshot_dates). One statement builds them all, so a fit's training snapshots cost one
    dbt invocation, not one each. -#}
{% macro snapshot_dates() -%}
    {%- set dates = [required_snapshot_date()] + earlier_snapshot_dates() -%}
    {%- for day in dates | unique %}
    select cast('{{ day }}' as date) as snapshot_date{{ ' union all' if not loop.last }}
    {%- endfor %}
{%- endmacro %}
