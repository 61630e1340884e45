"""Lucky draws (抽奖): winners among the viewers who commented a keyword in a time window of a session.

The algorithm is fixed so anyone can re-run a draw from its stored inputs and get the same winners:
1. entrants are the session's comments with ``since_ms <= timestamp <= until_ms`` whose text contains the keyword
   (exact substring, case kept); masked or anonymous viewers (no id of their own) are left out;
2. one entry per viewer (user id), named by their earliest matching comment's nickname;
3. entrants are sorted by user id (as text), and the winners are ``random.Random(seed).sample(entrants, k)`` with
   ``k = min(winners, len(entrants))``, in the order the sample gives.
"""

from __future__ import annotations

import random
import secrets
import time
import uuid
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from shared.db.models import CommentData
from shared.db.tables_show import LuckyDraw
from shared.events import MASKED_USER_ID

__all__ = ["MAX_SEED", "DrawStore", "pick_winners"]

# Seeds stay below 2**53 so the UI's JavaScript numbers hold them exactly.
MAX_SEED = 2**53 - 1


def pick_winners(entrants: list[dict[str, str]], winners: int, seed: int) -> list[dict[str, str]]:
    """Step 3 of the algorithm: the same entrants and seed always give the same winners."""
    ordered = sorted(entrants, key=lambda e: e["user_id"])
    return random.Random(seed).sample(ordered, min(winners, len(ordered)))


class DrawStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def entrants(self, session_id: str, keyword: str, since_ms: int, until_ms: int) -> list[dict[str, str]]:
        query = (
            # Masked viewers' comments are stored without a user_id (shared/db/store.py), older placeholder rows too.
            select(CommentData.user_id, CommentData.user_name, CommentData.content)
            .where(
                CommentData.session_id == session_id,
                CommentData.timestamp >= since_ms,
                CommentData.timestamp <= until_ms,
                CommentData.user_id.is_not(None),
                CommentData.user_id.not_in(("", MASKED_USER_ID)),
            )
            .order_by(CommentData.timestamp, CommentData.id)
        )
        seen: dict[str, dict[str, str]] = {}
        with self.engine.connect() as conn:
            for user_id, nickname, content in conn.execute(query):
                if user_id is not None and user_id not in seen and keyword in content:
                    seen[user_id] = {"user_id": user_id, "nickname": nickname}
        return list(seen.values())

    def run(
        self, session_id: str, keyword: str, since_ms: int, until_ms: int, winners: int, seed: int | None
    ) -> dict[str, Any]:
        if seed is None:
            seed = secrets.randbelow(MAX_SEED + 1)
        entrants = self.entrants(session_id, keyword, since_ms, until_ms)
        chosen = pick_winners(entrants, winners, seed)
        row = LuckyDraw(
            draw_id=uuid.uuid4().hex,
            session_id=session_id,
            keyword=keyword,
            since_ms=since_ms,
            until_ms=until_ms,
            winners_wanted=winners,
            seed=seed,
            entrants=len(entrants),
            winners=chosen,
            created_ms=int(time.time() * 1000),
        )
        answer = _answer(row)
        with Session(self.engine) as db, db.begin():
            db.add(row)
        return answer

    def get(self, session_id: str, draw_id: str) -> dict[str, Any] | None:
        with Session(self.engine) as db:
            row = db.scalar(select(LuckyDraw).where(LuckyDraw.session_id == session_id, LuckyDraw.draw_id == draw_id))
            return _answer(row) if row else None

    def all(self, session_id: str) -> list[dict[str, Any]]:
        with Session(self.engine) as db:
            query = select(LuckyDraw).where(LuckyDraw.session_id == session_id).order_by(LuckyDraw.created_ms)
            return [_answer(r) for r in db.scalars(query)]


def _answer(row: LuckyDraw) -> dict[str, Any]:
    return {
        "draw_id": row.draw_id,
        "session_id": row.session_id,
        "keyword": row.keyword,
        "since_ms": row.since_ms,
        "until_ms": row.until_ms,
        "winners_wanted": row.winners_wanted,
        "entrants": row.entrants,
        "winners": list(row.winners),
        "seed": row.seed,
        "created_ms": row.created_ms,
    }
