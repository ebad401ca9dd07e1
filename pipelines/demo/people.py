"""Persons and the identities they show to each channel.

One person appears under several ids: a loyalty id at the till and in the CRM, an e-mail in the web
shop, an app user id in the app, a buyer id on the marketplace. The truth keeps the person behind
them all, so that identity resolution can be scored. Persons are made one chunk at a time; every id
is a bijection of the person's global index, so ids are unique across chunks without shared state.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipelines.demo.countries import format_phone
from pipelines.demo.world import World

EXISTING_SHARE = 0.55  # persons already customers when the period starts; the rest join during it
_MULTIPLIER = 7_368_787  # coprime with every modulus below, so (i * M + salt) % modulus is a bijection


@dataclass(frozen=True)
class People:
    """One chunk of persons: numeric traits for the order generator, id strings for rendering."""

    first_index: int  # global index of the chunk's first person
    arch: np.ndarray
    country: np.ndarray
    member: np.ndarray
    uses_app: np.ndarray
    mix: np.ndarray  # (persons, channels) probabilities of each channel for an order
    spend: np.ndarray  # multiplies the archetype's basket
    freq: np.ndarray  # multiplies the archetype's order rate
    first_day: np.ndarray  # first day the person can order
    last_day: np.ndarray  # last day the person orders (earlier than the period's end when lapsing)
    home_store: np.ndarray
    city: np.ndarray  # index into the country's city pool
    devices: np.ndarray  # number of app devices (0 for persons without the app)
    consent: np.ndarray  # profiling consent given (members only)
    mp_linked: np.ndarray  # member linked the loyalty card to the marketplace account (every order shows it)
    person_id: pa.Array
    loyalty_id: pa.Array  # "" for non-members
    email: pa.Array  # normalised: lower case, no spaces
    app_user_id: pa.Array  # "" for persons without the app
    buyer_id: pa.Array  # "" for persons who never use the marketplace
    device_hash: pa.Array  # person * 2 + device -> sha256 hex of the device id
    phone: pa.Array  # as the person wrote it into the CRM
    phone_e164: pa.Array

    def __len__(self) -> int:
        return len(self.arch)


# Share of members who linked their loyalty card to their marketplace account (account-level, as
# marketplaces do): their marketplace orders carry the loyalty number, the others' never do.
MP_LINK_RATE = 0.85


def make_people(world: World, chunk: int, first_index: int, n: int) -> People:
    """Draw n persons; the chunk's own seed makes the result independent of other chunks."""
    rng = np.random.default_rng([world.seed, 1, chunk])
    a = world.arch
    arch = np.minimum(np.searchsorted(np.cumsum(a.share), rng.random(n), side="right"), len(a.share) - 1)
    country = rng.integers(0, len(world.countries), n)
    uses_app = rng.random(n) < a.app_adoption[arch]
    uses_mp = rng.random(n) < a.marketplace_adoption[arch]
    mix = a.channel_mix[arch] * rng.gamma(4.0, 0.25, (n, 4))
    mix[:, 2] *= uses_app
    mix[:, 3] *= uses_mp
    first_day, last_day = _activity(rng, world, arch, n)
    gid = first_index + np.arange(n, dtype=np.int64)
    member = rng.random(n) < a.member_rate[arch]
    return People(
        first_index=first_index,
        arch=arch,
        country=country,
        member=member,
        uses_app=uses_app,
        mix=mix / mix.sum(axis=1, keepdims=True),
        spend=rng.lognormal(0.0, 0.35, n),
        freq=rng.gamma(2.0, 0.5, n),
        first_day=first_day,
        last_day=last_day,
        home_store=world.store_first[country] + (rng.random(n) * world.store_count[country]).astype(np.int64),
        city=(rng.random(n) * np.array([len(p.cities) for p in world.pools])[country]).astype(np.int64),
        devices=np.where(uses_app, 1 + (rng.random(n) < 0.3), 0),
        consent=member & (rng.random(n) < 0.85),
        # Own stream: adding this draw must not shift the draws above for a given seed.
        mp_linked=member & (np.random.default_rng([world.seed, 7, chunk]).random(n) < MP_LINK_RATE),
        person_id=_numbered("P", gid + 1, 8),
        loyalty_id=_blank_unless(member, _numbered("L", _scramble(gid, 90_000_000, world.seed) + 10**7, 8)),
        email=_emails(rng, world, country, gid),
        app_user_id=_blank_unless(uses_app, _numbered("U", _scramble(gid, 10**9, world.seed + 1), 9)),
        buyer_id=_blank_unless(uses_mp, _numbered("MPB-", _scramble(gid, 10**10, world.seed + 2), 10)),
        device_hash=_device_hashes(world.seed, gid, uses_app),
        **_households(world, chunk, country, _phones(rng, world, country)),
    )


def _activity(rng: np.random.Generator, world: World, arch: np.ndarray, n: int):
    """First and last day a person orders. Lapsing persons stop after a share of their remaining time."""
    days = world.clock.days
    joins = np.where(rng.random(n) < EXISTING_SHARE, 0, rng.integers(0, days, n))
    fraction = world.arch.active_fraction[arch]
    stay = (days - joins) * np.where(fraction < 1.0, fraction * rng.uniform(0.5, 1.5, n), 1.0)
    return joins, np.clip(joins + stay.astype(np.int64), joins, days - 1)


def _scramble(gid: np.ndarray, modulus: int, salt: int) -> np.ndarray:
    return (gid * _MULTIPLIER + salt * 7919) % modulus


def _numbered(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    digits = pc.utf8_lpad(pc.cast(pa.array(numbers), pa.string()), width, "0")
    return pc.binary_join_element_wise(prefix, digits, "")


def _blank_unless(mask: np.ndarray, values: pa.Array) -> pa.Array:
    return pc.if_else(pa.array(mask), values, "")


def _emails(rng: np.random.Generator, world: World, country: np.ndarray, gid: np.ndarray) -> pa.Array:
    """name-based local part + the person's number (which makes it unique) @ a local free-mail domain."""
    first = _pick(rng, [p.first for p in world.pools], country)
    last = _pick(rng, [p.last for p in world.pools], country)
    domain = _pick(rng, [p.domains for p in world.pools], country)
    number = pc.cast(pa.array(gid + 1), pa.string())
    initial = pc.utf8_slice_codeunits(first, 0, 1)
    locals_ = [
        pc.binary_join_element_wise(first, last, "."),
        pc.binary_join_element_wise(first, last, ""),
        pc.binary_join_element_wise(initial, last, "."),
        pc.binary_join_element_wise(last, first, "_"),
    ]
    style = pa.array(rng.integers(0, len(locals_), len(gid)).astype(np.int8))
    local = pc.choose(style, *locals_)
    return pc.binary_join_element_wise(local, number, "@", domain, "")


def _pick(rng: np.random.Generator, pools: list[pa.Array], country: np.ndarray) -> pa.Array:
    """A random entry of the person's country's pool, for every person at once."""
    sizes = np.array([len(p) for p in pools])
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    idx = starts[country] + (rng.random(len(country)) * sizes[country]).astype(np.int64)
    return pa.concat_arrays(pools).take(pa.array(idx))


def _device_hashes(seed: int, gid: np.ndarray, uses_app: np.ndarray) -> pa.Array:
    """sha256 of two device ids per app user: the app reports a hash, never the id itself."""
    out = [""] * (2 * len(gid))
    for i in np.flatnonzero(uses_app):
        for k in (0, 1):
            out[2 * i + k] = hashlib.sha256(f"dev-{seed}-{gid[i]}-{k}".encode()).hexdigest()
    return pa.array(out, type=pa.string())


def _phones(rng: np.random.Generator, world: World, country: np.ndarray) -> dict[str, pa.Array]:
    """Phone numbers, ~40% written internationally (+49 30 ...) and the rest nationally (030 ...)."""
    n = len(country)
    area_u, sub_u, intl = rng.random(n), rng.random(n), rng.random(n) < 0.4
    shown, e164 = [], []
    for i in range(n):  # per person, not per order line: a chunk's persons are few
        plan = world.countries[country[i]].phone
        area = int(area_u[i] * len(plan.areas))
        width = sum(plan.areas[area][1])
        subscriber = 2 * 10 ** (width - 1) + int(sub_u[i] * 8 * 10 ** (width - 1))
        text, canonical = format_phone(plan, area, subscriber, bool(intl[i]))
        shown.append(text)
        e164.append(canonical)
    return {"phone": pa.array(shown, type=pa.string()), "phone_e164": pa.array(e164, type=pa.string())}


# Share of persons who give a phone they share with another person of their household (a landline, a
# partner's mobile): a phone that several customers give is evidence of nothing, and stitching must not
# merge them through it.
SHARED_PHONE_RATE = 0.03


def _households(world: World, chunk: int, country: np.ndarray, phones: dict[str, pa.Array]) -> dict[str, pa.Array]:
    """Some persons give the phone of another person of the chunk from the same country (own stream)."""
    rng = np.random.default_rng([world.seed, 9, chunk])
    n = len(country)
    source = np.arange(n)
    for i in np.flatnonzero(rng.random(n) < SHARED_PHONE_RATE):
        same = np.flatnonzero(country == country[i])
        source[i] = same[rng.integers(0, len(same))]
    return {k: v.take(pa.array(source)) for k, v in phones.items()}


def email_variants(email: pa.Array, variant: np.ndarray) -> pa.Array:
    """Same address as typed by a person: 0 as is, 1 Title Case, 2 UPPER, 3 wrapped in spaces."""
    forms = [
        email,
        pc.utf8_title(email),
        pc.utf8_upper(email),
        pc.binary_join_element_wise(" ", email, " ", ""),
    ]
    return pc.choose(pa.array(variant.astype(np.int8)), *forms)
