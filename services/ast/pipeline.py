"""One transcription job: source → VAD → music filter → bounded queue → engine → ``emit(transcript)``.

Two threads per job, so that neither ffmpeg's pipe nor the engine ever blocks the event loop:
- the source thread spawns ffmpeg (and so must outlive it, see sources.py), reads PCM, runs the VAD, leaves out
  the utterances judged singing (music.py; ``model_config.music_filter``), and puts the rest on the job's bounded
  queue. A full queue blocks it, which stops reading the pipe: back-pressure reaches ffmpeg (and the network)
  instead of memory growing. It reconnects live sources with the retry policy.
- the engine thread takes utterances, transcribes, normalises, saves the clip if asked, and hands the transcript
  to the async ``emit`` on the event loop, waiting for it, so transcripts leave in order.

Each utterance is decoded with a prompt (prompt.py): the script and the room's words, and the previous transcripts.
A live job decodes each utterance as the VAD closes it (ending it after 300 ms of silence); a file read as fast as it
goes is decoded in stretches of several utterances, each keeping its own line (context.py; docs/speech.md).

Timestamps are milliseconds on the session's clock: ``origin_ms`` (where this job's stream begins on that clock)
plus the stream position in samples. After a live source drops, the position jumps to the time elapsed on the
injected monotonic clock, so later transcripts stay aligned with the session rather than with the audio received.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import queue
import threading
import time
import wave
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import numpy as np

from services.ast.config import AudioConfig, ModelConfig
from services.ast.context import Stretch, Stretcher, covers, single, split_text
from services.ast.engines.base import SAMPLE_RATE, Audio, Engine, Recognition
from services.ast.errors import AstError, SourceFailed, SourceUnreadable, TranscriptionFailed
from services.ast.music import judge
from services.ast.normalize import is_hallucination, normalize_text
from services.ast.prompt import PromptBuilder
from services.ast.sources import BYTES_PER_SECOND, SourceOpener
from services.ast.vad import Segmenter, Utterance, VadConfig
from shared.retry import GivingUpPolicy, exponential, limited
from shared.states import IllegalTransition, Transitions

__all__ = ["JOB_MOVES", "Emit", "JobState", "StateCallback", "TranscriptionJob"]

log = logging.getLogger(__name__)

Emit = Callable[[dict[str, Any]], Coroutine[Any, Any, None]]
StateCallback = Callable[[dict[str, Any]], Coroutine[Any, Any, None]]
Clock = Callable[[], float]

READ_BYTES = BYTES_PER_SECOND // 2
EMIT_TIMEOUT_S = 30.0
MAX_CONSECUTIVE_ENGINE_ERRORS = 5
POLL_S = 0.2
CONTEXT_MIN_CONFIDENCE = 0.3
# Live: an utterance ends after 300 ms of silence, not 450 ms. The silence waited for is part of every subtitle's
# delay, and at 450 ms two sentences with a short pause between them became one utterance, so the first waited for the
# end of the second: p95 end of speech -> transcript 2.63 s at 450 ms, 1.03 s at 300 ms (one live job on the English
# test speech, load 10-13 on 2 cores; docs/speech.md, Latency). Nobody waits for a file's transcript: 450 ms there.
LIVE_VAD = VadConfig(min_silence_ms=300)


class JobState(StrEnum):
    STARTING = "starting"
    RUNNING = "running"
    RECONNECTING = "reconnecting"
    STOPPING = "stopping"
    FINISHED = "finished"  # the source ended (a file ran out) and every utterance was transcribed
    STOPPED = "stopped"  # stopped on request
    FAILED = "failed"

    @property
    def done(self) -> bool:
        return self in (JobState.FINISHED, JobState.STOPPED, JobState.FAILED)


# The job's legal moves (shared/states.py): any other move raises IllegalTransition, logged where it happens.
JOB_MOVES: Transitions[JobState] = Transitions(
    {
        JobState.STARTING: {
            JobState.RUNNING,
            JobState.RECONNECTING,
            JobState.STOPPING,
            JobState.FINISHED,
            JobState.FAILED,
        },
        JobState.RUNNING: {JobState.RECONNECTING, JobState.STOPPING, JobState.FINISHED, JobState.FAILED},
        # A finite source that gave nothing more after a failed open ends there.
        JobState.RECONNECTING: {JobState.RUNNING, JobState.STOPPING, JobState.FINISHED, JobState.FAILED},
        JobState.STOPPING: {JobState.STOPPED, JobState.FAILED},
        JobState.FINISHED: set(),
        JobState.STOPPED: set(),
        JobState.FAILED: set(),
    }
)
# What the source thread reports (audio flows, the source dropped) no longer moves a job that was asked to stop.
_SOURCE_NEWS = frozenset({JobState.RUNNING, JobState.RECONNECTING})

_END = object()
_FORGET = object()  # queued after a source drop: the prompt forgets the previous text from there on


@dataclass(slots=True)
class _Stats:
    stream_s: float = 0.0  # audio read from the source
    speech_s: float = 0.0  # utterance audio given to the engine
    engine_s: float = 0.0  # time spent in the engine
    vad_s: float = 0.0  # time spent in the VAD
    music_s: float = 0.0  # time spent judging utterances speech or singing
    utterances: int = 0
    transcripts: int = 0
    dropped: int = 0  # utterances the engine returned no text for
    singing: int = 0  # utterances left out as singing or instruments (music.py)
    reconnects: int = 0
    queue_waits: int = 0  # times the source waited on a full queue
    latencies: deque[float] = field(default_factory=lambda: deque(maxlen=200))


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


class TranscriptionJob:
    """One session's transcription. ``start``/``stop``/``join``/``is_running``, like every long-running part."""

    def __init__(
        self,
        session_id: str,
        audio: AudioConfig,
        model: ModelConfig,
        *,
        engine: Engine,
        opener: SourceOpener,
        vad_model: Any,
        emit: Emit,
        loop: asyncio.AbstractEventLoop,
        on_state: StateCallback | None = None,
        vad_config: VadConfig | None = None,
        retry_policy: GivingUpPolicy | None = None,
        clock: Clock = time.monotonic,
        queue_size: int = 32,
        clips_dir: Path | None = None,
        origin_ms: int = 0,
        healthy_after_s: float = 5.0,
    ) -> None:
        self.session_id = session_id
        self.audio = audio
        self.model = model
        self._engine = engine
        self._opener = opener
        if vad_config is None and (opener.live or audio.realtime):
            vad_config = LIVE_VAD
        self._segmenter = Segmenter(vad_model, vad_config)
        vad = self._segmenter.config
        self._pad = vad.speech_pad_ms * SAMPLE_RATE // 1000
        self._short_speech = vad.short_speech_ms * SAMPLE_RATE // 1000
        # A file read as fast as it goes is decoded in stretches of several utterances (context.py); live jobs and
        # engines without a context window decode each utterance as it ends.
        window = float(getattr(engine, "context_window_s", 0.0) or 0.0)
        keep_s = vad.max_utterance_s + (vad.min_silence_ms + vad.onset_lookback_ms + vad.speech_pad_ms) / 1000 + 1.0
        self._stretcher = (
            Stretcher(window, self._pad, keep_s + READ_BYTES / BYTES_PER_SECOND)
            if window > 0 and not opener.live and not audio.realtime
            else None
        )
        self._emit = emit
        self._loop = loop
        self._on_state = on_state
        self._retry = retry_policy or limited(exponential(base=1.0, cap=30.0), 40)
        self._clock = clock
        self._queue: queue.Queue[Any] = queue.Queue(maxsize=queue_size)
        self._clips_dir = clips_dir / session_id if (clips_dir is not None and audio.save_audio) else None
        self._origin_ms = origin_ms
        self._healthy_after_s = healthy_after_s
        self._language = None if model.language == "auto" else model.language
        self._music_filter = model.music_filter
        self._prompt = PromptBuilder(self._language, hotwords=model.hotwords, title=model.room_title or "")
        self._label = f"job={session_id}"
        self._state = JobState.STARTING
        self._state_lock = threading.Lock()
        self._stop = threading.Event()
        self._error: BaseException | None = None
        self._last_error: str | None = None
        self._stats = _Stats()
        self._started_at: float | None = None
        self._done = asyncio.Event()
        self._pending: set[concurrent.futures.Future[Any]] = set()
        self._source_thread = threading.Thread(target=self._source_main, name=f"ast-src-{session_id[:12]}", daemon=True)
        self._engine_thread = threading.Thread(target=self._engine_main, name=f"ast-asr-{session_id[:12]}", daemon=True)

    # -- lifecycle --------------------------------------------------------------------------------------------

    @property
    def state(self) -> JobState:
        return self._state

    @property
    def is_running(self) -> bool:
        return not self._state.done

    @property
    def error(self) -> BaseException | None:
        return self._error

    def start(self) -> None:
        self._started_at = self._clock()
        log.info("%s starting: source=%s engine=%s", self._label, self.audio.describe(), self._engine.name)
        self._source_thread.start()
        self._engine_thread.start()

    def stop(self) -> None:
        """Ask the job to stop; returns at once. The utterance being transcribed finishes, the queue is dropped."""
        with self._state_lock:  # the stop and its move at once: _finish must never see one without the other
            if self._state.done or self._stop.is_set():
                return
            self._stop.set()
            old, self._state = self._state, JOB_MOVES.move(self._label, self._state, JobState.STOPPING)
        self._announce(old, JobState.STOPPING)
        self._opener.interrupt()

    def join(self, timeout: float | None = None) -> bool:
        """Block until both threads have ended; True when they have."""
        self._engine_thread.join(timeout)
        return not self._engine_thread.is_alive()

    async def wait(self) -> JobState:
        await self._done.wait()
        return self._state

    def add_products(self, names: list[str]) -> None:
        """Product names from the room's recent comments, for the prompt of the utterances to come."""
        self._prompt.add_products(names)

    def _set_state(self, new: JobState) -> bool:
        """Move to ``new``; False when it is the current state, or source news after a stop was asked for. A move
        JOB_MOVES does not list raises IllegalTransition (a bug: the thread that made it logs it and fails)."""
        with self._state_lock:
            old = self._state
            if new == old or (new in _SOURCE_NEWS and self._stop.is_set()):
                return False
            self._state = JOB_MOVES.move(self._label, old, new)
        self._announce(old, new)
        return True

    def _announce(self, old: JobState, new: JobState) -> None:
        """Log a change and hand the job's status, with the state it left (``previous``), to ``on_state``."""
        log.info("%s state %s -> %s", self._label, old, new)
        if self._on_state is not None:
            self._call_soon(self._on_state({**self.status(), "state": str(new), "previous": str(old)}))

    def _call_soon(self, coro: Coroutine[Any, Any, Any]) -> concurrent.futures.Future[Any] | None:
        try:
            fut = asyncio.run_coroutine_threadsafe(coro, self._loop)
        except RuntimeError:  # the loop is closed: the process is going down
            coro.close()
            return None
        self._pending.add(fut)
        fut.add_done_callback(self._pending.discard)
        return fut

    # -- source thread ----------------------------------------------------------------------------------------

    def _put(self, item: Any) -> bool:
        try:
            self._queue.put_nowait(item)
            return True
        except queue.Full:
            self._stats.queue_waits += 1
        while not self._stop.is_set():
            try:
                self._queue.put(item, timeout=POLL_S)
                return True
            except queue.Full:
                continue
        return False

    def _source_main(self) -> None:
        try:
            self._read_source()
        except AstError as exc:
            self._fail(exc)
        except Exception as exc:  # a bug must not leave the job hanging: report it as the job's failure
            log.exception("%s source thread crashed", self._label)
            self._fail(exc)
        finally:
            self._put(_END)

    def _fail(self, exc: BaseException) -> None:
        if self._error is None:
            self._error = exc
        self._last_error = str(exc)
        log.warning("%s failed: %s", self._label, exc)
        self._stop.set()

    def _read_source(self) -> None:
        attempt = 0
        t_first: float | None = None  # clock time of the first sample of the first connection
        while not self._stop.is_set():
            try:
                stream = self._opener.open()
            except SourceFailed as exc:
                stream = None
                self._last_error = str(exc)
                log.warning("%s cannot open source: %s", self._label, exc)
            if stream is not None:
                got, t_first = self._pump(stream, t_first)
                end = stream.close()
                for utt in self._segmenter.flush():  # a dropped connection ends the utterance in progress
                    self._enqueue(utt)
                for stretch in self._stretcher.flush() if self._stretcher is not None else ():
                    self._put((stretch, time.perf_counter()))
                # In the queue, not here: utterances queued before the drop still follow their own context.
                self._put(_FORGET)
                if self._stop.is_set():
                    return
                if not self._opener.live:
                    if not end.ok:
                        where = self.audio.describe()
                        raise SourceUnreadable(f"无法解码音频 (cannot decode audio) {where}: {end.message}")
                    return
                self._last_error = f"source ended: {end.message or 'connection closed'}"
                log.warning("%s source ended after %.1fs of audio: %s", self._label, got, end.message or "closed")
                if got >= self._healthy_after_s:
                    attempt = 0
            attempt += 1
            self._stats.reconnects += 1
            delay = self._retry(attempt, self._stats.reconnects)
            if delay is None:
                raise SourceFailed(
                    f"音频源多次重连失败 (source stayed down after {attempt} attempts): {self._last_error}"
                )
            self._set_state(JobState.RECONNECTING)
            log.info("%s reconnecting in %.1fs (attempt %d)", self._label, delay, attempt)
            self._stop.wait(delay)

    def _pump(self, stream: Any, t_first: float | None) -> tuple[float, float | None]:
        """Read one connection to its end. Returns the seconds of audio it gave, and the timeline anchor."""
        remainder = b""
        received = 0
        while not self._stop.is_set():
            data = stream.read(READ_BYTES)
            if not data:
                break
            if received == 0:
                t_first = self._start_connection(t_first)
            data = remainder + data
            usable = len(data) - len(data) % 2
            remainder = data[usable:]
            received += usable
            self._stats.stream_s += usable / BYTES_PER_SECOND
            samples = np.frombuffer(data[:usable], dtype="<i2").astype(np.float32) / 32768.0
            if self._stretcher is not None:
                self._stretcher.feed(samples, self._segmenter.position)
            t0 = time.perf_counter()
            utterances = self._segmenter.feed(samples)
            self._stats.vad_s += time.perf_counter() - t0
            for utt in utterances:
                self._enqueue(utt)
        return received / BYTES_PER_SECOND, t_first

    def _start_connection(self, t_first: float | None) -> float:
        now = self._clock()
        if t_first is None:
            t_first = now
        elif self._opener.live:
            # The stream went on while we were away: continue the timeline at the time elapsed.
            elapsed = int((now - t_first) * SAMPLE_RATE)
            self._segmenter.reset(max(self._segmenter.position, elapsed))
        self._set_state(JobState.RUNNING)
        return t_first

    def _enqueue(self, utt: Utterance) -> None:
        self._stats.utterances += 1
        # When the VAD closed it: the end of speech plus the silence it had to wait for.
        lag = max(0, self._segmenter.position - utt.end) / SAMPLE_RATE
        if self._music_filter and self._is_singing(utt):
            # A stretch must not reach over the song either: its pauses would carry the lyrics to the engine.
            for stretch in self._stretcher.flush() if self._stretcher is not None else ():
                self._put((stretch, time.perf_counter()))
            return
        if self._stretcher is None:
            self._put((single(utt, self._pad), time.perf_counter() - lag))
            return
        for stretch in self._stretcher.add(utt):
            self._put((stretch, time.perf_counter()))

    def _is_singing(self, utt: Utterance) -> bool:
        t0 = time.perf_counter()
        verdict = judge(utt.audio)
        self._stats.music_s += time.perf_counter() - t0
        if verdict.singing:
            self._stats.singing += 1
            log.info(
                "%s utterance %.2f-%.2f s left out as singing (%s: %s)",
                self._label,
                (self._origin_ms / 1000) + utt.start / SAMPLE_RATE,
                (self._origin_ms / 1000) + utt.end / SAMPLE_RATE,
                verdict.reason,
                verdict.features.describe(),
            )
        return verdict.singing

    # -- engine thread ----------------------------------------------------------------------------------------

    def _engine_main(self) -> None:
        errors = 0
        try:
            while True:
                try:
                    item = self._queue.get(timeout=POLL_S)
                except queue.Empty:
                    if self._stop.is_set() and not self._source_thread.is_alive():
                        break
                    continue
                if item is _END or self._stop.is_set():
                    break
                if item is _FORGET:  # the source dropped: what comes next starts a new context
                    self._prompt.forget()
                    continue
                stretch, t_speech_end = item
                try:
                    self._transcribe(stretch, t_speech_end)
                    errors = 0
                except Exception as exc:  # engine libraries raise anything; one bad utterance is skipped
                    errors += 1
                    self._last_error = f"transcription failed: {exc}"
                    log.warning("%s transcription failed (%d in a row): %s", self._label, errors, exc)
                    if errors >= MAX_CONSECUTIVE_ENGINE_ERRORS:
                        self._fail(TranscriptionFailed(f"转写连续失败 (transcription keeps failing): {exc}"))
                        self._opener.interrupt()
                        break
        finally:
            self._finish()

    def _finish(self) -> None:
        self._source_thread.join(10.0)
        if self._error is not None:
            final = JobState.FAILED
        elif self._stop.is_set():
            final = JobState.STOPPED
        else:
            final = JobState.FINISHED
        try:
            self._set_state(final)
        except IllegalTransition:  # a bug in JOB_MOVES: said loudly, and the job still ends
            log.exception("%s forcing state %s -> %s", self._label, self._state, final)
            with self._state_lock:
                old, self._state = self._state, final
            self._announce(old, final)
        log.info(
            "%s %s: %d transcripts from %.1fs of audio",
            self._label,
            self._state,
            self._stats.transcripts,
            self._stats.stream_s,
        )
        with contextlib.suppress(RuntimeError):  # the loop is already closed
            self._loop.call_soon_threadsafe(self._done.set)

    def _transcribe(self, stretch: Stretch, t_speech_end: float) -> None:
        t0 = time.perf_counter()
        utterances = stretch.utterances
        lone_word = len(utterances) == 1 and utterances[0].end - utterances[0].start < self._short_speech
        prompt = self._prompt.prompt(stretch.start / SAMPLE_RATE, previous=not lone_word)
        result = self._engine.transcribe(stretch.audio, language=self._language, prompt=prompt)
        self._stats.engine_s += time.perf_counter() - t0
        self._stats.speech_s += len(stretch.audio) / SAMPLE_RATE
        language = result.language or (self._language or "")
        text = normalize_text(result.text, language)
        if len(utterances) > 1 and (not text or is_hallucination(text) or not covers(text, stretch)):
            # The decoder stopped early (or heard nothing in the whole): each utterance on its own, as live.
            log.info("%s stretch of %d utterances gave %r; decoding each alone", self._label, len(utterances), text)
            self._stats.speech_s -= len(stretch.audio) / SAMPLE_RATE
            for utt in utterances:
                self._transcribe(single(utt, self._pad), t_speech_end)
            return
        if not text or is_hallucination(text):
            self._stats.dropped += len(utterances)
            return
        if result.confidence >= CONTEXT_MIN_CONFIDENCE:  # a doubtful text would only be something to copy
            self._prompt.remember(text, stretch.end / SAMPLE_RATE)
        parts = split_text(text, [u.end - u.start for u in utterances])
        # An utterance that got no part of the text joins the next one that did (the last one's text, the one before).
        spans: list[tuple[int, int, str]] = []
        start: int | None = None
        for utt, part in zip(utterances, parts, strict=True):
            start = utt.start if start is None else start
            if part:
                spans.append((start, utt.end, part))
                start = None
        if start is not None and spans:
            first, _, last_text = spans[-1]
            spans[-1] = (first, utterances[-1].end, last_text)
        for span_start, span_end, part in spans:
            self._deliver_span(stretch, span_start, span_end, part, result, language)
        self._stats.latencies.append(time.perf_counter() - t_speech_end)

    def _deliver_span(
        self, stretch: Stretch, start: int, end: int, text: str, result: Recognition, language: str
    ) -> None:
        start_ms = self._origin_ms + start * 1000 // SAMPLE_RATE
        end_ms = self._origin_ms + end * 1000 // SAMPLE_RATE
        transcript: dict[str, Any] = {
            "session_id": self.session_id,
            "text": text,
            "start_ms": start_ms,
            "end_ms": end_ms,
            "confidence": round(result.confidence, 4),
            "language": language,
            "engine": self._engine.name,
            "model": self._engine.model_name,
            **dict(result.tags),
        }
        if self._clips_dir is not None:
            transcript["audio_file_path"] = str(self._save_clip(stretch.clip(start, end, self._pad), start_ms))
        self._deliver(transcript)
        self._stats.transcripts += 1

    def _save_clip(self, audio: Audio, start_ms: int) -> Path:
        assert self._clips_dir is not None
        self._clips_dir.mkdir(parents=True, exist_ok=True)
        path = self._clips_dir / f"{start_ms:010d}.wav"
        pcm = (np.clip(audio, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()
        with wave.open(str(path), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(SAMPLE_RATE)
            out.writeframes(pcm)
        return path.resolve()

    def _deliver(self, transcript: dict[str, Any]) -> None:
        fut = self._call_soon(self._emit(transcript))
        if fut is None:
            return
        deadline = time.monotonic() + EMIT_TIMEOUT_S
        while True:
            try:
                fut.result(timeout=POLL_S)
                return
            except concurrent.futures.TimeoutError:
                if time.monotonic() > deadline:
                    fut.cancel()
                    self._last_error = "emit timed out"
                    log.warning("%s emit did not finish within %.0fs; transcript dropped", self._label, EMIT_TIMEOUT_S)
                    return
            except Exception as exc:  # the consumer's failure (bus down) must not kill transcription
                self._last_error = f"emit failed: {exc}"
                log.warning("%s emit failed: %s", self._label, exc)
                return

    # -- status -----------------------------------------------------------------------------------------------

    def status(self) -> dict[str, Any]:
        s = self._stats
        latencies = list(s.latencies)
        busy = s.engine_s + s.vad_s + s.music_s
        return {
            "session_id": self.session_id,
            "state": str(self._state),
            "source": self.audio.source,
            "source_label": self.audio.describe(),
            "engine": self._engine.name,
            "model": self._engine.model_name,
            "language": self.model.language,
            "queue_depth": self._queue.qsize(),
            "queue_max": self._queue.maxsize,
            "audio_seconds": round(s.stream_s, 2),
            "speech_seconds": round(s.speech_s, 2),
            # Machine time per second of stream (silence included: it costs almost nothing).
            "rtf": round(busy / s.stream_s, 4) if s.stream_s else None,
            # Engine time per second of speech given to it.
            "speech_rtf": round(s.engine_s / s.speech_s, 4) if s.speech_s else None,
            "latency_p50_s": _round(_percentile(latencies, 0.5)),
            "latency_p95_s": _round(_percentile(latencies, 0.95)),
            "utterances": s.utterances,
            "transcripts": s.transcripts,
            "dropped": s.dropped,
            "singing": s.singing,
            "reconnects": s.reconnects,
            "queue_waits": s.queue_waits,
            "last_error": self._last_error,
            "uptime_s": round(self._clock() - self._started_at, 1) if self._started_at is not None else 0.0,
        }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 3)
