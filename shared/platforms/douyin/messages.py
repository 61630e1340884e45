"""Response messages → live-event dicts, for one live session.

Each message is decoded on its own, so one bad payload never loses the rest of its frame. The event's ``msg_id``
is ``Common.msgId`` in decimal, the envelope ``Message.msgId`` when that is absent, and a content hash when both
are; duplicates by ``(method, msg_id)`` are dropped in a bounded, time-limited cache. Unknown methods are normal
(dozens exist): they are counted and each is logged once per decoder.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import Counter
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from typing import Any

from google.protobuf.message import DecodeError

from shared.platforms.douyin.dedupe import Deduper
from shared.platforms.douyin.errors import FrameError
from shared.platforms.douyin.frames import InboundFrame, decode_inbound
from shared.platforms.douyin.gifts import GiftTracker
from shared.platforms.douyin.mapping import METHODS
from shared.platforms.douyin.proto import douyin_pb2 as pb

__all__ = ["DecodeStats", "MessageDecoder", "event_ts"]

log = logging.getLogger(__name__)

# Plausible epoch milliseconds (2001 … 2286) and seconds (same span) for message times.
_MS_MIN, _MS_MAX = 1_000_000_000_000, 10_000_000_000_000
_S_MIN, _S_MAX = 1_000_000_000, 10_000_000_000
# Each known method's number in the dedupe keys.
_METHOD_INDEX = {method: i for i, method in enumerate(METHODS)}


def event_ts(create_time_ms: int, event_time_s: int, received_ms: int) -> int:
    """``Common.createTime`` (ms) when plausible, else ``eventTime`` (s), else the receive time."""
    if _MS_MIN <= create_time_ms < _MS_MAX:
        return create_time_ms
    if _S_MIN <= create_time_ms < _S_MAX:  # some senders put seconds into createTime
        return create_time_ms * 1000
    if _S_MIN <= event_time_s < _S_MAX:
        return event_time_s * 1000
    return received_ms


@dataclass(slots=True)
class DecodeStats:
    messages: int = 0
    events: int = 0
    duplicates: int = 0
    empty: int = 0
    bad: int = 0
    silent: int = 0
    foreign: int = 0
    unknown: Counter[str] = field(default_factory=Counter)

    def as_dict(self) -> dict[str, Any]:
        return {
            "messages": self.messages,
            "events": self.events,
            "duplicates": self.duplicates,
            "empty": self.empty,
            "bad": self.bad,
            "silent": self.silent,
            "foreign": self.foreign,
            "unknown": sum(self.unknown.values()),
        }


class MessageDecoder:
    """Turns Douyin messages into live-event dicts for one session (``session_id``, ``live_id``)."""

    def __init__(
        self,
        session_id: str,
        live_id: str = "",
        *,
        clock: Callable[[], float] = time.monotonic,
        dedupe_ttl: float = 900.0,
        dedupe_size: int = 200_000,
        gift_ttl: float = 600.0,
        dedupe: bool = True,
    ) -> None:
        self.session_id = session_id
        self.live_id = live_id
        self._clock = clock
        # The internal room id once known: messages stamped with another room (co-host rooms) are dropped.
        self.room_id = 0
        self.stats = DecodeStats()
        self.gifts = GiftTracker(ttl=gift_ttl, clock=clock)
        # dedupe=False only for conformance tests whose synthetic vectors reuse ids on purpose.
        self._dedupe = Deduper(ttl=dedupe_ttl, max_size=dedupe_size, clock=clock) if dedupe else None
        self._log_prefix = f"room={live_id}"

    def decode_frame(self, data: bytes, received_ms: int | None = None) -> tuple[InboundFrame, list[dict[str, Any]]]:
        """Convenience for tests and the bench: raw server frame → (frame, events). Raises FrameError."""
        inbound = decode_inbound(data)
        if inbound.response is None:
            return inbound, []
        return inbound, self.decode(inbound.response.messages, received_ms)

    def decode(self, messages: Iterable[pb.Message], received_ms: int | None = None) -> list[dict[str, Any]]:
        # The hot path of the suite: locals instead of attribute lookups, one clock read per batch.
        now = received_ms if received_ms is not None else time.time_ns() // 1_000_000
        stats = self.stats
        methods = METHODS
        method_index = _METHOD_INDEX
        n_methods = len(_METHOD_INDEX)
        dedupe = self._dedupe
        mono = self._clock()
        room_id = self.room_id
        session_id = self.session_id
        live_id = self.live_id
        gifts = self.gifts
        events: list[dict[str, Any]] = []
        append = events.append
        count = 0
        for message in messages:
            count += 1
            method = message.method
            spec = methods.get(method)
            if spec is None:
                self._unknown(method)
                continue
            payload = message.payload
            if not payload:
                stats.empty += 1
                continue
            try:
                obj = spec.parser(payload)
            except DecodeError as exc:
                stats.bad += 1
                if stats.bad <= 20 or stats.bad % 1000 == 0:
                    log.warning("%s bad %s payload skipped (%d so far): %s", self._log_prefix, method, stats.bad, exc)
                continue
            common = obj.common
            if room_id and common.room_id and common.room_id != room_id:
                stats.foreign += 1
                continue
            mid = common.msg_id or message.msg_id
            if mid:
                msg_id = str(mid)
                # (method, msg_id) as one small int: the cache holds one key per event for 15 minutes.
                key: Hashable = mid * n_methods + method_index[method]
            else:
                msg_id = "h" + hashlib.blake2b(method.encode() + payload, digest_size=8).hexdigest()
                key = (method, msg_id)
            if dedupe is not None and dedupe.is_duplicate(key, mono):
                stats.duplicates += 1
                continue
            built = spec.build(obj, gifts)
            if built is None:
                stats.silent += 1
                continue
            etype, data, user = built
            ts = common.create_time
            if not _MS_MIN <= ts < _MS_MAX:
                ts = event_ts(ts, obj.event_time if spec.has_event_time else 0, now)
            event: dict[str, Any] = {
                "type": etype,
                "session_id": session_id,
                "live_id": live_id,
                "msg_id": msg_id,
                "ts": ts,
            }
            if user is not None:
                event["user"] = user
            event["data"] = data
            append(event)
        stats.messages += count
        stats.events += len(events)
        return events

    def _unknown(self, method: str) -> None:
        unknown = self.stats.unknown
        if method not in unknown:
            log.info("%s unknown method %r ignored (logged once)", self._log_prefix, method or "<empty>")
        unknown[method] += 1


def try_decode_frame(decoder: MessageDecoder, data: bytes) -> list[dict[str, Any]]:
    """Decode a frame, logging and dropping it when unreadable (used where one bad frame must not stop a loop)."""
    try:
        return decoder.decode_frame(data)[1]
    except FrameError as exc:
        log.warning("room=%s frame skipped: %s", decoder.live_id, exc)
        return []
