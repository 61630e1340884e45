"""Fuzzing the gateway's HTTP API with schemathesis (hardening #12, fuzzing).

The gateway runs for real: ``create_app`` under uvicorn on a free port, over the test Redis and a SQLite file or a
fresh PostgreSQL database (PostgreSQL refuses values SQLite takes: a NUL, an integer past 64 bits), with no worker (so
the douyin, ast and streamcap routes answer 503, which is fine). Schemathesis reads the schema from
``app.openapi()`` (the running gateway serves none), sends valid and invalid requests for every operation with the
token, and the gate is: no 5xx, and every answer within a few seconds. A session with stored events exists, and the
generated ``session_id`` is that one half of the time, so the analytics and export routes work on real rows.

The answers must also match the schema (issue #15): every status code, media type and body documented, 405 with an
``Allow`` header for an undeclared method, schema-valid requests accepted. ``TIMAO_FUZZ_CONFORMANCE=1`` prints what
each check found (a count per operation) besides failing on the first mismatch.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
import redis
import schemathesis
import uvicorn
from hypothesis import given
from hypothesis import strategies as st
from schemathesis.checks import load_all_checks, not_a_server_error, positive_data_acceptance
from schemathesis.core.failures import FailureGroup
from sqlalchemy import create_engine, text

from launcher.redis_embedded import free_port
from scripts.gen_api_docs import openapi_schema
from services.gateway.app import create_app
from services.gateway.repo import SessionRepo
from shared.bus import Bus
from shared.config import load_settings
from shared.db.engine import make_engine
from shared.db.migrate import upgrade_to_head
from shared.events import LiveEvent
from tests.conftest import DEFAULT_PG_ADMIN_URL, RedisServer
from tests.fuzz.budget import fuzz_settings, long_pass

TOKEN = "gateway-test-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SESSION = "fuzz-s1"
# One answer, whatever the request: the slowest routes (a report, an export) take well under a second here.
RESPONSE_SECONDS = 5.0
# Routes that ask a worker (fetcher, AST, StreamCap): without one they answer 503 "... not running".
WORKER_ROUTES = ("/api/douyin/", "/api/ast/", "/api/streamcap/")

CONFORMANCE = bool(os.environ.get("TIMAO_FUZZ_CONFORMANCE"))
# Refusals no schema can express: a cookie string is valid text, and only the site can tell whether it holds a login
# session (422 when it does not); hot words are counted and measured after trimming and de-duplication; a draw's
# window must not end before it starts.
SEMANTIC_REFUSALS = {
    ("PUT", "/api/douyin/account"),
    ("PUT", "/api/ast/vocabulary"),
    ("POST", "/api/sessions/{session_id}/draws"),
    # kind=speech with format=ass: each is a valid value, the pair is not (speech comes as SRT or VTT).
    ("GET", "/api/streamcap/recordings/{recording_id}/subtitles"),
}

load_all_checks()  # the conformance checks besides not_a_server_error

schema = schemathesis.openapi.from_dict(
    openapi_schema(),
    config=schemathesis.Config.from_dict(
        {
            "generation": {"mode": "all", "deterministic": True, "database": "none"},
            "request-timeout": RESPONSE_SECONDS * 2,
        }
    ),
)


@schema.hook
def flatmap_path_parameters(
    context: Any, path_parameters: dict[str, Any] | None
) -> st.SearchStrategy[dict[str, Any] | None]:
    """Half of the requests name the session that has rows."""
    if not isinstance(path_parameters, dict) or "session_id" not in path_parameters:
        return st.just(path_parameters)
    return st.sampled_from([path_parameters, {**path_parameters, "session_id": SESSION}])


def _seed_events() -> list[LiveEvent]:
    t0 = 1_700_000_000_000
    user = {"id": "u1", "nickname": "观众"}
    events = [
        LiveEvent.build("chat", SESSION, {"content": f"这个多少钱 {i}?"}, msg_id=f"c{i}", ts=t0 + i * 7_000, user=user)
        for i in range(20)
    ]
    events += [
        LiveEvent.build(
            "gift",
            SESSION,
            {"gift_id": "1", "gift_name": "小心心", "diamond_count": 1, "delta": 3},
            msg_id="g1",
            ts=t0 + 5_000,
            user=user,
        ),
        LiveEvent.build("like", SESSION, {"count": 5, "total": 5}, msg_id="l1", ts=t0 + 6_000, user=user),
        LiveEvent.build("room_stats", SESSION, {"online": 12, "total_pv": 40}, msg_id="r1", ts=t0 + 8_000),
        LiveEvent.build(
            "transcript", SESSION, {"text": "欢迎来到直播间", "start_ms": 0, "end_ms": 900}, msg_id="t1", ts=t0 + 9_000
        ),
    ]
    return events


async def _publish(redis_url: str, events: list[LiveEvent]) -> None:
    bus = Bus(redis_url, service="fuzz")
    await bus.start()
    for event in events:
        await bus.publish(event)
    await bus.close()


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The gateway's database URL: a SQLite file, or a PostgreSQL database of its own, dropped afterwards."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path_factory.mktemp('gateway-fuzz-db') / 'timao.db'}"
        return
    admin_url = os.environ.get("TIMAO_TEST_POSTGRES_URL", DEFAULT_PG_ADMIN_URL)
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    name = f"timao_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield f"{admin_url.rsplit('/', 1)[0]}/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module")
def gateway(redis_server: RedisServer, database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real gateway over HTTP; answers its base URL."""
    home: Path = tmp_path_factory.mktemp("gateway-fuzz")
    port = free_port()
    with pytest.MonkeyPatch.context() as mp:
        env = {"HOME": str(home), "REDIS_URL": redis_server.url, "TOKEN": TOKEN, "STREAMCAP_PORT": "1"}
        for key, value in {**env, "GATEWAY_PORT": str(port), "DATABASE_URL": database}.items():
            mp.setenv(f"TIMAO_{key}", value)
        client = redis.Redis.from_url(redis_server.url)
        client.flushdb()
        client.close()
        settings = load_settings()
        engine = make_engine(settings.effective_database_url)
        upgrade_to_head(engine)
        SessionRepo(engine).create_session(session_id=SESSION, platform="douyin", live_id="7000000000001")
        engine.dispose()
        server = uvicorn.Server(
            uvicorn.Config(
                create_app(settings),
                host="127.0.0.1",
                port=port,
                log_config=None,
                access_log=False,
                timeout_graceful_shutdown=2,
            )
        )
        thread = threading.Thread(target=server.run, name="gateway-fuzz", daemon=True)
        thread.start()
        base = f"http://127.0.0.1:{port}"
        _wait(lambda: _get(f"{base}/health") == 200, "the gateway did not start")
        asyncio.run(_publish(redis_server.url, _seed_events()))
        _wait(lambda: _get(f"{base}/api/sessions/{SESSION}/transcripts") == 200, "the seed events were not stored")
        try:
            yield base
        finally:
            server.should_exit = True
            thread.join(15)


def _get(url: str) -> int:
    try:
        return httpx.get(url, headers=AUTH, timeout=2).status_code
    except httpx.HTTPError:
        return 0


def _wait(predicate: Any, message: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(message)


# Every read of the seeded session, so each database runs them whatever the fuzzer picks.
SEEDED_READS = [
    f"/api/sessions/{SESSION}",
    f"/api/sessions/{SESSION}/comments?limit=5&before=1700000100000&q=%E5%A4%9A%E5%B0%91",
    f"/api/sessions/{SESSION}/transcripts",
    f"/api/sessions/{SESSION}/stats?resolution=120",
    f"/api/sessions/{SESSION}/gifts/ranking",
    f"/api/sessions/{SESSION}/chatters/top",
    f"/api/sessions/{SESSION}/hotwords",
    f"/api/sessions/{SESSION}/questions",
    f"/api/sessions/{SESSION}/report?download=true",
    *(
        f"/api/sessions/{SESSION}/export?kind={kind}&format={fmt}"
        for kind in ("comments", "gifts", "transcripts")
        for fmt in ("jsonl", "csv")
    ),
]

# What the fuzzers found (a 500 on PostgreSQL each): values no stored row can hold, sent to the database anyway.
HOSTILE_READS = [
    "/api/sessions/a%00b",
    "/api/sessions/a%00b/comments",
    "/api/sessions/a%00b/transcripts",
    "/api/sessions/a%00b/stats",
    "/api/sessions/a%00b/export",
    "/api/sessions/a%00b/report",
    f"/api/sessions/{SESSION}/comments?q=a%00b",
    f"/api/sessions/{SESSION}/comments?before=9223372036854775808",
    f"/api/sessions/{SESSION}/comments?before=-99999999999999999999",
    f"/api/sessions/{'x' * 300}/comments",
]


def test_the_seeded_session_reads_fully(gateway: str) -> None:
    with httpx.Client(base_url=gateway, headers=AUTH, timeout=RESPONSE_SECONDS * 2) as client:
        for path in SEEDED_READS:
            response = client.get(path)  # a streamed export that fails midway raises here
            assert response.status_code == 200, (path, response.status_code, response.text[:300])
        rows = client.get(f"/api/sessions/{SESSION}/export?kind=comments&format=jsonl").text.splitlines()
        assert len(rows) == 20


def test_values_no_row_can_hold_are_4xx_not_5xx(gateway: str) -> None:
    with httpx.Client(base_url=gateway, headers=AUTH, timeout=RESPONSE_SECONDS * 2) as client:
        for path in HOSTILE_READS:
            status = client.get(path).status_code
            assert status < 500, (path, status)
        assert client.get(f"/api/sessions/{SESSION}/comments?q=a%00b").json() == {"comments": []}
        refused = client.put("/api/settings", json={"recordings_dir": "/tmp/a\x00b"})
        assert refused.status_code == 422 and "NUL" in refused.text


MISMATCHES: Counter[str] = Counter()
STATUSES: Counter[int] = Counter()
SAMPLES: dict[str, str] = {}

# What schemathesis does not send: paths outside the schema (the StreamCap pass-through, unknown routes), bodies that
# are not JSON, odd content types, query values of any size.
_RAW_PATHS = [
    *sorted(schema.raw_schema["paths"]),
    "/api/streamcap/{x}",
    "/api/streamcap/{x}/{x}",
    "/api/{x}",
    "/{x}",
    "/assets/{x}",
]
_QUERY_KEYS = ["limit", "before", "q", "format", "kind", "resolution", "window", "download", "x"]
_CONTENT_TYPES = [
    "application/json",
    "application/json; charset=latin-1",
    "text/plain",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=x",
]


@st.composite
def raw_request(draw: st.DrawFn) -> tuple[str, str, dict[str, str], bytes, str]:
    segment = st.one_of(
        st.just(SESSION),
        st.text(max_size=40),
        st.sampled_from(["..", "%00", "%0A", "%7F", "%3F", "%23", "%25", "%2e%2e", "a%2Fb", "\\x", ""]),
    )
    path = draw(st.sampled_from(_RAW_PATHS))
    for name in ("{session_id}", "{x}"):
        while name in path:
            path = path.replace(name, quote(draw(segment), safe="%"), 1)
    value = st.one_of(st.text(max_size=30), st.integers().map(str), st.sampled_from(["", "-1", "1e309", "nan"]))
    query = draw(st.dictionaries(st.sampled_from(_QUERY_KEYS), value, max_size=3))
    body = draw(
        st.one_of(
            st.just(b""),
            st.binary(max_size=200),
            st.recursive(
                st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=3),
                max_leaves=8,
            ).map(lambda v: json.dumps(v).encode()),
        )
    )
    method = draw(st.sampled_from(["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]))
    return method, path, query, body, draw(st.sampled_from(_CONTENT_TYPES))


@pytest.fixture(scope="module")
def http(gateway: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=gateway, headers=AUTH, timeout=RESPONSE_SECONDS * 2) as client:
        yield client


@fuzz_settings(150, deadline_s=RESPONSE_SECONDS * 2)
@given(request_parts=raw_request())
def test_raw_requests_get_no_server_error(
    http: httpx.Client, request_parts: tuple[str, str, dict[str, str], bytes, str]
) -> None:
    method, path, query, body, content_type = request_parts
    started = time.perf_counter()
    response = http.request(method, path, params=query, content=body, headers={"Content-Type": content_type})
    elapsed = time.perf_counter() - started
    STATUSES[response.status_code] += 1
    assert response.status_code < 500 or _worker_not_running(path, response), (
        f"{method} {path} {query} → {response.status_code}: {response.text[:300]}"
    )
    assert elapsed < RESPONSE_SECONDS, f"{method} {path} took {elapsed:.1f}s"


@schema.parametrize()
@fuzz_settings(25, deadline_s=RESPONSE_SECONDS * 2)
def test_no_server_error_and_no_hang(case: schemathesis.Case[Any], gateway: str) -> None:
    started = time.perf_counter()
    response = case.call(base_url=gateway, headers=AUTH, timeout=RESPONSE_SECONDS * 2)
    elapsed = time.perf_counter() - started
    STATUSES[response.status_code] += 1
    if CONFORMANCE:
        _conformance(case, response)
    excluded = []
    if _worker_not_running(case.path, response):
        excluded.append(not_a_server_error)
    if (case.method, case.path) in SEMANTIC_REFUSALS:
        excluded.append(positive_data_acceptance)
    case.validate_response(response, headers=AUTH, excluded_checks=excluded)
    assert elapsed < RESPONSE_SECONDS, f"{case.method} {case.formatted_path} took {elapsed:.1f}s"


def _worker_not_running(path: str, response: Any) -> bool:
    """The 503 of a route whose worker is not running (none is, here): the expected answer, not a server error."""
    if response.status_code != 503 or not path.startswith(WORKER_ROUTES):
        return False
    try:
        detail = response.json()["detail"]
    except (ValueError, KeyError, TypeError):
        return False
    return isinstance(detail, str) and "not running" in detail


def _conformance(case: schemathesis.Case[Any], response: Any) -> None:
    """Count what schemathesis's checks say, for the report; the test itself fails on the first mismatch."""
    try:
        case.validate_response(response, headers=AUTH, excluded_checks=[not_a_server_error])
    except FailureGroup as group:
        for failure in group.exceptions:
            kind = f"{case.method} {case.path}: {failure.title}"
            MISMATCHES[kind] += 1
            SAMPLES.setdefault(kind, f"{case.formatted_path} → {response.status_code}: {failure.message[:200]!r}")
    except AssertionError as exc:
        MISMATCHES[f"{case.method} {case.path}: {type(exc).__name__}"] += 1


@pytest.fixture(scope="module", autouse=True)
def _report_conformance() -> Iterator[None]:
    yield
    if CONFORMANCE or long_pass():
        print(f"\nrequests by status: {dict(sorted(STATUSES.items()))}")
    if CONFORMANCE and MISMATCHES:
        print(f"\nconformance mismatches (issue #15): {sum(MISMATCHES.values())} in {len(MISMATCHES)} kinds")
        for key, count in sorted(MISMATCHES.items()):
            print(f"  {count:5d}  {key}\n         {SAMPLES.get(key, '')}")
