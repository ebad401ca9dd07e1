"""fetch_frame gives exactly the frame DuckDB's .df() gives, NULLs and empty results included."""

import duckdb
import pandas as pd
import pytest

from pipelines.warehouse_frames import CONVERTED, fetch_frame

TABLE = """
create type enum_ab as enum ('a', 'b');
create table t as select
    range::bigint as id,
    case when range % 3 = 0 then null else range % 2 = 0 end as maybe_flag,
    range % 2 = 0 as flag,
    case when range % 5 = 0 then null else (range / 7)::decimal(18, 4) end as amount,
    case when range % 4 = 0 then null else date '2024-01-01' + range::int end as day,
    case when range % 6 = 0 then null else 'key-' || range end as key,
    null::varchar as no_text,
    case when range % 7 = 0 then null else range end as maybe_count,
    (range % 100)::integer as small,
    case when range % 7 = 0 then null else range::integer end as maybe_small,
    timestamp '2024-01-01 10:00' + to_seconds(range) as at,
    case when range % 7 = 0 then null else range / 3.0 end::double as ratio,
    case when range % 9 = 0 then null else (range % 250)::utinyint end as maybe_unsigned,
from range(1000)
"""


@pytest.mark.parametrize(
    "sql, params",
    [
        ("select * from t", None),
        ("select * from t where id > ? order by key", [500]),
        ("select * from t where id < ?", [0]),  # no rows
        ("select * from t where id % 7 <> ?", [0]),  # the nullable columns without their NULLs
        ("select id, key, maybe_unsigned from t", None),
        ("select id, key as id from t", None),  # a repeated name: .df() renames it
        ("select id, (['a', 'b'])[id % 2 + 1]::enum_ab as mood from t", None),  # a type left to .df()
    ],
)
def test_fetch_frame_equals_duckdbs_own_frame(sql, params):
    con = duckdb.connect()
    con.execute(TABLE)
    pd.testing.assert_frame_equal(fetch_frame(con, sql, params), con.execute(sql, params or []).df())


def test_the_feature_tables_types_take_the_arrow_path():
    """Every type of the table above (those of marts.customer_features and more) is converted here, not
    handed back to .df(): otherwise the comparison above would prove nothing about the conversion."""
    con = duckdb.connect()
    con.execute(TABLE)
    assert all(kind.id in CONVERTED for kind in con.sql("select * from t").types)
