"""The launcher's HTTP health probe against a real local HTTP server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from launcher.probes import HttpProbe
from launcher.redis_embedded import free_port

ANSWERS: dict[str, tuple[int, bytes]] = {
    "/health": (200, b'{"pid": 4242, "status": "ok"}'),
    "/gateway": (200, b'{"services": {"gateway": {"pid": 4242}}}'),
    "/broken": (500, b'{"pid": 4242}'),
    "/html": (200, b"<html></html>"),
    "/list": (200, b"[4242]"),
}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        status, body = ANSWERS.get(self.path, (404, b"{}"))
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_healthy_only_for_the_pid_that_answers(server: str) -> None:
    assert HttpProbe(f"{server}/health").check(4242) == (True, None)
    assert HttpProbe(f"{server}/gateway").check(4242) == (True, None)
    healthy, detail = HttpProbe(f"{server}/health").check(1)
    assert not healthy and detail == "port answered for pid 4242, not 1"


@pytest.mark.parametrize(("path", "detail"), [("/broken", "HTTP 500"), ("/html", "not JSON"), ("/list", "not a JSON")])
def test_bad_answers_are_unhealthy_with_a_reason(server: str, path: str, detail: str) -> None:
    healthy, reason = HttpProbe(f"{server}{path}").check(4242)
    assert not healthy and reason is not None and detail in reason


def test_nothing_listening_is_unhealthy() -> None:
    healthy, reason = HttpProbe(f"http://127.0.0.1:{free_port()}/health", timeout=0.5).check(4242)
    assert not healthy and reason is not None and "ConnectionRefusedError" in reason
