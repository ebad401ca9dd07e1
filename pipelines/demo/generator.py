"""Seeded generator of a multi-channel retailer's landing files (`stratify demo-data`).

Deterministic: the same spec gives byte-identical files, because every random stream is seeded from
the spec's seed plus a fixed purpose and chunk number. The period ends on a fixed date by default so
that a demo is reproducible; downstream stages judge time by the data's own clock.

Customers are made in chunks of CHUNK persons. Each chunk's rows are appended to the monthly files
and dropped, so a million customers need no more memory than twenty thousand. The generator shares
no code with the pipeline stages it feeds, so it cannot hide their bugs.

Data-quality incidents (incidents.py) change only what a source exports, at render or write time and
without random draws of their own, so every file they do not touch keeps its bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pyarrow as pa

from pipelines.demo import crm, dirty
from pipelines.demo.orders import POS, make_lines
from pipelines.demo.people import make_people
from pipelines.demo.render import SOURCE_OF, Block, Renderer, blocks
from pipelines.demo.truth import Truth
from pipelines.demo.world import World, build_world, fx_rows, store_rows
from pipelines.demo.writers import Landing

CHUNK = 20_000
SOURCES = ("stores", "fx_rates", "crm_customers", "pos", "ecommerce", "app", "marketplace")
LATE_ROWS = 30


@dataclass(frozen=True)
class DemoSpec:
    customers: int = 5000
    days: int = 730
    end: date = date(2025, 12, 31)  # last day of data, inclusive
    seed: int = 7
    countries: tuple[str, ...] = ("DE", "FR", "GB", "US", "JP")
    dirty: bool = False
    scenario: str = "steady"  # "steady" | "shift"
    incidents: tuple[str, ...] = ()  # any of "cents", "silent_channel", "crm_birth_years" (see incidents.py)

    @property
    def start(self) -> date:
        return self.end - timedelta(days=self.days - 1)


def generate(spec: DemoSpec, out: Path) -> dict[str, int]:
    """Write every landing file and the truth under `out`; return the data rows written per source.

    Counts are rows in the files, header excluded: in dirty runs they include the duplicate copies
    and the rows of the extra files that the pipeline must reject.
    """
    world = build_world(spec)
    landing = Landing(Path(out))
    landing.clear()
    run = _Run(world, landing, f"crm/customers_{spec.end.isoformat()}")
    run.counts["stores"] = landing.write_rows("stores/stores.csv", store_rows(world))
    run.counts["fx_rates"] = landing.write_rows("fx/fx_rates.csv", fx_rows(world))
    for chunk, first in enumerate(range(0, spec.customers, CHUNK)):
        run.chunk(chunk, first, min(CHUNK, spec.customers - first))
    run.finish()
    return run.counts


_UNSENT = "__unsent"  # marks withheld lines through dirty injection, whose duplicates copy it


def _withhold(table: pa.Table, found: list[tuple[int, str]]) -> tuple[pa.Table, list[tuple[int, str]]]:
    """Drop the rows marked unsent and the column; renumber the injected rows that remain."""
    keep = ~table.column(_UNSENT).to_numpy()
    position = np.cumsum(keep) - 1
    found = [(int(position[r]), reason) for r, reason in found if keep[r]]
    return table.filter(pa.array(keep)).drop_columns([_UNSENT]), found


class _Run:
    """State carried across chunks: order-number counters, row counts, samples for dirty files."""

    def __init__(self, world: World, landing: Landing, crm_stem: str):
        self.world = world
        self.landing = landing
        self.crm_stem = crm_stem
        self.renderer = Renderer(world)
        self.truth = Truth(world, landing)
        self.counts = dict.fromkeys(SOURCES, 0)
        self.id_base = np.zeros(4, dtype=np.int64)  # orders numbered so far per channel
        self.late_sample: pa.Table | None = None
        self.legacy: list[pa.Table] = []  # CRM rows with non-ASCII Latin cities, for the cp1252 file
        self.legacy_fallback: pa.Table | None = None

    def chunk(self, chunk: int, first: int, n: int) -> None:
        people = make_people(self.world, chunk, first, n)
        lines = make_lines(self.world, people, chunk)
        members = crm.crm_table(self.world, people, chunk)
        self.landing.append(f"{self.crm_stem}.csv", members)
        self.counts["crm_customers"] += members.num_rows
        if self.world.dirty and sum(t.num_rows for t in self.legacy) < crm.LEGACY_ROWS:
            self.legacy.append(crm.legacy_candidates(members))
            if self.legacy_fallback is None:
                self.legacy_fallback = members.slice(0, crm.LEGACY_ROWS)
        self.truth.persons(people)
        self.truth.channel_ids(people, lines, self._sent(lines))
        rng = np.random.default_rng([self.world.seed, 3, chunk])
        for block in blocks(self.world, lines):
            table = self.renderer.table(block, lines, people, self.id_base)
            self._write(block, table, rng, self.world.incidents.unsent(block.source, lines.day[block.idx]))
            self._keep_late_sample(block, lines, people)
        self.id_base += lines.orders_per_channel

    def _sent(self, lines) -> np.ndarray:
        """Per line, whether some file carries it (the `silent_channel` incident withholds some)."""
        sent = np.ones(len(lines), dtype=bool)
        for ch, source in SOURCE_OF.items():
            unsent = self.world.incidents.unsent(source, lines.day)
            if unsent is not None:
                sent &= ~((lines.channel == ch) & unsent)
        return sent

    def _write(self, block: Block, table: pa.Table, rng: np.random.Generator, unsent: np.ndarray | None) -> None:
        """Append a rendered block. Withheld lines are dropped only after dirty injection, so that the
        injection's random draws, and with them every other file, are the same as without incidents."""
        found: list[tuple[int, str]] = []
        if unsent is not None:
            table = table.append_column(_UNSENT, pa.array(unsent))
        if self.world.dirty:
            table, found = dirty.inject(table, block.source, rng)
        if unsent is not None:
            table, found = _withhold(table, found)
            if table.num_rows == 0:  # nothing of this chunk goes to the file (which may never be written)
                return
        file, before = self.landing.append(block.file, table, sep=";" if block.decimal == "," else ",")
        self.truth.injected(block.source, file, before, found)
        self.counts[block.source] += table.num_rows

    def _keep_late_sample(self, block: Block, lines, people) -> None:
        """Clean POS lines of the last month, rendered comma-style, to be re-sent as the late file."""
        wanted = self.world.dirty and self.late_sample is None and block.source == "pos"
        if not wanted or self.world.clock.months[-1] not in block.file:
            return
        sample = Block("pos", block.file, block.idx[:LATE_ROWS], decimal=".")
        self.late_sample = self.renderer.table(sample, lines, people, self.id_base)

    def finish(self) -> None:
        if self.world.dirty:
            self._late_pos_file()
            self._legacy_crm_file()
        self.truth.finish()

    def _late_pos_file(self) -> None:
        if self.late_sample is None:
            return
        table = dirty.late_pos(self.late_sample, int(self.id_base[POS]) + 1)
        file = f"pos/pos_{self.world.clock.months[-1]}_late.csv"
        self.landing.append(file, table)
        self.counts["pos"] += table.num_rows
        self.truth.reject("pos", file, dirty.WRONG_HEADER)

    def _legacy_crm_file(self) -> None:
        candidates = pa.concat_tables(self.legacy).slice(0, crm.LEGACY_ROWS)
        data = crm.legacy_export(candidates, self.legacy_fallback)
        if data.isascii():  # no members at all: nothing could make the file invalid UTF-8
            return
        file = f"{self.crm_stem}_latin1.csv"
        self.landing.write_bytes(file, data)
        self.counts["crm_customers"] += data.count(b"\n") - 1
        self.truth.reject("crm_customers", file, dirty.NOT_UTF8)
