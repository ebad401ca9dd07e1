"""`incidents`: each data-quality incident changes exactly what scenario.json says, and nothing else.

Every incident run is compared with the plain run of the same seed: the files an incident does not
touch must be byte-identical, and the touched ones may differ only where the incident says.
"""

from __future__ import annotations

import filecmp
import json
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest

from pipelines.demo import dirty, generator
from pipelines.demo.generator import DemoSpec, generate
from tests.demo.conftest import TEST_CHUNK
from tests.demo.landing import data_files, frame, rows, truth

SPEC = DemoSpec(customers=1200, days=120, seed=9)
CENTS_START = "2025-12-02"  # the first of the last 30 days of a period ending 2025-12-31
SILENT_START = "2025-11-17"  # the first of the last 45 days
CRM = "crm/customers_2025-12-31.csv"
DIRTY_RATE = 0.03
ALL = ("cents", "silent_channel", "crm_birth_years")
VALUE_PROBLEMS = ("unparseable number in unit_price", "unparseable date in ordered_at", "missing required order_id",
                  "unknown currency", "timestamp in the future", "negative price")  # fmt: skip


def _run(factory: pytest.TempPathFactory, name: str, spec: DemoSpec) -> tuple[Path, dict[str, int]]:
    out = factory.mktemp(name)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(generator, "CHUNK", TEST_CHUNK)
        # Dirty runs break many rows, so that broken rows and duplicate copies also land among and after
        # the lines an incident withholds: the recorded row numbers must follow the rows that remain.
        patch.setattr(dirty, "RATE", DIRTY_RATE)
        counts = generate(spec, out)
    return out, counts


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, tuple[Path, dict[str, int]]]:
    specs = {
        "plain": SPEC,
        "empty": replace(SPEC, incidents=()),
        "cents": replace(SPEC, incidents=("cents",)),
        "silent": replace(SPEC, incidents=("silent_channel",)),
        "crm": replace(SPEC, incidents=("crm_birth_years",)),
        "dirty_shift": replace(SPEC, dirty=True, scenario="shift"),
        "dirty_shift_all": replace(SPEC, dirty=True, scenario="shift", incidents=tuple(reversed(ALL))),
    }
    return {name: _run(tmp_path_factory, name, spec) for name, spec in specs.items()}


def _files(out: Path) -> set[str]:
    return {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()}


def _differing(a: Path, b: Path) -> set[str]:
    """Files that differ in bytes or exist in only one of the two folders."""
    fa, fb = _files(a), _files(b)
    return (fa ^ fb) | {f for f in fa & fb if not filecmp.cmp(a / f, b / f, shallow=False)}


def _scenario(out: Path) -> dict:
    return json.loads((out / "_truth/scenario.json").read_text())


def test_unknown_incident_names_the_allowed_ones(tmp_path):
    with pytest.raises(ValueError, match="cents.*silent_channel.*crm_birth_years") as err:
        generate(replace(SPEC, customers=20, incidents=("cents", "late_files")), tmp_path)
    assert "late_files" in str(err.value)
    with pytest.raises(ValueError):
        generate(replace(SPEC, customers=20, incidents="cents"), tmp_path)  # a string, not a tuple of names


def test_no_incidents_is_the_plain_run(runs):
    plain, empty = runs["plain"][0], runs["empty"][0]
    assert len(_files(plain)) > 15 and not _differing(plain, empty)
    assert _scenario(plain) == {"name": "steady"}


def test_cents_multiplies_ecommerce_money_from_the_start_day(runs):
    plain, cents = runs["plain"][0], runs["cents"][0]
    files = data_files(plain, "ecommerce")
    assert _differing(plain, cents) == {*(f for f in files if f >= "ecommerce/web_orders_2025-12"),
                                        "_truth/scenario.json"}  # fmt: skip
    before, after = pd.concat(frame(plain, f) for f in files), pd.concat(frame(cents, f) for f in files)
    assert len(before) == len(after)
    money = ["price", "discount"]
    before, after = before.reset_index(drop=True), after.reset_index(drop=True)
    pd.testing.assert_frame_equal(before.drop(columns=money), after.drop(columns=money))
    late = (before.created_at.str[:10] >= CENTS_START).to_numpy()
    assert 50 < late.sum() < len(before)
    pd.testing.assert_frame_equal(before.loc[~late, money], after.loc[~late, money])
    for column in money:
        old, new = before.loc[late, column].map(Decimal), after.loc[late, column].map(Decimal)
        assert (new == old * 100).all(), column
    assert (after.loc[late, "discount"] != "0").any() and (after.loc[late, "discount"] == "0").any()
    late_rows = after[late]
    yen = late_rows.currency == "JPY"
    assert yen.any() and (~yen).any()
    for column in money:  # still the currency's own format: whole yen, two decimals elsewhere
        assert late_rows.loc[yen, column].str.fullmatch(r"-?\d+").all()
        assert late_rows.loc[~yen, column].str.fullmatch(r"-?\d+\.\d\d").all()


def test_silent_channel_drops_the_app_window_and_nothing_else(runs):
    (plain, _), (silent, counts) = runs["plain"], runs["silent"]
    app_before, app_after = data_files(plain, "app"), data_files(silent, "app")
    assert _differing(plain, silent) <= {*app_before, "_truth/scenario.json", "_truth/channel_ids.csv"}
    sent = pd.concat(frame(silent, f) for f in app_after)
    assert (sent.event_time.str[:10] < SILENT_START).all()
    everything = pd.concat(frame(plain, f) for f in app_before)
    kept = everything[everything.event_time.str[:10] < SILENT_START]
    assert 0 < len(kept) < len(everything)
    pd.testing.assert_frame_equal(kept.reset_index(drop=True), sent.reset_index(drop=True))
    assert app_after == sorted(set(kept.file))  # a month with no line left has no file at all
    assert "app/app_orders_2025-12.jsonl" in app_before and "app/app_orders_2025-12.jsonl" not in app_after
    assert counts["app"] == len(sent)
    ids = truth(silent, "channel_ids.csv")
    app_ids = ids[ids.channel == "app"]
    assert set(app_ids[app_ids.id_kind == "app_user_id"].id) == set(sent.app_user_id)
    plain_ids = truth(plain, "channel_ids.csv")
    pd.testing.assert_frame_equal(ids[ids.channel != "app"].reset_index(drop=True),
                                  plain_ids[plain_ids.channel != "app"].reset_index(drop=True))  # fmt: skip


def test_crm_birth_years_blanks_thirty_percent(runs):
    plain, crm = runs["plain"][0], runs["crm"][0]
    assert _differing(plain, crm) == {CRM, "_truth/scenario.json"}
    before, after = frame(plain, CRM), frame(crm, CRM)
    assert len(after) > 500
    assert 0.25 <= (after.birth_year == "").mean() <= 0.35
    assert (before.birth_year == "").mean() < 0.1
    pd.testing.assert_frame_equal(before.drop(columns="birth_year"), after.drop(columns="birth_year"))
    given = after.birth_year != ""
    assert (after.birth_year[given] == before.birth_year[given]).all()  # only blanks are added


def test_scenario_file_lists_the_incidents(runs):
    assert _scenario(runs["cents"][0]) == {
        "name": "steady",
        "incidents": [{"name": "cents", "channel": "ecommerce", "start": CENTS_START, "factor": 100}],
    }
    assert _scenario(runs["silent"][0])["incidents"] == [
        {"name": "silent_channel", "channel": "app", "start": SILENT_START}
    ]
    assert _scenario(runs["crm"][0])["incidents"] == [
        {"name": "crm_birth_years", "source": "crm_customers", "column": "birth_year", "blank_share": 0.3}
    ]
    shift, combined = _scenario(runs["dirty_shift"][0]), _scenario(runs["dirty_shift_all"][0])
    assert shift["name"] == "shift" and "incidents" not in shift
    assert combined.pop("incidents") == [
        {"name": "cents", "channel": "ecommerce", "start": CENTS_START, "factor": 100},
        {"name": "silent_channel", "channel": "app", "start": SILENT_START},
        {"name": "crm_birth_years", "source": "crm_customers", "column": "birth_year", "blank_share": 0.3},
    ]
    assert combined == shift


def test_incidents_combine_with_dirty_and_shift(runs):
    (base, _), (out, counts) = runs["dirty_shift"], runs["dirty_shift_all"]
    app = set(data_files(base, "app"))
    touched = {*app, *data_files(base, "ecommerce"), CRM, "_truth/scenario.json", "_truth/channel_ids.csv",
               "_truth/injected.csv", "crm/customers_2025-12-31_latin1.csv"}  # fmt: skip
    assert _differing(base, out) <= touched
    assert not _differing(base, out) & {f for f in _files(base) if f.startswith(("pos", "marketplace"))}
    # Injected rows outside the app keep their row numbers; in the app they point at the broken rows.
    injected, plain_injected = truth(out, "injected.csv"), truth(base, "injected.csv")
    pd.testing.assert_frame_equal(injected[injected.source != "app"].reset_index(drop=True),
                                  plain_injected[plain_injected.source != "app"].reset_index(drop=True))  # fmt: skip
    app_rows = {f: rows(out, f) for f in data_files(out, "app")}
    assert sum(map(len, app_rows.values())) == counts["app"]
    recorded = injected[injected.source == "app"]
    assert len(recorded) > 0
    broken = {(f, int(n)): reason for f, n, reason in zip(recorded.file, recorded.row_number, recorded.reason,
                                                          strict=True)}  # fmt: skip
    for (f, n), reason in broken.items():
        assert _looks(reason, app_rows[f][n - 1], app_rows[f][: n - 1]), (f, n, reason)
    clean = [r for f, rs in app_rows.items() for i, r in enumerate(rs) if (f, i + 1) not in broken]
    assert not [r for r in clean if any(_looks(reason, r, []) for reason in VALUE_PROBLEMS)]
    times = [r[5] for r in clean]
    assert len(times) > 50 and max(t[:10] for t in times) < SILENT_START
    # The web shop's rows, broken ones included, are those of the plain dirty run; money is x100 in the window.
    files = data_files(base, "ecommerce")
    before = pd.concat(frame(base, f) for f in files).reset_index(drop=True)
    web = pd.concat(frame(out, f) for f in files).reset_index(drop=True)
    pd.testing.assert_frame_equal(before.drop(columns=["price", "discount"]), web.drop(columns=["price", "discount"]))
    day = before.created_at.str[:10]
    known = day.str.fullmatch(r"2025-(0\d|1[0-2])-\d\d") & before.price.str.fullmatch(r"-?\d+(\.\d\d)?")
    late = known & (day >= CENTS_START)
    assert late.sum() > 50
    for column in ("price", "discount"):
        assert (before.loc[known & ~late, column] == web.loc[known & ~late, column]).all()
        assert (web.loc[late, column].map(Decimal) == before.loc[late, column].map(Decimal) * 100).all()
    assert 0.25 <= (frame(out, CRM).birth_year == "").mean() <= 0.35


def _looks(reason: str, row: list[str], earlier: list[list[str]]) -> bool:
    """Whether an app row (order_id, .., event_time 5, .., unit_price 9, .., currency 11) shows the problem."""
    price, stamp = row[9], row[5]
    checks = {
        "unparseable number in unit_price": lambda: "x" in price,
        "unparseable date in ordered_at": lambda: stamp[5:10] == "13-45",
        "missing required order_id": lambda: row[0] == "",
        "unknown currency": lambda: row[11] == "XXX",
        "timestamp in the future": lambda: stamp.startswith("2099"),
        "negative price": lambda: price.startswith("-"),
        "duplicate line key": lambda: row in earlier,
    }
    return checks[reason]()
