"""A real `dagster dev` (webserver and daemon) on a free 127.0.0.1 port, driven through its GraphQL API."""

from __future__ import annotations

import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from datetime import date
from pathlib import Path

import pytest

from pipelines.demo.generator import DemoSpec, generate
from pipelines.resources import StratifyResource, dagster_home

REPO = Path(__file__).resolve().parent.parent
SELECTOR = {"repositoryLocationName": "stratify", "repositoryName": "__repository__"}
LAUNCH = """
mutation Launch($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}"""
RUN = """
query Run($runId: ID!) {
  runOrError(runId: $runId) { ... on Run { status startTime endTime tags { key value } } }
}"""


def free_port() -> int:
    """A free 127.0.0.1 port from this test worker's own range.

    The kernel's bind(0) readily hands the port it just released to the next caller, so two pytest-xdist
    workers starting servers at once could both get it; disjoint ranges per worker rule that out.
    """
    worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
    first = 20_000 + 1_000 * worker
    for port in random.Random(os.getpid()).sample(range(first, first + 1_000), 1_000):
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {first}..{first + 999}")


class DagsterDev:
    def __init__(self, port: int, log: Path, home: Path | None = None):
        self.port, self.log, self.home = port, log, home

    def query(self, query: str, variables: dict | None = None) -> dict:
        body = json.dumps({"query": query, "variables": variables or {}}).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/graphql", data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=30) as response:
            data = json.loads(response.read())
        assert "errors" not in data, data["errors"]
        return data["data"]

    def launch(self, job: str, partition_key: str | None = None) -> str:
        tags = [{"key": "dagster/partition", "value": partition_key}] if partition_key else []
        params = {"selector": {**SELECTOR, "jobName": job}, "executionMetadata": {"tags": tags}}
        result = self.query(LAUNCH, {"params": params})["launchRun"]
        assert result["__typename"] == "LaunchRunSuccess", result
        return result["run"]["runId"]

    def wait(self, run_id: str, timeout: float = 600) -> dict:
        """The run once it has finished (success or not); fails the test on timeout, with the server log."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            run = self.query(RUN, {"runId": run_id})["runOrError"]
            if run["status"] in ("SUCCESS", "FAILURE", "CANCELED"):
                return run
            time.sleep(2)
        raise AssertionError(f"run {run_id} did not finish in {timeout}s\n{self.log.read_text()[-3000:]}")


@contextmanager
def dagster_dev(env: dict, log: Path):
    """Start `dagster dev` with the given environment; wait until it serves the code location; stop it."""
    port = free_port()
    bin_dir = Path(sys.executable).parent
    handle = open(log, "w")
    server = subprocess.Popen(
        [str(bin_dir / "dagster"), "dev", "-h", "127.0.0.1", "-p", str(port), "-w", "workspace.yaml"],
        cwd=REPO,
        env={**env, "PATH": f"{bin_dir}{os.pathsep}{env.get('PATH', '')}"},
        stdout=handle,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    dev = DagsterDev(port, log, Path(env["STRATIFY_HOME"]) if "STRATIFY_HOME" in env else None)
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                if dev.query("{ assetNodes { id } }")["assetNodes"]:
                    break
            except (OSError, AssertionError):
                pass
            assert server.poll() is None, f"dagster dev exited:\n{log.read_text()[-3000:]}"
            time.sleep(1)
        else:
            raise AssertionError(f"dagster dev did not come up:\n{log.read_text()[-3000:]}")
        yield dev
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:  # a graceful shutdown is not what is tested: on a loaded machine it took the whole minute allowed
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=30)
        handle.close()


@contextmanager
def demo_dagster_dev(home: Path, seed: int):
    """`dagster dev` on a new STRATIFY_HOME landing a small demo (300 customers, 150 days to 2025-12-31),
    with the instance settings Stratify writes (run queue, pools), as `make ui` starts it."""
    generate(DemoSpec(customers=300, days=150, end=date(2025, 12, 31), seed=seed), home / "landing")
    env = {
        **os.environ,
        "STRATIFY_HOME": str(home),
        "DAGSTER_HOME": str(home / "dagster"),
        "STRATIFY_PII_SALT": "test-salt",
    }
    env.pop("STRATIFY_CONFIG", None)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("STRATIFY_HOME", str(home))
        mp.setenv("DAGSTER_HOME", str(home / "dagster"))
        dagster_home(StratifyResource().paths)
    with dagster_dev(env, home / "dagster-dev.log") as server:
        yield server
