"""Drift test fixtures: a real webhook receiver on 127.0.0.1, a closed port, and headless Chromium."""

import json
import shutil
import socket
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


class Receiver:
    """Records every JSON body POSTed to it; answers 500 to the first `fail_first` requests."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.requests = 0
        self.fail_first = 0
        handler = self._handler()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def _handler(self):
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server's naming)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.requests += 1
                if receiver.requests <= receiver.fail_first:
                    self.send_response(500)
                    self.end_headers()
                    return
                receiver.received.append(json.loads(body))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        return Handler


@pytest.fixture
def webhook():
    receiver = Receiver()
    receiver.thread.start()
    yield receiver
    receiver.server.shutdown()
    receiver.server.server_close()


@pytest.fixture
def closed_port_url() -> str:
    """A loopback URL nobody listens on: the port was bound, then released."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/hook"


@pytest.fixture(scope="session")
def chromium() -> tuple[str, str]:
    """Paths of chromium and chromedriver, installed with .ci/install-browser when missing."""
    if not (shutil.which("chromium") and shutil.which("chromedriver")):
        done = subprocess.run([str(REPO / ".ci" / "install-browser")], capture_output=True, text=True)
        if done.returncode != 0:
            pytest.fail(f".ci/install-browser failed: {done.stderr[-2000:]}")
    return shutil.which("chromium"), shutil.which("chromedriver")
