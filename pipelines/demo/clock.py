"""The period's calendar: seasonality, months, local clocks and pre-rendered date and time text.

Rendering timestamps with strftime costs about a microsecond per row, which alone would eat the
throughput budget. Every timestamp is a (day index, second of day) pair instead, and its text is
assembled from two small lookup tables: one string per day of the period and one per second of a day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import numpy as np
import pyarrow as pa

from pipelines.demo.countries import Country

# Month weights: a December peak and a summer dip, as retail has.
SEASONALITY = np.array([0.9, 0.8, 0.9, 1.0, 1.0, 0.9, 0.85, 0.9, 1.0, 1.05, 1.25, 1.6])
# Monday..Sunday: shoppers buy more at the end of the week.
WEEKDAY = np.array([0.9, 0.9, 0.95, 1.0, 1.1, 1.25, 0.9])
SHIFT_DAYS = 60  # the shift scenario changes behaviour in the last this many days

# Local hour-of-day weights per channel (pos, ecommerce, app, marketplace). Stores open 08-21, so POS
# has no weight outside those hours; online channels peak in the evening.
_POS_HOURS = [0] * 8 + [2, 4, 6, 8, 9, 8, 7, 7, 8, 9, 9, 7, 4] + [0] * 3
_WEB_HOURS = [0] * 6 + [1, 2, 3, 4, 4, 4, 5, 5, 4, 4, 4, 5, 6, 7, 8, 8, 6, 3]
_APP_HOURS = [0] * 7 + [3, 3, 3, 3, 4, 4, 4, 4, 4, 5, 6, 8, 9, 9, 8, 6, 4]
HOUR_CUM = np.cumsum(
    np.array([_POS_HOURS, _WEB_HOURS, _APP_HOURS, _APP_HOURS], dtype=float)
    / np.array([sum(_POS_HOURS), sum(_WEB_HOURS), sum(_APP_HOURS), sum(_APP_HOURS)], dtype=float)[:, None],
    axis=1,
)
HOUR_CUM[HOUR_CUM > 1 - 1e-9] = 1.0  # so that no draw u < 1 lands in a closed hour through rounding


@dataclass(frozen=True)
class Clock:
    start: date
    days: int
    day_cum: np.ndarray  # len days + 1: cumulative order-day weights, for inverse-CDF sampling
    month_of_day: np.ndarray  # month number (0-based within the period) of each day
    months: tuple[str, ...]  # 'YYYY-MM' per month number
    day_text: pa.Array  # 'YYYY-MM-DD' per day
    utc_offset: np.ndarray  # (countries, days) local minus UTC, seconds, at local noon
    offset_text: pa.Array  # '+01:00' per (country * days + day)
    shift_day: int  # first day of the shift window (days when it never starts)


def build_clock(start: date, days: int, countries: tuple[Country, ...], shift: bool) -> Clock:
    """Everything about the period's days that rendering and sampling look up by day index."""
    dates = [start + timedelta(days=d) for d in range(days)]
    month_idx = np.array([d.month - 1 for d in dates])
    weekday = np.array([d.weekday() for d in dates])
    weights = SEASONALITY[month_idx] * WEEKDAY[weekday]
    labels = [d.strftime("%Y-%m") for d in dates]
    months = tuple(dict.fromkeys(labels))
    month_number = {m: i for i, m in enumerate(months)}
    offsets = np.array([[_offset(c.timezone, d) for d in dates] for c in countries], dtype=np.int64)
    return Clock(
        start=start,
        days=days,
        day_cum=np.concatenate([[0.0], np.cumsum(weights)]),
        month_of_day=np.array([month_number[m] for m in labels], dtype=np.int64),
        months=months,
        day_text=pa.array([d.isoformat() for d in dates]),
        utc_offset=offsets,
        offset_text=pa.array([_offset_text(int(s)) for s in offsets.ravel()]),
        shift_day=max(0, days - SHIFT_DAYS) if shift else days,
    )


def _offset(tz: str, day: date) -> int:
    """UTC offset at local noon. Sales happen from 06:00 local on, after any DST switch of that day."""
    return int(datetime(day.year, day.month, day.day, 12, tzinfo=ZoneInfo(tz)).utcoffset().total_seconds())


def _offset_text(seconds: int) -> str:
    sign = "+" if seconds >= 0 else "-"
    minutes = abs(seconds) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


@cache
def time_text() -> pa.Array:
    """'HH:MM:SS' for every second of a day (built once, 86,400 short strings)."""
    return pa.array([f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" for s in range(86400)])


def sample_hours(u: np.ndarray, channel: np.ndarray) -> np.ndarray:
    """Local hour per order from its channel's hour weights, by inverse CDF of uniform draws u."""
    hours = np.empty(len(u), dtype=np.int64)
    for ch in range(HOUR_CUM.shape[0]):
        mask = channel == ch
        hours[mask] = np.searchsorted(HOUR_CUM[ch], u[mask], side="right")
    return np.minimum(hours, 23)
