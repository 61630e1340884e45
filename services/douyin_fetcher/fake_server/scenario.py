"""Scenario files for the fake Douyin server: JSON Lines, one step per line (``#`` comments and blank lines skipped).

The optional first line ``{"room": {...}}`` describes the room (``web_rid``, ``room_id``, ``title``, ``anchor_name``,
``live``). Every other line is a step ``{"op": ...}``:

traffic   ``frame``        ``{"events": [EVENT...], "gzip": true, "need_ack": true}`` — one PushFrame (see builders.py)
          ``steady``       ``{"rate": 5, "seconds": 60, "per_frame": 1, "base_msg_id": N, "prefix": "steady"}`` —
                             chats at a steady rate for that long (paced from the first connection; what falls due
                             while no client is connected goes out once one is), each stamped with the instant its
                             frame was built: content ``"<prefix> <n> @<time_ns>"``, msg id ``base_msg_id + n``.
                             Stops early when the room is asked to finish (``POST /__fake__/finish``)
          ``sleep``        ``{"s": 0.2}``
          ``replay``       ``{"n": 5}`` — send the last n messages again in a new frame (server replay after reconnect)
          ``dup_frame``    — send the previous frame's exact bytes again
          ``wait_acks``    — wait until every frame on the current connection was acked
faults    ``drop``         — abort the TCP connection without a close frame (client sees 1006), once every frame
                             was acked; ``{"wait_acks": false}`` aborts at once, mid-stream (unacked frames are
                             replayed first on the next connection)
          ``stall``        — keep the socket open, answer heartbeats, push nothing more on it
          ``close_frame``  — send a ``payload_type="close"`` frame
          ``reject``       ``{"n": 2, "status": 415}`` — refuse the next n handshakes (DEVICE_BLOCKED, or 502)
          ``change_room_id`` ``{"room_id": "..."}`` — a new broadcast session: new id, current connection dropped
          ``corrupt_gzip`` — a frame flagged gzip whose payload is not a valid gzip stream
          ``gzip_bomb``    ``{"mib": 512}`` — a frame whose gzip payload (~1/1000 of that) inflates to a valid
                             Response of that many MiB
          ``truncated``    ``{"events": [...]}`` — a frame whose first message payload is cut short, then good ones
          ``truncated_frame`` — a frame whose Response bytes are cut short (whole frame unreadable)
          ``end``          — ControlMessage status 3 and the room flips to ended (web/enter answers status 4)
          ``set_live``     ``{"live": false}`` — flip the HTTP status only
login     ``expire_login`` — every login session becomes invalid; logged-in sockets are closed
          ``verify``       ``{"on": true}`` — verification mode on/off (captcha page, 10011, refused handshakes)
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from services.douyin_fetcher.fake_server.builders import SpecError

__all__ = ["OPS", "Scenario", "load_scenario"]

OPS = frozenset(
    {
        "frame",
        "steady",
        "sleep",
        "replay",
        "dup_frame",
        "wait_acks",
        "drop",
        "stall",
        "close_frame",
        "reject",
        "change_room_id",
        "corrupt_gzip",
        "gzip_bomb",
        "truncated",
        "truncated_frame",
        "end",
        "set_live",
        "expire_login",
        "verify",
    }
)


@dataclass(slots=True)
class Scenario:
    room: dict[str, Any] = field(default_factory=dict)
    steps: Iterable[Mapping[str, Any]] = field(default_factory=list)

    def events(self) -> Iterator[Mapping[str, Any]]:
        """Every scripted event of ``frame`` and ``truncated`` steps (the truth a client must deliver once)."""
        for step in self.steps:
            if step.get("op") in ("frame", "truncated"):
                yield from step.get("events", [])


def _check(step: Any, where: str) -> dict[str, Any]:
    if not isinstance(step, dict) or step.get("op") not in OPS:
        raise SpecError(f"{where}: not a scenario step (need op in {sorted(OPS)}): {str(step)[:120]}")
    if step["op"] in ("frame", "truncated") and not isinstance(step.get("events", []), list):
        raise SpecError(f"{where}: events must be a list")
    return step


def load_scenario(source: str | Path | Iterable[Mapping[str, Any]]) -> Scenario:
    """A scenario from a JSONL file path, JSONL text, or a list of step dicts. Raises SpecError naming the line."""
    if isinstance(source, Path) or (isinstance(source, str) and "\n" not in source and source.endswith(".jsonl")):
        text = Path(source).read_text(encoding="utf-8")
        items: list[tuple[str, Any]] = []
        for number, line in enumerate(text.splitlines(), start=1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            try:
                items.append((f"{source}:{number}", json.loads(line)))
            except ValueError as exc:
                raise SpecError(f"{source}:{number}: not JSON: {exc}") from exc
    elif isinstance(source, str):
        return load_scenario(
            [json.loads(x) for x in source.splitlines() if x.strip() and not x.strip().startswith("#")]
        )
    else:
        items = [(f"step {i}", s) for i, s in enumerate(source, start=1)]
    scenario = Scenario()
    steps: list[dict[str, Any]] = []
    for where, item in items:
        if isinstance(item, dict) and "room" in item and "op" not in item:
            scenario.room = dict(item["room"])
            continue
        steps.append(_check(dict(item) if isinstance(item, Mapping) else item, where))
    scenario.steps = steps
    return scenario
