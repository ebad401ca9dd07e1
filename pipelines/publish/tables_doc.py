"""Render docs/published-tables.md from the published models' dbt YAML, so the document cannot drift.

Regenerate with `python -m pipelines.publish.tables_doc > docs/published-tables.md`; a test compares them.
"""

from __future__ import annotations

import yaml

from pipelines.publish.atomic import PUBLISHED_TABLES
from pipelines.resources import REPO_ROOT

MODELS_YAML = REPO_ROOT / "dbt_project" / "models" / "marts" / "_marts__published.yml"

INTRO = """# Published tables: what BI tools read

Generated from `dbt_project/models/marts/_marts__published.yml` by `python -m pipelines.publish.tables_doc`;
do not edit by hand. How to connect a BI tool: [bi.md](bi.md).

Where they are, under `$STRATIFY_HOME/publish/`:
- `tiers.duckdb`: one DuckDB file with the tables below. Each publish updates a copy of it beside it and
  renames the copy over the old file, so a reader always sees one complete publish, all tables from the
  same moment; a connection keeps the file it opened, so reconnect to see a newer publish. Open it read-only.
- `parquet/<table>/snapshot_date=<date>/*.parquet`: the same rows (hive partitioning by snapshot_date; in
  `tier_migration` that is the later snapshot of the pair). A changed table's folder is built aside (new
  partitions, hard links to the unchanged ones) and swapped in by two renames, so a reader sees the old
  folder or the new one, each whole. The hidden
  `parquet/.stratify-published.json` records what the folders hold; delete it to have the next publish
  rewrite every folder whole.

Every publish holds everything, the latest snapshot and the history of all snapshots built so far, but
writes only the snapshot dates whose rows changed since the last publish (a count and a hash of the rows
per date, kept in `tiers.duckdb`'s `_stratify.published` table): a new snapshot writes that snapshot, not
the history again (finding what changed still reads every snapshot). A table whose columns changed is
rewritten whole.

Customer ids: `customer_key` is an opaque id (`cus_` + 16 hex digits) drawn at random when a customer first
appears and kept in the warehouse (`pseudonyms.customer_key_map`, never published), so one customer keeps
one id across snapshots and runs. It is not derived from any channel id, email or phone; no published table
holds an email, a phone, a hash of them or any id the warehouse uses. Only whoever can open the warehouse can
map it back. Losing the warehouse loses the mapping (new ids are drawn), and customers that identity
resolution merges later get a new id.

Segments: customers who may not be profiled (no consent) appear with `profiled = false` and empty segment
columns, and as segment `not profiled` in `segment_summary` and `tier_migration`; a profiled customer whose
model left a segmentation empty appears there as `unassigned`. So every customer is counted once in every
segmentation, and the customers of `customer_tiers` equal the `segment_summary` totals of its snapshot.
"""


def published_models() -> dict[str, dict]:
    """The YAML entries of the published tables, in publishing order."""
    models = {m["name"]: m for m in yaml.safe_load(MODELS_YAML.read_text(encoding="utf-8"))["models"]}
    return {table: models[table] for table in PUBLISHED_TABLES}


def _one_line(text: str) -> str:
    return " ".join(str(text).split()).replace("|", "\\|")


def _section(name: str, model: dict) -> str:
    lines = [f"## `{name}`", "", _one_line(model["description"]), ""]
    lines += ["| column | type | description |", "|---|---|---|"]
    lines += [f"| `{c['name']}` | {c['data_type']} | {_one_line(c['description'])} |" for c in model["columns"]]
    return "\n".join(lines) + "\n"


def render() -> str:
    sections = [_section(name, model) for name, model in published_models().items()]
    return INTRO + "\n" + "\n".join(sections)


if __name__ == "__main__":
    print(render(), end="")
