"""Live analytics of a session (series, rankings, hot words, questions), its review report, and raw exports."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response, StreamingResponse

from services.gateway.analytics.context import AnalyticsContext
from services.gateway.analytics.export import iter_export
from services.gateway.analytics.pdf import PdfUnavailable
from services.gateway.analytics.queries import ResolutionError
from services.gateway.analytics.report import CSP, build_report
from services.gateway.api.schemas import (
    ChattersResponse,
    GiftRankingResponse,
    HotWordsResponse,
    QuestionsResponse,
    StatsResponse,
    errors,
)

router = APIRouter(prefix="/api/sessions", tags=["analytics"])


def get_analytics(request: Request) -> AnalyticsContext:
    context: AnalyticsContext = request.app.state.analytics
    return context


AnalyticsDep = Annotated[AnalyticsContext, Depends(get_analytics)]
Limit = Annotated[int, Query(ge=1, le=500)]


async def _known(ctx: AnalyticsContext, session_id: str) -> None:
    # No stored id is longer than 64 characters or holds a NUL (which PostgreSQL refuses even in a query).
    if len(session_id) > 64 or "\x00" in session_id or not await asyncio.to_thread(ctx.queries.has_data, session_id):
        raise HTTPException(404, f"没有这个场次 (no such session): {session_id[:64]}")


@router.get("/{session_id}/stats", response_model=StatsResponse, responses=errors(404, 422))
async def stats(
    ctx: AnalyticsDep,
    session_id: str,
    resolution: Annotated[
        int, Query(ge=60, le=86400, multiple_of=60, description="bucket size in seconds (whole minutes)")
    ] = 60,
) -> dict[str, Any]:
    await _known(ctx, session_id)
    try:
        series = await asyncio.to_thread(ctx.queries.series, session_id, resolution)
    except ResolutionError as exc:
        raise HTTPException(422, str(exc)) from exc
    totals = await asyncio.to_thread(ctx.queries.totals, session_id)
    return {"resolution": resolution, "series": series, "totals": totals}


@router.get("/{session_id}/gifts/ranking", response_model=GiftRankingResponse, responses=errors(404, 422))
async def gift_ranking(ctx: AnalyticsDep, session_id: str, limit: Limit = 20) -> dict[str, Any]:
    await _known(ctx, session_id)
    return {"ranking": await asyncio.to_thread(ctx.queries.gift_ranking, session_id, limit)}


@router.get("/{session_id}/chatters/top", response_model=ChattersResponse, responses=errors(404, 422))
async def top_chatters(ctx: AnalyticsDep, session_id: str, limit: Limit = 20) -> dict[str, Any]:
    await _known(ctx, session_id)
    return {"chatters": await asyncio.to_thread(ctx.queries.top_chatters, session_id, limit)}


@router.get("/{session_id}/hotwords", response_model=HotWordsResponse, responses=errors(404, 422))
async def hot_words(
    ctx: AnalyticsDep,
    session_id: str,
    window: Annotated[int, Query(ge=10, le=3600, description="seconds before the latest comment")] = 300,
    limit: Annotated[int, Query(ge=1, le=200)] = 30,
) -> dict[str, Any]:
    await _known(ctx, session_id)
    words = await asyncio.to_thread(ctx.hot_words, session_id, window, limit)
    return {"window": window, "words": [{"word": w, "count": n} for w, n in words]}


@router.get("/{session_id}/questions", response_model=QuestionsResponse, responses=errors(404, 422))
async def questions(ctx: AnalyticsDep, session_id: str, limit: Limit = 100) -> dict[str, Any]:
    await _known(ctx, session_id)
    return {"questions": await asyncio.to_thread(ctx.queries.questions, session_id, limit)}


@router.get(
    "/{session_id}/report",
    response_model=None,
    response_class=HTMLResponse,
    responses={
        200: {"content": {"application/pdf": {}}, "description": "the report, as HTML or PDF"},
        **errors(404, 422, 503, json_model=False),
    },
)
async def report(
    ctx: AnalyticsDep,
    session_id: str,
    format: Literal["html", "pdf"] = "html",
    download: bool = False,
) -> Response:
    await _known(ctx, session_id)
    html_text = await asyncio.to_thread(build_report, ctx.engine, ctx.segmenter, session_id)
    name = f"report-{''.join(c for c in session_id if c.isascii() and c.isalnum())[:64]}"
    disposition = "attachment" if download else "inline"
    if format == "pdf":
        try:
            pdf = await ctx.pdf.render(html_text)
        except PdfUnavailable as exc:
            return JSONResponse({"detail": str(exc), "service": "pdf"}, status_code=503)
        return Response(
            pdf, media_type="application/pdf", headers={"Content-Disposition": f'{disposition}; filename="{name}.pdf"'}
        )
    return HTMLResponse(
        html_text,
        headers={"Content-Security-Policy": CSP, "Content-Disposition": f'{disposition}; filename="{name}.html"'},
    )


@router.get(
    "/{session_id}/export",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"application/x-ndjson": {}, "text/csv": {}}, "description": "one row per line"},
        **errors(404, 422, json_model=False),
    },
)
async def export(
    ctx: AnalyticsDep,
    session_id: str,
    format: Literal["jsonl", "csv"] = "jsonl",
    kind: Literal["comments", "gifts", "transcripts"] = "comments",
) -> StreamingResponse:
    await _known(ctx, session_id)
    name = f"{kind}-{''.join(c for c in session_id if c.isascii() and c.isalnum())[:64]}.{format}"
    media = "application/x-ndjson" if format == "jsonl" else "text/csv; charset=utf-8"
    return StreamingResponse(
        iter_export(ctx.engine, session_id, kind, format),
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
