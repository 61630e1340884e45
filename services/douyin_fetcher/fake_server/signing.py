"""The strict mode's signature check: the Python twin of ``test_sign.js`` over the X-MS-STUB.

The stub is the one of docs/protocol/douyin.md §2.4.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from pathlib import Path

from shared.platforms.douyin.signer import x_ms_stub

__all__ = ["TEST_SIGNER_JS", "expected_signature", "reference_signature"]

TEST_SIGNER_JS = Path(__file__).with_name("test_sign.js")


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
