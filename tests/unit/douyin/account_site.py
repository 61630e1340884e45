"""A small stand-in for the site's account endpoint (``/webcast/user/me/``), for unit tests of the account check.

Session ``good`` is logged in as 测试主播 (id 9001); any other session is answered 20003 (not logged in), as the site
does. Paths under ``/broken/`` answer a captcha page, under ``/down/`` a 502.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest


class AccountSite(BaseHTTPRequestHandler):
    sessions: ClassVar[dict[str, tuple[str, str]]] = {"good": ("测试主播", "9001")}
    seen: ClassVar[list[dict[str, str]]] = []

    def do_GET(self) -> None:
        type(self).seen.append({"path": self.path, "cookie": self.headers.get("Cookie", "")})
        if self.path.startswith("/broken/"):
            body, status = b"<html>captcha</html>", 200
        elif self.path.startswith("/down/"):
            body, status = b"", 502
        else:
            cookies = dict(p.strip().split("=", 1) for p in self.headers.get("Cookie", "").split(";") if "=" in p)
            user = self.sessions.get(cookies.get("sessionid", ""))
            answer = (
                {"status_code": 0, "data": {"id_str": user[1], "nickname": user[0], "avatar_thumb": {"url_list": []}}}
                if user
                else {"status_code": 20003, "data": {"prompts": "用户未登录"}}
            )
            body, status = json.dumps(answer).encode(), 200
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def site() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), AccountSite)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    AccountSite.seen.clear()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()
