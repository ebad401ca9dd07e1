"""Render docs/data-contract.md from the contracts, so the document cannot drift from the code.

Regenerate with `python -m pipelines.ingest.contract_doc > docs/data-contract.md`; a test compares them.
"""

from __future__ import annotations

from pipelines.ingest.contracts import CONTRACTS, Contract
from pipelines.ingest.rules import LONGER_THAN_HEADER, MALFORMED_JSON, RuleContext, duplicate_reason, row_rules

INTRO = """# Data contract: what Stratify ingests

Generated from `pipelines/ingest/contracts.py` by `python -m pipelines.ingest.contract_doc`; do not edit by hand.

Each source below is one entry under `sources:` in `stratify.yaml`. A source has one or more file sets
(`path` glob under `$STRATIFY_HOME/landing`, `format` csv/parquet/jsonl, CSV `delimiter`/`decimal`/`encoding`,
optional `timestamp_format` for strptime) and a `columns` mapping from the canonical names below to the
column names in your files. `constants` fills canonical columns your files lack (e.g. `currency: GBP`).
Leave out the sources you do not have: one order-line export is enough to run to tiers.

How a file is loaded:
- Files are read as text, mapped, cast and checked in DuckDB SQL, in one pass per set of files. Values are
  trimmed of surrounding spaces and an empty value counts as missing. A file is loaded once per content
  (sha256): the same file again is skipped, a copy under another name is recorded as `skipped_duplicate`.
- A file whose header lacks a mapped column (JSON lines: whose first record lacks a required key; a record
  may leave out optional keys, read as missing), or that cannot be read (e.g. not valid UTF-8 when utf-8 is
  configured), is `rejected` whole with an error naming the file, the expected and the found columns; the
  other files still load. A rejected file is tried again on every run (fix the config, and the next run loads
  it); while one is in landing, `stratify run`'s summary lists it and `stratify status` says NEEDS ATTENTION
  and exits 1. Take it out of landing, or land it corrected, to clear that.
- A JSON line that is not valid JSON is quarantined as `malformed JSON line` (its record not shown: its PII
  cannot be masked), and the file's other lines load.
- A CSV row with more fields than its header (an unquoted comma shifts every later value) is quarantined as
  `more fields than the header` (its record not shown when the file holds PII). CSV files are read strictly:
  where DuckDB meets such a row past the sample it sizes rows from, or a quote that cuts a field short, it
  refuses the file, which is rejected naming the line, rather than a value being dropped in silence.
- Every row read is either accepted into `raw.<source>` (with `_source_file`, `_row_number`, `_load_id`,
  `_loaded_at`) or quarantined in `ops.quarantine` with the first rule it broke; `ops.load_ledger` has one
  row per file loaded (and one per attempt at a rejected file) with `rows_read = rows_accepted +
  rows_quarantined`, checked by the `rows_reconcile` asset check.
- PII (`email`, `phone`) is normalised (email trimmed and lower-cased; phone to E.164 using the row's
  country) and stored only as `sha256(STRATIFY_PII_SALT || value)` in `<column>_hash`. The quarantine's
  `raw_record` masks PII values as `***`. A source with PII needs `STRATIFY_PII_SALT`; there is no default.
  A warehouse keeps the salt it was first loaded with (a fingerprint in `ops.pii_salt`) and refuses another,
  before `stratify run` loads anything: the same email under another salt would be another customer. A
  warehouse made before this check takes the salt of its next load as its own.
- Countries may be ISO-3166 codes (alpha-2 or alpha-3) or English names; they are stored as alpha-2.
- Currencies must be the base currency or appear in `fx_rates`; POS store ids must exist in `stores`
  when the stores source is configured.
- `line_number` may be left unmapped for exports with one row per line: the row's number in its file is used.
- An order line's key (`order_id`, `line_number`) is loaded once: a line repeating a key already loaded, or
  seen earlier in the same load, is quarantined as `duplicate line key`. Master data (stores, FX rates, CRM)
  may be re-sent; staging keeps the latest load of each key.
"""


def _section(contract: Contract) -> str:
    lines = [f"## `{contract.source}`", "", contract.description, ""]
    if contract.depends_on:
        lines += [f"Loaded after: {', '.join(contract.depends_on)}.", ""]
    lines += ["| canonical column | stored as | type | required | notes |", "|---|---|---|---|---|"]
    notes = {
        "pii_email": "PII: normalised and hashed",
        "pii_phone": "PII: E.164, hashed",
        "country": "ISO code or English name",
        "currency": "ISO-4217, must be known",
        "store": "must exist in stores",
        "boolean": "y/yes/true/t/1 or n/no/false/f/0",
        "row_number": "row number in the file when unmapped",
    }
    for c in contract.columns:
        lines.append(
            f"| `{c.name}` | `{c.stored_name}` | {c.sql_type} | {'yes' if c.required else ''} | "
            f"{notes.get(c.kind, '')} |"
        )
    # Before the row rules: a CSV row longer than its header, a JSON line that is not JSON (loader._judge_sql).
    rules = [f"{LONGER_THAN_HEADER} (CSV)", f"{MALFORMED_JSON} (JSON lines)"]
    rules += [reason for reason, _ in row_rules(contract, RuleContext(check_currency=True, check_store=True))]
    rules.append(duplicate_reason(contract) + f" (key: {', '.join(contract.key)})")
    lines += ["", "Quarantine reasons, in order of precedence: " + "; ".join(f"`{r}`" for r in rules) + ".", ""]
    return "\n".join(lines)


def render() -> str:
    return INTRO + "\n" + "\n".join(_section(c) for c in CONTRACTS.values())


if __name__ == "__main__":
    print(render(), end="")
