"""The answer key under `_truth/`: who is behind every id, which rows and files were broken, and how.

The pipeline's globs never match `_truth/`, so it cannot peek; tests and evaluations read it to score
identity resolution, quarantine and drift detection against what was really generated.
"""

from __future__ import annotations

import json
from datetime import timedelta

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.demo.orders import APP, ECOMMERCE, MARKETPLACE, POS, Lines
from pipelines.demo.people import People
from pipelines.demo.world import SHIFT_APP_FACTOR, SHIFT_BASKET_FACTOR, World, text
from pipelines.demo.writers import Landing

PERSONS = "_truth/persons.csv"
CHANNEL_IDS = "_truth/channel_ids.csv"
INJECTED = "_truth/injected.csv"
REJECTED = "_truth/rejected_files.csv"


class Truth:
    """Appends truth rows chunk by chunk, next to the data they describe."""

    def __init__(self, world: World, landing: Landing):
        self.world = world
        self.landing = landing
        self.rejected: list[list[str]] = []
        landing.append(INJECTED, _strings({k: [] for k in ("source", "file", "row_number", "reason")}))

    def persons(self, people: People) -> None:
        w = self.world
        member, consent = pa.array(people.member), pc.if_else(pa.array(people.consent), "Y", "N")
        table = pa.table({
            "person_id": people.person_id,
            "archetype": text(w.arch.names).take(people.arch),
            "country": text(c.code for c in w.countries).take(people.country),
            "is_member": pc.if_else(member, "1", "0"),
            "loyalty_id": people.loyalty_id,
            "email": people.email,
            "phone_e164": people.phone_e164,
            "app_user_id": people.app_user_id,
            "marketplace_buyer_id": people.buyer_id,
            "profiling_consent": pc.if_else(member, consent, ""),
        })  # fmt: skip
        self.landing.append(PERSONS, table)

    def channel_ids(self, people: People, lines: Lines, sent: np.ndarray) -> None:
        """Every (channel, id) that appears in some file, normalised, with the person behind it.

        sent marks the lines some file carries (an incident may withhold lines of a channel).
        """
        crm = np.flatnonzero(people.member)
        has = {ch: (lines.channel == ch) & sent for ch in (POS, ECOMMERCE, APP, MARKETPLACE)}
        parts = [
            ("crm", "loyalty_id", crm),
            ("crm", "email", crm),
            ("crm", "app_user_id", np.flatnonzero(people.member & people.uses_app)),
            ("crm", "phone", crm),
            ("pos", "loyalty_id", np.unique(lines.person[has[POS] & lines.linked])),
            ("ecommerce", "email", np.unique(lines.person[has[ECOMMERCE]])),
            ("ecommerce", "phone", np.unique(lines.person[has[ECOMMERCE] & lines.has_phone])),
            ("app", "app_user_id", np.unique(lines.person[has[APP]])),
            ("app", "email", np.unique(lines.person[has[APP]])),
            ("marketplace", "buyer_id", np.unique(lines.person[has[MARKETPLACE]])),
            ("marketplace", "loyalty_id", np.unique(lines.person[has[MARKETPLACE] & lines.linked])),
            ("marketplace", "phone", np.unique(lines.person[has[MARKETPLACE] & lines.has_phone])),
        ]
        ids = {"loyalty_id": people.loyalty_id, "email": people.email, "app_user_id": people.app_user_id,
               "buyer_id": people.buyer_id, "phone": people.phone_e164}  # fmt: skip
        for channel, kind, who in parts:
            if not len(who):
                continue
            table = _strings({"channel": [channel] * len(who), "id_kind": [kind] * len(who)})
            table = table.append_column("id", ids[kind].take(pa.array(who)))
            self.landing.append(CHANNEL_IDS, table.append_column("person_id", people.person_id.take(pa.array(who))))

    def injected(self, source: str, file: str, first_row: int, found: list[tuple[int, str]]) -> None:
        """found holds 0-based rows of the block just appended after first_row earlier rows."""
        if found:
            self.landing.append(INJECTED, _strings({
                "source": [source] * len(found),
                "file": [file] * len(found),
                "row_number": [str(first_row + r + 1) for r, _ in found],
                "reason": [reason for _, reason in found],
            }))  # fmt: skip

    def reject(self, source: str, file: str, problem: str) -> None:
        self.rejected.append([source, file, problem])

    def finish(self) -> None:
        self.landing.write_rows(REJECTED, [["source", "file", "problem"], *self.rejected])
        self.landing.write_bytes("_truth/scenario.json", (json.dumps(self.scenario(), indent=2) + "\n").encode())

    def scenario(self) -> dict:
        w = self.world
        scenario: dict = {"name": w.scenario}
        if w.scenario == "shift":
            scenario.update({
                "start": (w.clock.start + timedelta(days=w.clock.shift_day)).isoformat(),
                "country": w.countries[w.shift_country].code,
                "basket_factor": SHIFT_BASKET_FACTOR,
                "app_share_factor": SHIFT_APP_FACTOR,
            })  # fmt: skip
        if w.incidents.names:  # absent without incidents, so such runs keep their exact bytes
            scenario["incidents"] = w.incidents.truth()
        return scenario


def _strings(columns: dict[str, list[str]]) -> pa.Table:
    return pa.table({k: pa.array(v, type=pa.string()) for k, v in columns.items()})
