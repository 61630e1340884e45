"""Danmaku lanes: where each scrolling comment goes so that none overlaps another (pure, fast).

Every comment crosses the screen in the same ``duration`` (right edge to fully past the left edge), so a longer one
moves faster. A comment ``j`` (width ``w_j``, entering at ``t_j``) may follow ``i`` in a lane when

- ``i`` has fully entered: ``t_j >= t_i + w_i / v_i`` (``v = (W + w) / duration``), and
- ``j`` does not catch ``i`` before ``i`` has left: ``j`` reaches the left edge at ``t_j + W / v_j``, no earlier
  than ``i``'s tail does at ``t_i + duration``.

Lanes are tried top first; a comment that fits no lane is dropped (the screen is full: showing it would cover
another). Fixed lanes (gifts, follows) hold one line each for their duration.
"""

from __future__ import annotations

__all__ = ["FixedLanes", "ScrollLanes", "text_width"]


def text_width(text: str, font_size: float) -> float:
    """Rendered width estimate: wide (CJK, emoji) characters a font size each, narrow ones a bit over half.

    From UTF-8 lengths (no per-character loop): ASCII is 1 byte, CJK 3, emoji 4."""
    chars = len(text)
    extra = len(text.encode("utf-8", "replace")) - chars
    wide = min(chars, extra // 2)
    return ((chars - wide) * 0.6 + wide) * font_size


class ScrollLanes:
    def __init__(self, screen_width: float, lanes: int, duration: float) -> None:
        if lanes < 1 or duration <= 0 or screen_width <= 0:
            raise ValueError("lanes, duration and screen width must be positive")
        self.width = float(screen_width)
        self.duration = float(duration)
        self.count = lanes
        # Per lane: when the last comment has fully entered, and when its tail leaves the left edge; and the least
        # of each over the lanes, so a comment no lane can take (most of them, on a busy screen) costs two compares.
        self._entered = [float("-inf")] * lanes
        self._leaves = [float("-inf")] * lanes
        self._min_entered = float("-inf")
        self._min_leaves = float("-inf")

    def place(self, t: float, width: float) -> int | None:
        """The lane for a comment of ``width`` entering at ``t`` (comments in time order), or None: no room."""
        if t < self._min_entered:
            return None
        travel = self.width * self.duration / (self.width + width)  # time its head needs to reach the left edge
        latest_leave = t + travel
        if latest_leave < self._min_leaves:
            return None
        entered, leaves = self._entered, self._leaves
        for lane in range(self.count):
            if entered[lane] <= t and leaves[lane] <= latest_leave:
                entered[lane] = t + width * self.duration / (self.width + width)
                leaves[lane] = t + self.duration
                self._min_entered = min(entered)
                self._min_leaves = min(leaves)
                return lane
        return None


class FixedLanes:
    """Lines that stay put (centred) for ``duration``: a lane is free again once its line is gone."""

    def __init__(self, lanes: int, duration: float) -> None:
        if lanes < 1 or duration <= 0:
            raise ValueError("lanes and duration must be positive")
        self.duration = float(duration)
        self._free_at = [float("-inf")] * lanes

    def place(self, t: float) -> int | None:
        for lane, free_at in enumerate(self._free_at):
            if free_at <= t:
                self._free_at[lane] = t + self.duration
                return lane
        return None
