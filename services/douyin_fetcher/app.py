"""The fetcher process: lifecycle, health and command handlers around the room clients.

Commands (from the gateway, over the bus; their params and results are the models of shared/commands/douyin.py):
    start_room {live_id, session_id, config?, transport?} → {session_id, live_id, room_id, title, anchor_name,
                                                          status, transport}
    stop_room  {session_id}                   → {}
    move_room  {session_id, worker_id}        → {session_id, worker_id, from_worker_id}: the room stops here and
                                                that worker resumes it from its cursor
    rooms      {}                             → {sessions: [...]}
    douyin.login  {timeout_s?}                → {login_pending: true} at once; a login window (account_commands.py)
    douyin.logout {}                          → {} once the browser's cookies and the account are gone
    douyin.account_changed {}                 → {rooms}: every running room reconnects with the account as it is now
The process owns one browser (``shared/browser.py``, on the account's profile), started only when something needs
it: page signing, a room on the browser transport, a login window.
Every event a room client produces goes to the bus's durable log as it is (the decoder already shaped it).

Each room asked for is a durable assignment (``shared/assignments.py``, item = session id, spec = live id and
config, progress = the cursor of the last frame whose events reached the log, with the gift tracker's state at that
point). Starting, this process adopts every assigned room and resumes it in its session from that cursor and that
gift state: the push server replays the gap, the persister drops what was already stored, and a combo cut by the
restart goes on counting where it was. ``stop_room``, a live end and a fatal failure remove the assignment; a crash
or a restart leaves it.

A live id runs once across all workers: the assignment carries it as its unique key (``Assignments.put``), written in
one Redis script with the assignment, so a second ``start_room`` for it (here, on another worker, through another
gateway, racing or not) answers the session that holds it, as a repeat start on one worker always did.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import Any

import orjson
from pydantic import ValidationError

from services.douyin_fetcher.account_commands import AccountCommands
from services.douyin_fetcher.client import (
    TRANSPORTS,
    ClientOptions,
    ClientState,
    Resume,
    RoomClient,
    room_retry_policy,
)
from services.douyin_fetcher.rooms import RoomManager, UnknownSession
from shared.assignments import Assignments, WorkItem
from shared.browser import BrowserOwner
from shared.bus import TRANSIENT, Bus, Fence, FencedOut
from shared.commands import CommandTable, Empty, command_table
from shared.commands.douyin import (
    ACCOUNT_CHANGED,
    ACCOUNT_CHANGED_COMMAND,
    LOGIN,
    LOGOUT,
    MOVE_ROOM,
    ROOMS,
    START_ROOM,
    STOP_ROOM,
    AccountChangedResult,
    MoveRoom,
    MoveRoomResult,
    RoomConfig,
    RoomsResult,
    RoomStatus,
    StartRoom,
    StartRoomResult,
    StopRoom,
)
from shared.config import Settings
from shared.errors import BusError, CommandError
from shared.leases import worker_of
from shared.ownership import WorkOwnership
from shared.platforms.douyin.account import DouyinAccount, account_profile_dir, load_account
from shared.platforms.douyin.errors import BadRoomInput, DouyinError, RoomNotFound, StreamerOffline
from shared.platforms.douyin.links import parse_room_ref
from shared.platforms.douyin.resolve import RoomResolver, parse_live_id
from shared.workers import list_workers

__all__ = ["FetcherApp"]

log = logging.getLogger(__name__)

# A first resolution answers the user quickly (unknown room → 404); past this the client keeps trying on its own.
PRECHECK_TIMEOUT_S = 8.0
# A start that finds its live id assigned a moment ago waits this long (in steps) for that room's worker to be known.
RUNNER_WAIT_S, RUNNER_WAIT_TRIES = 0.05, 20
# Rooms that ended by themselves no longer need their assignment; a user stop removed it already.
_RELEASED = (ClientState.ENDED, ClientState.FAILED)


def client_options(config: RoomConfig) -> ClientOptions:
    """The room client's options from a room's ``config`` (the command's model, shared/commands/douyin.py)."""
    return ClientOptions(
        heartbeat_interval=config.heartbeat_interval,
        stall_timeout=config.stall_timeout,
        device_blocked_backoff=config.device_blocked_backoff,
    )


class FetcherApp:
    name = "douyin_fetcher"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._bus: Bus | None = None
        self._rooms: RoomManager | None = None
        self._work: Assignments | None = None
        self._own: WorkOwnership | None = None  # the rooms' leases, adoption, the registry (shared/ownership.py)
        self._drops: set[asyncio.Task[None]] = set()
        self.worker_id = settings.effective_worker_id
        self.adopted = 0
        self._account: AccountCommands | None = None
        self._own_browser: BrowserOwner | None = None  # only when the rooms have no browser of their own
        self._browser: BrowserOwner | None = None  # the rooms' browser (transports, page signing)

    async def start(self, bus: Bus) -> None:
        self._bus = bus
        self._work = Assignments(bus.redis, self.name)
        self._rooms = RoomManager.from_settings(
            self.settings,
            self._emit,
            emit_batch=self._emit_batch,
            on_progress=self._on_progress,
            on_finished=self._on_finished,
            browser=self._rooms_browser(),
            account=self.account,
        )
        self.worker_id = bus.worker_id or self.worker_id
        self._own = WorkOwnership(
            bus.redis,
            self._work,
            worker_id=self.worker_id,
            capacity=self.settings.worker_rooms_max,
            ttl_s=self.settings.worker_lease_ttl_s,
            adopt=self._resume,
            on_lost=self._lease_lost,
            noun="room",
        )
        bus.on_fenced_out = self._fenced_out
        self._own.start()  # adopts at once what is assigned and unowned (or left by this worker's last process)
        self._account = AccountCommands(
            self.settings.home,
            self.settings.douyin_live_url,
            owner=self._browser_owner,
            redis=lambda: bus.redis,
            on_changed=self._account_changed,
        )

    async def stop(self) -> None:
        if self._own is not None:
            await self._own.stop_adopting()
        if self._rooms is not None:
            # Suspended, not stopped: the assignments stay and the sessions stay open for the next start.
            await self._rooms.stop_all(suspend=True)
        if self._drops:
            await asyncio.gather(*self._drops, return_exceptions=True)
        if self._own is not None:
            await self._own.close()  # the leases go back: this worker's next start, or another, resumes the rooms
        if self._browser is not None:
            await self._browser.close()
            self._browser = None
        if self._account is not None:
            await self._account.stop()
        if self._own_browser is not None:
            await self._own_browser.close()
            self._own_browser = None
        self._bus = None

    # -- the Douyin account (#11) ----------------------------------------------------------------------

    def _rooms_browser(self) -> BrowserOwner:
        """The worker's browser on the account's profile; nothing starts until a page is asked for."""
        if self._browser is None:
            self._browser = BrowserOwner(
                account_profile_dir(self.settings.home),
                choice=self.settings.browser or None,
                headless=self.settings.browser_headless,
                logger=log,
            )
        return self._browser

    def account(self) -> DouyinAccount | None:
        """The login as saved now (re-read by each room as it connects)."""
        return load_account(self.settings.home)

    async def _rooms_account_changed(self, _params: Empty) -> AccountChangedResult:
        rooms = self.rooms
        rooms.account_changed()
        log.info("douyin account changed; %d room(s) reconnect", rooms.client_count)
        return AccountChangedResult(rooms=rooms.client_count)

    def _browser_owner(self) -> BrowserOwner:
        """The worker's one browser on the account's profile: the rooms' when they have one."""
        browser = getattr(self._rooms, "browser", None)
        if isinstance(browser, BrowserOwner):
            return browser
        if self._own_browser is None:
            self._own_browser = BrowserOwner(account_profile_dir(self.settings.home), logger=log)
        return self._own_browser

    async def _account_changed(self) -> None:
        """A login or logout done here: the rooms react as to the gateway's ``douyin.account_changed``."""
        await self.commands()[ACCOUNT_CHANGED_COMMAND]({})

    # -- durable assignments ---------------------------------------------------------------------------

    async def _resume(self, item: WorkItem) -> bool:
        """Run an adopted room (its lease is held) from its recorded progress; False when it is not to run."""
        assert self._work is not None
        try:
            live_id = parse_live_id(str(item.spec.get("live_id", "")))
            config = RoomConfig.model_validate(item.spec.get("config") or {})
            transport = _transport(item.spec.get("transport"))
        except (BadRoomInput, ValidationError) as exc:
            log.error("session %s: assignment unusable, dropped: %s", item.id, exc)
            await self._work.remove(item.id)
            return False
        if await self._work.get(item.id) is None:
            return False  # stop_room came while the rooms before it were being resumed
        if not item.unique:  # assigned before live ids were unique: index it now, unless another session has it
            holder = await self._work.put(item.id, item.spec, unique=live_id, assigned_at_ms=item.assigned_at_ms)
            if holder != item.id:
                log.info("room=%s session %s superseded by session %s", live_id, item.id, holder)
                await self._work.remove(item.id)
                return False
        gifts = item.progress.get("gifts")
        resume = Resume(
            str(item.progress.get("cursor", "")),
            str(item.progress.get("internal_ext", "")),
            gifts if isinstance(gifts, list) else (),
        )
        session_id = await self.rooms.start(
            live_id,
            session_id=item.id,
            options=client_options(config),
            retry_policy=room_retry_policy(config),
            resume=resume,
            transport=transport,
        )
        if session_id != item.id:  # a start_room during adoption watches the room already, in a new session
            log.info("room=%s session %s superseded by session %s", live_id, item.id, session_id)
            await self._work.remove(item.id)
            return False
        self.adopted += 1
        return True

    async def _lease_lost(self, session_id: str, reason: str) -> None:
        """The room's lease is gone (taken over, expired, or its work removed elsewhere): it stops here. A removed
        room is stopped (its session ends); a lost one is only dropped, nothing more written for it."""
        if reason == "work removed":
            with contextlib.suppress(UnknownSession):
                await self.rooms.stop(session_id)
            return
        if await self.rooms.drop(session_id):
            log.warning("session %s: dropped here (%s); another worker runs it", session_id, reason)

    def _fenced_out(self, fence: Fence) -> None:
        """A write refused by its fence (another worker owns the room now): drop the room at once."""
        assert self._own is not None
        session_id = fence.lease_key.rpartition(":")[2]
        lease = self._own.keeper.held(session_id)
        if lease is None or lease.token != fence.token:
            return
        self._own.keeper.forget(session_id)
        task = asyncio.create_task(self._lease_lost(session_id, "fenced out"), name=f"douyin-drop-{session_id[:12]}")
        self._drops.add(task)
        task.add_done_callback(self._drops.discard)

    async def _on_progress(self, session_id: str, resume: Resume) -> None:
        if self._work is None or self._bus is None or self._bus.backlog_size or self._own is None:
            return  # events still waiting in memory are not in the log yet: the cursor must not pass them
        fence = self._own.fence(session_id)
        if fence is None:
            return  # not this worker's room any more
        progress: dict[str, Any] = {"cursor": resume.cursor, "internal_ext": resume.internal_ext}
        if resume.gifts:
            progress["gifts"] = resume.gifts
        try:
            await self._work.update_progress(session_id, progress, fence=fence)
        except TRANSIENT as exc:
            log.debug("session %s: progress not recorded (%s)", session_id, exc)

    async def _on_finished(self, client: RoomClient) -> None:
        if self._work is None or self._own is None or client.state not in _RELEASED:
            return
        if self._own.fence(client.session_id) is None:
            return  # another worker runs it now
        try:
            await self._work.remove(client.session_id)
            await self._own.release(client.session_id)
        except TRANSIENT as exc:  # the next start adopts it, sees the live ended and lets it go then
            log.warning("session %s: assignment not removed (%s)", client.session_id, exc)

    async def _emit(self, event: dict[str, Any]) -> None:
        await self._emit_batch([event])

    async def _emit_batch(self, events: list[dict[str, Any]]) -> None:
        """Each room's events go to the log under its lease (fenced): refused once another worker owns the room."""
        assert self._bus is not None and self._own is not None
        by_session: dict[str, list[bytes]] = {}
        for event in events:
            by_session.setdefault(str(event.get("session_id", "")), []).append(orjson.dumps(event))
        for session_id, payloads in by_session.items():
            fence = self._own.fence(session_id)
            if fence is None:
                raise BusError(f"session {session_id}: this worker holds no lease for it; nothing written")
            try:
                await self._bus.publish_many(payloads, fence=fence)
            except FencedOut:
                raise  # _fenced_out drops the room

    def commands(self) -> CommandTable:
        served = [
            START_ROOM.serve(self._start_room),
            STOP_ROOM.serve(self._stop_room),
            MOVE_ROOM.serve(self._move_room),
            ROOMS.serve(self._list_rooms),
            ACCOUNT_CHANGED.serve(self._rooms_account_changed),
        ]
        if self._account is not None:
            served += [LOGIN.serve(self._account.login), LOGOUT.serve(self._account.logout)]
        return command_table(*served)

    def health(self) -> dict[str, Any]:
        rooms = self._rooms.status() if self._rooms else []
        return {
            "worker_id": self.worker_id,
            "rooms": len(rooms),
            "connected": sum(1 for r in rooms if r["state"] == "connected"),
            "resuming": sum(1 for r in rooms if r["state"] == "resuming"),
        }

    @property
    def rooms(self) -> RoomManager:
        if self._rooms is None:
            raise CommandError("unavailable", "fetcher not started")
        return self._rooms

    async def _start_room(self, params: StartRoom) -> StartRoomResult:
        # The config and the transport were checked with the command's model (shared/commands/douyin.py).
        config, transport = params.config, params.transport
        try:
            parse_room_ref(params.live_id)  # bad input fails before any request
        except BadRoomInput as exc:
            raise CommandError("invalid", str(exc)) from exc
        resolver = RoomResolver.from_settings(self.settings)
        try:
            live_id = await self._live_id_of(resolver, params.live_id)
        except BaseException:
            await resolver.aclose()
            raise
        info: dict[str, Any] = {"live_id": live_id, "transport": transport or self.rooms.transport}
        try:
            room = await asyncio.wait_for(resolver.resolve(live_id), PRECHECK_TIMEOUT_S)
            anchor = room.anchor.nickname if room.anchor else ""
            info.update(room_id=room.room_id, title=room.title, anchor_name=anchor, status=room.status.value)
        except RoomNotFound as exc:
            raise CommandError("not_found", f"直播间不存在 (room not found): {live_id}: {exc}") from exc
        except (DouyinError, OSError, TimeoutError) as exc:
            # Network trouble or a challenge page: the client retries with its policy; say why in the status.
            info["status"] = "unresolved"
            info["reason"] = f"{type(exc).__name__}: {exc}"
            log.warning("room=%s first resolution failed (%s); the client keeps trying", live_id, info["reason"])
        finally:
            await resolver.aclose()
        assert self._work is not None and self._own is not None
        requested = params.session_id or uuid.uuid4().hex
        # Desired state first: from here on a crash leaves the room to be resumed, never forgotten.
        spec: dict[str, Any] = {"live_id": live_id, "config": config.model_dump()}
        if transport:
            spec["transport"] = transport
        if params.worker_id:
            spec["worker_id"] = params.worker_id  # placed here by hand: after a failover it comes back here
        holder = await self._work.put(requested, spec, unique=live_id)
        if holder != requested:  # watched already, here or on another worker: that session is the answer
            log.info("room=%s is watched already in session %s", live_id, holder)
            return StartRoomResult(session_id=holder, worker_id=await self._runner_of(holder, wait=True), **info)
        if self._own.full:
            await self._work.remove(requested)
            raise CommandError("conflict", f"工作节点已满 (worker {self.worker_id} runs {self._own.capacity} rooms)")
        if not await self._own.claim(requested):
            # Another worker's adoption pass took the new assignment between its put and this claim: the room runs
            # there, and stays assigned (the 200-room failover e2e saw it; answering a conflict lost the room).
            runner = await self._runner_of(requested, wait=True)
            log.info("room=%s session %s was adopted by worker %s as it started", live_id, requested, runner)
            return StartRoomResult(session_id=requested, worker_id=runner, **info)
        try:
            session_id = await self.rooms.start(
                live_id,
                session_id=requested,
                options=client_options(config),
                retry_policy=room_retry_policy(config),
                transport=transport,
            )
        except BaseException:
            await self._work.remove(requested)
            await self._own.release(requested)
            raise
        if session_id != requested:  # the room was already watched, in that session
            await self._work.remove(requested)
            await self._own.release(requested)
        with contextlib.suppress(*TRANSIENT):
            await self._own.register()  # the next placement counts this room already
        return StartRoomResult(session_id=session_id, worker_id=self.worker_id, **info)

    @staticmethod
    async def _live_id_of(resolver: RoomResolver, text: str) -> str:
        """The live id a pasted link names (a share link or profile is followed first: docs/protocol/douyin.md
        §1.6). Without it there is no room to start, so every failure is the command's error."""
        try:
            return await asyncio.wait_for(resolver.live_id_of(text), PRECHECK_TIMEOUT_S)
        except BadRoomInput as exc:
            raise CommandError("invalid", str(exc)) from exc
        except RoomNotFound as exc:
            raise CommandError("not_found", str(exc)) from exc
        except StreamerOffline as exc:
            raise CommandError("conflict", str(exc)) from exc
        except (DouyinError, OSError, TimeoutError) as exc:
            reason = f"链接解析失败，请稍后重试 (could not follow the link): {exc}"
            raise CommandError("upstream_error", reason) from exc

    async def _stop_room(self, params: StopRoom) -> Empty:
        session_id = params.session_id
        assert self._work is not None
        assigned = await self._work.remove(session_id)  # first: a crash while stopping must not resume it
        try:
            await self.rooms.stop(session_id)  # its last events still go out under its lease
        except UnknownSession as exc:
            if not assigned:
                raise CommandError("not_found", str(exc)) from exc
            # Run by another worker: it sees the assignment gone at its next renewal and stops the room.
        finally:
            if self._own is not None:
                await self._own.release(session_id)
        return Empty()

    async def _runner_of(self, session_id: str, *, wait: bool = False) -> str | None:
        """The worker that runs a session now (its lease owner), or None between owners. With ``wait``, a session
        just assigned (a start racing this one, its worker about to take the lease) is given up to a second."""
        assert self._own is not None
        for _ in range(RUNNER_WAIT_TRIES if wait else 1):
            if self._own.fence(session_id) is not None:
                return self.worker_id
            held = await self._own.keeper.leases.owner(session_id)
            if held:
                return worker_of(held[0])
            if wait:
                await asyncio.sleep(RUNNER_WAIT_S)
        return None

    async def _move_room(self, params: MoveRoom) -> MoveRoomResult:
        """Place a room on another worker: the spec names it first (a crash from here on still sends the room
        there), then the room stops here with its last events and cursor written under its lease, and the lease
        goes back; the named worker's next adoption pass (every 2 s) resumes it from that cursor."""
        assert self._work is not None and self._own is not None
        session_id, target = params.session_id, params.worker_id
        if await self._work.get(session_id) is None:
            raise CommandError("not_found", f"没有这个会话 (no such session): {session_id}")
        runner = await self._runner_of(session_id)
        if runner == target:
            raise CommandError("conflict", f"直播间已在工作节点 {target} 上 (session {session_id} runs there already)")
        if runner is not None and runner != self.worker_id:
            assert self._bus is not None
            if runner in {w["worker_id"] for w in await list_workers(self._bus.redis, service=self.name)}:
                # The gateway sends a move to the room's owner: that one took the room over meanwhile.
                raise CommandError(
                    "conflict", f"直播间由工作节点 {runner} 运行，请重试 (session {session_id} moved meanwhile)"
                )
            runner = None  # its worker is gone and its lease about to expire: the named worker takes the room then
        if not await self._work.update_spec(session_id, {"worker_id": target}):
            raise CommandError("not_found", f"没有这个会话 (no such session): {session_id}")
        if runner is None:
            log.info("session %s: placed on worker %s (it runs nowhere now)", session_id, target)
            return MoveRoomResult(session_id=session_id, worker_id=target)
        await self.rooms.drop(session_id, reason=f"迁移到工作节点 {target} (moved to worker {target})")
        await self._own.release(session_id)
        log.info("session %s: moved to worker %s", session_id, target)
        with contextlib.suppress(*TRANSIENT):
            await self._own.register()  # the registry shows it gone from here at once
        return MoveRoomResult(session_id=session_id, worker_id=target, from_worker_id=self.worker_id)

    async def _list_rooms(self, _params: Empty) -> RoomsResult:
        rooms = [{**room, "worker_id": self.worker_id} for room in self.rooms.status()]
        return RoomsResult(sessions=[RoomStatus.model_validate(room) for room in rooms])


def _transport(value: Any) -> str | None:
    """A room's own transport (``auto``, ``direct``, ``browser``), or None for the worker's setting."""
    if value in (None, ""):
        return None
    if value not in TRANSPORTS:
        raise BadRoomInput(f"未知的连接方式 (unknown transport) {value!r}：可选 auto、direct 或 browser")
    return str(value)
