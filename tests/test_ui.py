"""The Dagster webserver serves Stratify's asset graph on 127.0.0.1 (what `make ui` starts)."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=json.dumps({"query": query}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_webserver_serves_the_asset_graph(home):
    port = _free_port()
    exe = Path(sys.executable).with_name("dagster-webserver")
    env = {**os.environ, "DAGSTER_HOME": str(home / "dagster")}
    (home / "dagster").mkdir()
    (home / "dagster" / "dagster.yaml").write_text("telemetry:\n  enabled: false\n")
    server = subprocess.Popen([str(exe), "-h", "127.0.0.1", "-p", str(port), "-w", "workspace.yaml"], cwd=REPO,
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
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
        assert data and data["data"]["assetNodes"], f"webserver did not serve assets: {data}"
        keys = {"/".join(n["assetKey"]["path"]): n["groupName"] for n in data["data"]["assetNodes"]}
        assert keys["raw/pos"] == "ingest"
        assert keys["marts/customer_features"] == "transform"
        assert keys["publish/customer_tiers"] == "publish"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
