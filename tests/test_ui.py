"""`make ui` serves Stratify's asset graph on 127.0.0.1 (dagster dev: webserver and daemon)."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.dagster_dev import free_port

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def _graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/graphql",
        data=json.dumps({"query": query}).encode(),
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_make_ui_serves_the_asset_graph(home, tmp_path):
    port = free_port()
    # PATH without the virtualenv, as on a fresh shell: `make ui` must find dbt and dagster itself.
    path = os.pathsep.join(p for p in os.environ["PATH"].split(os.pathsep) if Path(p) != Path(sys.executable).parent)
    env = {**os.environ, "PATH": path, "DAGSTER_HOME": str(home / "dagster")}
    log = open(tmp_path / "ui.log", "w")
    server = subprocess.Popen(
        ["make", "-s", "ui", f"UI_PORT={port}"],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline, data = time.monotonic() + 120, None
        while time.monotonic() < deadline:
            try:
                data = _graphql(port, "{ assetNodes { assetKey { path } groupName } }")
                if data.get("data", {}).get("assetNodes"):
                    break
            except OSError:
                pass
            time.sleep(1)
        ui_log = (tmp_path / "ui.log").read_text()
        assert data and data["data"]["assetNodes"], f"UI served no assets: {data}\n{ui_log[-3000:]}"
        assert "Error loading" not in ui_log, ui_log[-3000:]
        keys = {"/".join(n["assetKey"]["path"]): n["groupName"] for n in data["data"]["assetNodes"]}
        assert keys["raw/pos"] == "ingest"
        assert keys["marts/customer_features"] == "transform"
        assert keys["publish/customer_tiers"] == "publish"
    finally:
        # Ctrl-C, as a user stops `make ui`. Shutting the services down can outlast a loaded CI machine's
        # patience; then the group is killed (shutdown time is not what this test is about).
        os.killpg(server.pid, signal.SIGINT)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)
        log.close()
