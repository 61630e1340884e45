"""Take credentials out of text before it is written to a log.

Log files are read by people and attached to bug reports; a credential in them is a credential given away. Every log
line of the suite passes through :class:`Redactor`: the services' JSON lines (``shared/logs.py``, uvicorn's included,
as uvicorn logs through the root logger) and whatever a child prints, as the launcher pumps it into the service's log
file (``launcher/procs.py``). Redaction works on plain text, before any JSON escaping, and on structured values:

- ``name=value`` where the name says credential (``token=``, ``access_token=``, ``msToken=``, ``password=``,
  ``api_key=``, ``sessionid=``, ``sessionid_ss=``, ``uid_tt=`` ...), as in a query string or a cookie;
- a quoted ``"token": "value"`` pair, as in a logged dict or JSON body;
- ``Bearer …`` / ``Basic …`` credentials, as in an ``Authorization`` header;
- the password in a URL: ``scheme://user:secret@host``;
- the values the process knows to be secret (the suite token, the Redis password), wherever they appear;
- in a structured value (a log record's extra fields), the whole value of a key named like a credential.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["MASK", "Redactor", "redact"]

MASK = "***"

# Names whose value is a credential. "key" alone is left out: log lines name Redis keys with ``key=``.
# The Douyin login's cookies (#11) are credentials too: sessionid and its siblings, uid_tt, sid_ucp_v1.
_CREDENTIAL_NAME = (
    r"[\w.-]*(?:token|secret|passw(?:or)?d|pwd|api[_-]?key|access[_-]?key"
    r"|sessionid(?:_ss)?|sid_tt|sid_guard|uid_tt(?:_ss)?|sid_ucp_v1)"
)
_SECRET_KEY = re.compile(rf"(?i){_CREDENTIAL_NAME}|authorization|cookie")
# A value ends where a query parameter, a cookie, a quoted string or the line does.
_VALUE = r"[^\s&;,\"'<>]+"

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    # scheme://user:secret@host (an empty user too: redis://:password@host, unix://:password@/path)
    (re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://[^\s/:@\"']*):[^\s/@\"']+@"), rf"\1:{MASK}@"),
    # Authorization: Basic xyz (or any scheme, or none); the scheme is kept. Atomic, so that a second pass over
    # "Bearer ***" (the launcher redacts what a child already did) leaves it alone.
    (
        re.compile(r"(?i)\b(authorization[\"']?\s*[:=]\s*[\"']?(?>(?:[a-z-]+\s+)?))[A-Za-z0-9._~+/=-]+"),
        rf"\1{MASK}",
    ),
    # Bearer xyz elsewhere (the token quoted without its header); at least 8 characters, so that prose such as
    # "the bearer of" stays as it is
    (re.compile(r"(?i)\b(bearer\s+)[A-Za-z0-9._~+/=-]{8,}"), rf"\1{MASK}"),
    # token=xyz (query strings, cookies, key=value log fields)
    (re.compile(rf"(?i)(?<![\w.-])({_CREDENTIAL_NAME})=(?!\*\*\*)({_VALUE})"), rf"\1={MASK}"),
    # "token": "xyz" / 'token': 'xyz' (a logged dict or JSON text)
    (re.compile(rf"(?i)([\"'])({_CREDENTIAL_NAME})\1(\s*:\s*)([\"'])(?:\\.|(?!\4)[^\\])*\4"), rf"\1\2\1\3\4{MASK}\4"),
)

# A known secret shorter than this is not replaced wherever it appears: it would mangle ordinary words.
MIN_SECRET_LEN = 8


class Redactor:
    """Redacts the patterns above plus the given known secret values. Calling it redacts text."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        self._secrets: list[str] = []
        for secret in secrets:
            self.add(secret)

    def add(self, secret: str) -> None:
        if len(secret) >= MIN_SECRET_LEN and secret not in self._secrets:
            self._secrets.append(secret)
            self._secrets.sort(key=len, reverse=True)  # a secret that contains another goes first

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        for pattern, replacement in _PATTERNS:
            text = pattern.sub(replacement, text)
        return text

    def value(self, obj: object) -> object:
        """A structured value with every string redacted, and the value of any credential-named key masked."""
        if isinstance(obj, str):
            return self(obj)
        if isinstance(obj, dict):
            return {
                k: MASK if isinstance(k, str) and _SECRET_KEY.fullmatch(k) and v else self.value(v)
                for k, v in obj.items()
            }
        if isinstance(obj, list | tuple):
            return [self.value(v) for v in obj]
        if obj is None or isinstance(obj, bool | int | float):
            return obj
        return self(str(obj))  # anything else would be written as its str(): redact that


def redact(text: str, secrets: Iterable[str] = ()) -> str:
    """One-off redaction of ``text`` (the patterns, plus ``secrets``)."""
    return Redactor(secrets)(text)
