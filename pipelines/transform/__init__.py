"""Transform: the dbt project as Dagster assets (dagster-dbt), per load and per snapshot partition."""
