"""Data-quality incidents a run can switch on (`DemoSpec.incidents`): breaks the pipeline's gates must catch.

Each incident changes only what a source system exports, never the behaviour behind it, and is applied
at render or write time without a random draw of its own. A run with incidents therefore makes the same
random draws as one without: every file an incident does not touch is byte-identical, and the touched
files differ only where the incident says. `_truth/scenario.json` records each active incident.

- cents: from the first day of the period's last CENTS_DAYS days, the web shop exports every money
  amount (price and discount) multiplied by CENTS_FACTOR, as if it had switched to minor units.
- silent_channel: the app sends nothing for the period's last SILENT_DAYS days (by event date), and
  no file for a month that would be empty.
- crm_birth_years: CRM_BLANK_BIRTH of the CRM rows have a blank birth_year instead of BLANK_BIRTH.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np

CENTS, SILENT_CHANNEL, CRM_BIRTH_YEARS = "cents", "silent_channel", "crm_birth_years"
INCIDENTS = (CENTS, SILENT_CHANNEL, CRM_BIRTH_YEARS)
CENTS_SOURCE = "ecommerce"
CENTS_DAYS = 30
CENTS_FACTOR = 100
SILENT_SOURCE = "app"
SILENT_DAYS = 45
BLANK_BIRTH = 0.05  # share of CRM rows without a birth year, as sign-up forms leave it
CRM_BLANK_BIRTH = 0.30


@dataclass(frozen=True)
class Incidents:
    """The active incidents of a run, resolved against its period (day indices from the period start)."""

    names: tuple[str, ...] = ()  # in INCIDENTS order, each once
    start: date = date(2000, 1, 1)  # first day of the period
    days: int = 0

    @property
    def cents_day(self) -> int:
        return max(0, self.days - CENTS_DAYS)

    @property
    def silent_day(self) -> int:
        return max(0, self.days - SILENT_DAYS)

    @property
    def birth_blank_share(self) -> float:
        return CRM_BLANK_BIRTH if CRM_BIRTH_YEARS in self.names else BLANK_BIRTH

    def money_factor(self, source: str, day: np.ndarray) -> np.ndarray | None:
        """Per line, the factor its exported money amounts carry; None when the source is untouched."""
        if CENTS not in self.names or source != CENTS_SOURCE:
            return None
        return np.where(day >= self.cents_day, CENTS_FACTOR, 1)

    def unsent(self, source: str, day: np.ndarray) -> np.ndarray | None:
        """Per line, whether the source withholds it; None when the source sends everything."""
        if SILENT_CHANNEL not in self.names or source != SILENT_SOURCE:
            return None
        return day >= self.silent_day

    def truth(self) -> list[dict]:
        """One object per active incident, for `_truth/scenario.json`."""
        entries = {
            CENTS: {"name": CENTS, "channel": CENTS_SOURCE, "start": self._date(self.cents_day),
                    "factor": CENTS_FACTOR},
            SILENT_CHANNEL: {"name": SILENT_CHANNEL, "channel": SILENT_SOURCE, "start": self._date(self.silent_day)},
            CRM_BIRTH_YEARS: {"name": CRM_BIRTH_YEARS, "source": "crm_customers", "column": "birth_year",
                              "blank_share": CRM_BLANK_BIRTH},
        }  # fmt: skip
        return [entries[name] for name in self.names]

    def _date(self, day: int) -> str:
        return (self.start + timedelta(days=day)).isoformat()


def resolve(names, start: date, days: int) -> Incidents:
    """Validate incident names; order and repeats do not matter (the same set gives the same files)."""
    if isinstance(names, str):
        raise ValueError(f"incidents must be a sequence of names from {INCIDENTS}, got the string {names!r}")
    unknown = sorted(set(names) - set(INCIDENTS))
    if unknown:
        raise ValueError(f"unknown incident(s) {', '.join(map(repr, unknown))}; allowed: {', '.join(INCIDENTS)}")
    return Incidents(tuple(n for n in INCIDENTS if n in set(names)), start, days)
