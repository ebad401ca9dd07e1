"""Generated landing folders shared by the demo tests: each spec is generated once per session."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.demo import generator
from pipelines.demo.generator import DemoSpec, generate

SMALL = DemoSpec(customers=800, days=365, seed=3)
SCENARIO = DemoSpec(customers=1500, days=150, seed=5)
# Small chunks, so that small specs still append several chunks to each monthly file (and write
# several parquet parts): row numbers and id counters must carry across chunks.
TEST_CHUNK = 150


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch):
    monkeypatch.setattr(generator, "CHUNK", TEST_CHUNK)


def _generate(factory: pytest.TempPathFactory, name: str, spec: DemoSpec) -> Path:
    out = factory.mktemp(name)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(generator, "CHUNK", TEST_CHUNK)
        generate(spec, out)
    return out


@pytest.fixture(scope="session")
def clean_out(tmp_path_factory) -> Path:
    return _generate(tmp_path_factory, "clean", SMALL)


@pytest.fixture(scope="session")
def dirty_out(tmp_path_factory) -> Path:
    return _generate(tmp_path_factory, "dirty", DemoSpec(**{**SMALL.__dict__, "dirty": True}))


@pytest.fixture(scope="session")
def steady_out(tmp_path_factory) -> Path:
    return _generate(tmp_path_factory, "steady", SCENARIO)


@pytest.fixture(scope="session")
def shift_out(tmp_path_factory) -> Path:
    return _generate(tmp_path_factory, "shift", DemoSpec(**{**SCENARIO.__dict__, "scenario": "shift"}))
