"""Hardening #12, finding 12: the launcher's control channel over a real socket survives whatever a client sends."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from launcher.control import ControlServer, request

TOKEN = "control-test-token"
READ_TIMEOUT = 0.5


def handler(cmd: str, req: dict[str, Any]) -> dict[str, Any]:
    if cmd == "status":
        return {"ok": True}
    if cmd == "boom":
        raise RuntimeError("the command broke")
    raise ValueError(f"unknown command {cmd!r}")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ControlServer]:
    srv = ControlServer(tmp_path / "run", TOKEN, handler, read_timeout=READ_TIMEOUT)
    srv.start()
    yield srv
    srv.close()


def exchange(port: int, data: bytes, timeout: float = 5.0) -> bytes:
    """Send ``data`` and read until the server closes the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    return received


def well_formed_request_works(server: ControlServer) -> None:
    assert request(server.run_dir, TOKEN, "status", timeout=5) == {"ok": True}


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        pytest.param(b"[1, 2, 3]\n", "must be a JSON object", id="list"),
        pytest.param(b'"status"\n', "must be a JSON object", id="string"),
        pytest.param(b"42\n", "must be a JSON object", id="number"),
        pytest.param(b"null\n", "must be a JSON object", id="null"),
        pytest.param(b"\x00\xff{not json\n", "not JSON", id="garbage"),
        pytest.param(b'{"token": ["x"], "cmd": "status"}\n', "bad token", id="token-not-a-string"),
        pytest.param(b'{"token": "nope", "cmd": "status"}\n', "bad token", id="wrong-token"),
        pytest.param(json.dumps({"token": TOKEN, "cmd": 7}).encode() + b"\n", "cmd must be a string", id="cmd-int"),
        pytest.param(json.dumps({"token": TOKEN, "cmd": "boom"}).encode() + b"\n", "the command broke", id="fails"),
        pytest.param(b'{"token": "', "incomplete", id="no-newline-then-eof"),
    ],
)
def test_a_bad_request_gets_an_error_reply_and_the_server_goes_on(
    server: ControlServer, line: bytes, reason: str
) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(line)
        sock.shutdown(socket.SHUT_WR)
        received = b""
        while chunk := sock.recv(65536):
            received += chunk
    reply = json.loads(received)
    assert reply["status"] == "error" and reason in reply["reason"]
    well_formed_request_works(server)


def test_a_silent_client_is_dropped_after_the_read_timeout(server: ControlServer) -> None:
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as silent:
        well_formed_request_works(server)  # answered while the silent client holds its connection
        assert silent.recv(100) == b""  # the server closed the connection: nothing sent, nothing answered
    assert time.monotonic() - started < READ_TIMEOUT + 3
    well_formed_request_works(server)


def test_a_trickling_client_is_dropped_too(server: ControlServer) -> None:
    started = time.monotonic()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as slow:
        closed = False
        while time.monotonic() - started < READ_TIMEOUT + 3:
            try:
                slow.sendall(b" ")
            except OSError:
                closed = True
                break
            slow.settimeout(0.1)
            try:
                if slow.recv(100) == b"":
                    closed = True
                    break
            except TimeoutError:
                pass
        assert closed
    well_formed_request_works(server)


def test_a_line_over_the_limit_is_refused(server: ControlServer) -> None:
    try:
        received = exchange(server.port, b'{"token": "' + b"x" * 70_000 + b'"}\n')
    except ConnectionResetError:
        received = b""  # the server closed with our surplus unread: the kernel may reset before we read the reply
    if received:
        reply = json.loads(received)
        assert reply["status"] == "error" and "too long" in reply["reason"]
    well_formed_request_works(server)
