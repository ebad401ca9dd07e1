"""The demo generator's file contract, determinism, identities and money formats (clean runs)."""

from __future__ import annotations

import filecmp
import json
import re
from datetime import date

import pandas as pd
import pytest

from pipelines.demo.generator import DemoSpec, generate
from tests.demo.conftest import SMALL
from tests.demo.landing import COUNTRY_NAMES, data_files, frame, header, order_lines, rows, truth

HEADERS = {
    "pos": "store_id,receipt_id,line_no,sold_at,loyalty_id,sku,category,qty,unit_price,discount,currency,is_return",
    "ecommerce": "order_number,line_id,customer_email,delivery_phone,ship_country,created_at,sku,category,quantity,"
    "price,discount,currency",
    "app": "order_id,line_no,app_user_id,account_email,device_id_hash,event_time,sku,category,qty,unit_price,discount,"
    "currency,country",
    "marketplace": "buyer_id,mp_order_id,item_seq,order_ts,sku,category,units,unit_price,currency,buyer_country,"
    "loyalty_number,buyer_phone",
}
FIXED_FILES = {
    "stores/stores.csv": "store_id,country,city,timezone,currency,opened_date",
    "fx/fx_rates.csv": "rate_date,currency,eur_per_unit",
    "crm/customers_2025-12-31.csv": "loyalty_id,email,phone,birth_year,gender,city,country,signup_date,"
    "profiling_consent,app_user_id",
    "_truth/persons.csv": "person_id,archetype,country,is_member,loyalty_id,email,phone_e164,app_user_id,"
    "marketplace_buyer_id,profiling_consent",
    "_truth/channel_ids.csv": "channel,id_kind,id,person_id",
    "_truth/injected.csv": "source,file,row_number,reason",
    "_truth/rejected_files.csv": "source,file,problem",
}
ZONES = {"DE": ("Europe/Berlin", "EUR"), "FR": ("Europe/Paris", "EUR"), "GB": ("Europe/London", "GBP"),
         "US": ("America/New_York", "USD"), "JP": ("Asia/Tokyo", "JPY")}  # fmt: skip


def _months(spec: DemoSpec) -> list[str]:
    return sorted(pd.period_range(spec.start, spec.end, freq="M").strftime("%Y-%m"))


def test_same_spec_same_bytes_other_seed_other_bytes(tmp_path):
    spec = DemoSpec(customers=120, days=60, seed=11, dirty=True)
    generate(spec, tmp_path / "a")
    generate(spec, tmp_path / "b")
    generate(DemoSpec(customers=120, days=60, seed=12, dirty=True), tmp_path / "c")
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert len(files) > 15
    assert sorted(p.relative_to(tmp_path / "b") for p in (tmp_path / "b").rglob("*") if p.is_file()) == files
    assert all(filecmp.cmp(tmp_path / "a" / f, tmp_path / "b" / f, shallow=False) for f in files)
    differs = [f for f in files if (tmp_path / "c" / f).exists()
               and not filecmp.cmp(tmp_path / "a" / f, tmp_path / "c" / f, shallow=False)]  # fmt: skip
    assert "_truth/persons.csv" in [f.as_posix() for f in differs] and len(differs) > 10


def test_every_contract_file_exists_with_its_exact_header(clean_out):
    for file, expected in FIXED_FILES.items():
        assert header(clean_out, file) == expected.split(","), file
    months = _months(SMALL)
    for source, expected in HEADERS.items():
        files = data_files(clean_out, source)
        assert files, source
        for file in files:
            assert header(clean_out, file) == expected.split(","), file
        assert sorted({re.search(r"\d{4}-\d{2}", f).group() for f in files}) == months
    assert data_files(clean_out, "pos") == sorted(
        [f"pos/pos_{m}.csv" for m in months] + [f"pos_de/pos_de_{m}.csv" for m in months]
    )
    assert json.loads((clean_out / "_truth/scenario.json").read_text()) == {"name": "steady"}


def test_generate_returns_rows_written_per_source(clean_out, tmp_path):
    counts = generate(DemoSpec(customers=50, days=40, seed=1), tmp_path)
    assert set(counts) == {"stores", "fx_rates", "crm_customers", "pos", "ecommerce", "app", "marketplace"}
    for source in ("pos", "ecommerce", "app", "marketplace"):
        assert counts[source] == sum(len(rows(tmp_path, f)) for f in data_files(tmp_path, source)) > 0
    assert counts["crm_customers"] == len(rows(tmp_path, "crm/customers_2025-12-31.csv"))


def test_stores_and_fx_reference_data(clean_out):
    stores = frame(clean_out, "stores/stores.csv")
    assert stores.groupby("country").size().between(2, 4).all() and set(stores.country) == set(ZONES)
    for _, s in stores.iterrows():
        assert (s.timezone, s.currency) == ZONES[s.country]
        assert date.fromisoformat(s.opened_date) < SMALL.start
    assert stores.store_id.is_unique and stores.store_id.str.fullmatch(r"S\d{3}").all()
    fx = frame(clean_out, "fx/fx_rates.csv")
    days = pd.to_datetime(fx.rate_date)
    assert set(fx.currency) == {"GBP", "USD", "JPY"} and (days.dt.weekday < 5).all()
    weekdays = pd.bdate_range(SMALL.start, SMALL.end)
    assert len(fx) == 3 * len(weekdays) and fx.eur_per_unit.str.fullmatch(r"\d+\.\d{6}").all()
    means = fx.assign(rate=fx.eur_per_unit.astype(float)).groupby("currency").rate.mean()
    assert means["GBP"] == pytest.approx(1.17, rel=0.1) and means["JPY"] == pytest.approx(0.0062, rel=0.1)


def test_unknown_country_or_scenario_is_rejected(tmp_path):
    with pytest.raises(ValueError, match="XX"):
        generate(DemoSpec(customers=5, days=5, countries=("DE", "XX")), tmp_path)
    with pytest.raises(ValueError, match="scenario"):
        generate(DemoSpec(customers=5, days=5, scenario="boom"), tmp_path)


def test_every_truth_id_appears_in_the_files_and_vice_versa(clean_out):
    ids = truth(clean_out, "channel_ids.csv")
    persons = truth(clean_out, "persons.csv").set_index("person_id")
    crm = frame(clean_out, "crm/customers_2025-12-31.csv")
    pos = pd.concat([frame(clean_out, f) for f in data_files(clean_out, "pos")])
    web = pd.concat([frame(clean_out, f) for f in data_files(clean_out, "ecommerce")])
    app = pd.concat([frame(clean_out, f) for f in data_files(clean_out, "app")])
    mp = pd.concat([frame(clean_out, f) for f in data_files(clean_out, "marketplace")])
    seen = {
        ("crm", "loyalty_id"): set(crm.loyalty_id),
        ("crm", "email"): set(crm.email.str.strip().str.lower()),
        ("crm", "app_user_id"): set(crm.app_user_id) - {""},
        ("pos", "loyalty_id"): set(pos.loyalty_id) - {""},
        ("ecommerce", "email"): set(web.customer_email.str.strip().str.lower()),
        ("app", "app_user_id"): set(app.app_user_id),
        ("app", "email"): set(app.account_email),
        ("marketplace", "buyer_id"): set(mp.buyer_id),
        ("marketplace", "loyalty_id"): set(mp.loyalty_number.dropna()),
    }
    by_email = persons.reset_index().set_index("email").phone_e164
    by_buyer = persons.reset_index().set_index("marketplace_buyer_id").phone_e164
    web_phoned, mp_phoned = web[web.delivery_phone != ""], mp[mp.buyer_phone.notna()]
    seen |= {  # phones are written as their owner wrote them; the truth holds them in E.164
        ("crm", "phone"): set(persons.loc[persons.is_member == "1", "phone_e164"]),
        ("ecommerce", "phone"): set(by_email[web_phoned.customer_email.str.strip().str.lower()]),
        ("marketplace", "phone"): set(by_buyer[mp_phoned.buyer_id]),
    }
    for shown, owner in ((web_phoned.delivery_phone, by_email[web_phoned.customer_email.str.strip().str.lower()]),
                         (mp_phoned.buyer_phone, by_buyer[mp_phoned.buyer_id])):  # fmt: skip
        digits = shown.str.replace(r"\D", "", regex=True).str[-7:].to_numpy()
        assert (digits == owner.str[-7:].to_numpy()).all()  # the delivery phone is the buyer's own
    assert set(ids.groupby(["channel", "id_kind"]).groups) == set(seen)
    for (channel, kind), values in seen.items():
        assert set(ids[(ids.channel == channel) & (ids.id_kind == kind)].id) == values, (channel, kind)
    # ...and each id points at the person the truth says holds it.
    for kind, column in (("loyalty_id", "loyalty_id"), ("email", "email"), ("app_user_id", "app_user_id"),
                         ("buyer_id", "marketplace_buyer_id")):  # fmt: skip
        sel = ids[ids.id_kind == kind]
        assert (persons[column].reindex(sel.person_id).to_numpy() == sel.id.to_numpy()).all(), kind


def test_identity_rates(clean_out):
    persons = truth(clean_out, "persons.csv")
    members = persons[persons.is_member == "1"]
    assert 0.6 < len(members) / len(persons) < 0.8
    assert persons.email.is_unique and members.loyalty_id.str.fullmatch(r"L\d{8}").all()
    crm = frame(clean_out, "crm/customers_2025-12-31.csv")
    assert set(crm.loyalty_id) == set(members.loyalty_id)
    assert 0.75 < (crm.profiling_consent == "Y").mean() < 0.95 and (crm.birth_year == "").mean() < 0.1
    assert crm.phone.str.startswith("+").any() and crm.phone.str.match(r"0\d").any()
    web = pd.concat([frame(clean_out, f) for f in data_files(clean_out, "ecommerce")])
    assert 0.06 < (web.customer_email != web.customer_email.str.strip().str.lower()).mean() < 0.14
    pos = pd.concat([frame(clean_out, f) for f in data_files(clean_out, "pos")])
    shown = pos.loyalty_id[pos.loyalty_id != ""]
    assert set(shown) <= set(members.loyalty_id) and 0.5 < len(shown) / len(pos) < 0.85
    mp = pd.concat([frame(clean_out, f) for f in data_files(clean_out, "marketplace")])
    # Linking is per account: a buyer's orders all carry the loyalty number or none does.
    per_buyer = mp.groupby("buyer_id").loyalty_number.agg(lambda s: s.notna().mean())
    assert set(per_buyer.unique()) <= {0.0, 1.0} and 0.4 < per_buyer.mean() < 0.9
    # Delivery phones are per account too: all of a shopper's web orders (or a buyer's marketplace orders) show
    # it or none does, so the evidence is there from the first order on.
    per_shopper = web.groupby(web.customer_email.str.strip().str.lower()).delivery_phone.agg(lambda s: (s != "").mean())
    per_buyer = mp.groupby("buyer_id").buyer_phone.agg(lambda s: s.notna().mean())
    assert set(per_shopper.unique()) <= {0.0, 1.0} and 0.75 < per_shopper.mean() < 0.95
    assert set(per_buyer.unique()) <= {0.0, 1.0} and 0.6 < per_buyer.mean() < 0.9


def test_prices_are_local_and_jpy_is_whole(clean_out):
    lines = order_lines(clean_out)
    assert lines.unit_price.notna().all() and (lines.unit_price > 0).all() and (lines.discount >= 0).all()
    assert (lines.currency == lines.country.map({c: z[1] for c, z in ZONES.items()})).all()
    jpy = lines[lines.currency == "JPY"]
    assert len(jpy) and jpy.price_text.str.fullmatch(r"\d+").all()
    others = lines[lines.currency != "JPY"]
    assert others.price_text.str.fullmatch(r"\d+[.,]\d{2}").all()
    sales = lines[lines.qty > 0]
    mean = sales.groupby("currency").unit_price.mean()
    # Local price levels: JPY ~150x, GBP ~0.85x, USD ~1.08x EUR (wide bounds: few customers each).
    assert 90 < mean["JPY"] / mean["EUR"] < 250
    assert 0.5 < mean["GBP"] / mean["EUR"] < 1.2 and 0.7 < mean["USD"] / mean["EUR"] < 1.6


def test_de_pos_uses_semicolons_and_decimal_commas(clean_out):
    for file in data_files(clean_out, "pos"):
        first = (clean_out / file).read_text(encoding="utf-8").splitlines()[1]
        f = frame(clean_out, file)
        if file.startswith("pos_de/"):
            assert first.count(";") == 11 and "." not in first
            assert f.unit_price.str.fullmatch(r"\d+,\d{2}").all() and f.discount.str.fullmatch(r"\d+,\d{2}").all()
        else:
            assert first.count(",") == 11 and ";" not in first


def test_returns_come_back_later_in_the_same_channel(clean_out):
    lines = order_lines(clean_out)
    returns = lines[lines.qty < 0]
    assert 0.02 < len(returns) / len(lines) < 0.06
    assert set(returns.channel) == {"pos", "ecommerce", "app", "marketplace"}
    assert returns.groupby("order_id").size().eq(1).all()  # a return is its own order
    assert not returns.order_id.isin(lines[lines.qty > 0].order_id).any()
    pos = pd.concat([frame(clean_out, f) for f in data_files(clean_out, "pos")])
    assert ((pos.is_return == "1") == pos.qty.str.startswith("-")).all()


def test_ids_are_unique_and_timestamps_follow_each_source(clean_out):
    lines = order_lines(clean_out)
    for channel, group in lines.groupby("channel"):
        owners = group.groupby("order_id").file.nunique()
        assert (owners == 1).all(), channel  # an order never spans files
    pos = pd.concat([frame(clean_out, f) for f in data_files(clean_out, "pos")])
    assert not pos.duplicated(["receipt_id", "line_no"]).any()
    assert pos.sold_at.str.fullmatch(r"\d{4}-\d\d-\d\d (0[89]|1\d|20):\d\d:\d\d").all()
    web = pd.concat([frame(clean_out, f) for f in data_files(clean_out, "ecommerce")])
    offsets = web.created_at.str[-6:].groupby(web.ship_country.map(COUNTRY_NAMES)).unique()
    assert set(offsets["JP"]) == {"+09:00"} and set(offsets["DE"]) == {"+01:00", "+02:00"}
    assert set(offsets["US"]) == {"-05:00", "-04:00"} and set(offsets["GB"]) == {"+00:00", "+01:00"}
    app = pd.concat([frame(clean_out, f) for f in data_files(clean_out, "app")])
    assert app.event_time.str.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ").all()
    assert app.device_id_hash.str.fullmatch(r"[0-9a-f]{64}").all()
    assert lines.day.min() >= pd.Timestamp(SMALL.start) and lines.day.max() <= pd.Timestamp(SMALL.end)


def test_december_peak(clean_out):
    lines = order_lines(clean_out)
    per_month = lines[lines.qty > 0].groupby(lines.day.dt.month).order_id.nunique()
    assert per_month[12] > 1.3 * per_month.drop(12).mean()
