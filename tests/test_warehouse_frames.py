"""fetch_frame gives exactly the frame DuckDB's .df() gives, NULLs and empty results included."""

import duckdb
import pandas as pd
import pytest

from pipelines.warehouse_frames import fetch_frame

TABLE = """
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
    case when range % 7 = 0 then null else range / 3.0 end::double as ratio
from range(1000)
"""


@pytest.mark.parametrize(
    "sql, params",
    [
        ("select * from t", None),
        ("select * from t where id > ? order by key", [500]),
        ("select * from t where id < ?", [0]),  # no rows
        ("select * from t where id % 7 <> ?", [0]),  # the nullable columns without their NULLs
    ],
)
def test_fetch_frame_equals_duckdbs_own_frame(sql, params):
    con = duckdb.connect()
    con.execute(TABLE)
    pd.testing.assert_frame_equal(fetch_frame(con, sql, params), con.execute(sql, params or []).df())
