"""The strict mode's checks: the Python twin of ``test_sign.js`` over the X-MS-STUB (docs/protocol/douyin.md §2.4),
and the fake's ``a_bogus`` (the same rounds over a request's query and User-Agent, §7.6), which the room page's script
(``sdk.js``) computes in the browser.

The test signer itself (``tests/fixtures/signer/test_sign.js``, the JavaScript file a test hands the fetcher as its
``js:`` signer) is a test fixture, not part of this package: the desktop build ships this package for the demo, and a
signer file inside it could be picked up as a real one by mistake (docs/protocol/douyin.md §7.8). This module only
checks signatures; it cannot sign anything for the real site.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from urllib.parse import unquote

from shared.platforms.douyin.signer import x_ms_stub

__all__ = ["a_bogus_ok", "expected_signature", "fake_a_bogus", "reference_signature"]


def reference_signature(stub: str) -> str:
    """What ``test_sign.js``'s ``get_sign(stub)`` returns (FNV-1a rounds, base64 of 12 bytes)."""
    h = 0x811C9DC5
    out = bytearray()
    for round_ in range(3):
        for ch in stub:
            h = ((h ^ ord(ch)) * 0x01000193) & 0xFFFFFFFF
        h = ((h ^ (round_ + 1)) * 0x01000193) & 0xFFFFFFFF
        out += h.to_bytes(4, "big")
    return base64.b64encode(bytes(out)).decode()


def expected_signature(params: Mapping[str, str]) -> str:
    return reference_signature(x_ms_stub(params))


def fake_a_bogus(query: str, user_agent: str) -> str:
    """The fake's ``a_bogus`` for a query string (as sent, without ``a_bogus``) and the request's User-Agent."""
    return reference_signature(f"{query}|{user_agent}")


def a_bogus_ok(raw_query: str, user_agent: str) -> bool:
    """Whether a raw query carries the right ``a_bogus`` (appended last, as the page's fetch wrapper does)."""
    parts = raw_query.split("&")
    signed = [p for p in parts if not p.startswith("a_bogus=")]
    given = [unquote(p[len("a_bogus=") :]) for p in parts if p.startswith("a_bogus=")]
    return len(given) == 1 and given[0] == fake_a_bogus("&".join(signed), user_agent)
