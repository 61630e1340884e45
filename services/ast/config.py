"""The two job settings (docs/contracts.md, Transcription jobs), validated: ``audio_config`` and ``model_config``.

Both arrive as JSON from the gateway; ``parse_audio_config`` / ``parse_model_config`` turn any problem into one
``InvalidJobConfig`` naming each field. The gateway sends every key of its flat model (unused ones as ``None``), so the
audio model is flat too and checks per source which keys are required.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from services.ast.errors import InvalidJobConfig
from services.ast.prompt import MAX_HOTWORDS, MAX_WORD_CHARS, clean_words

__all__ = [
    "LISTEN_KEYS",
    "NETWORK_SCHEMES",
    "AudioConfig",
    "EngineName",
    "Language",
    "ModelConfig",
    "check_stream_url",
    "parse_audio_config",
    "parse_model_config",
]

EngineName = Literal["whisper", "sensevoice", "funasr"]
Language = Literal["zh", "en", "auto"]

# Protocols a url source may use: ffmpeg as a client fetching a stream, nothing else. Local protocols (file:, pipe:,
# concat:) go through source=file or nowhere. tcp, udp, srt and rtsp are refused outright: each has a listening mode
# (``tcp://:9000?listen=1``, ``srt://:9000?mode=listener``) in which ffmpeg would open a port on every
# interface for anyone on the network to feed; a desktop app has no business being a server for a URL a web form sent.
# HLS is read through http(s) (.m3u8), or ffmpeg's explicit hls+http(s).
NETWORK_SCHEMES = frozenset({"http", "https", "rtmp", "rtmps", "hls+http", "hls+https"})
# URL query keys by which an ffmpeg protocol turns into a server; refused whatever the scheme.
LISTEN_KEYS = frozenset({"listen", "rtmp_listen", "listen_timeout"})


def check_stream_url(url: str) -> None:
    """Raise ValueError unless ``url`` is a stream ffmpeg may fetch as a client (the message is for the user)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in NETWORK_SCHEMES:
        allowed = ", ".join(sorted(NETWORK_SCHEMES))
        raise ValueError(
            f"不支持的流地址协议 {scheme or '(无)'}，只接受 {allowed} "
            f"(url scheme {scheme or '(none)'!r} is not a network stream we read; use one of {allowed})"
        )
    if not parts.hostname:
        raise ValueError("流地址缺少主机名 (url has no host)")
    keys = {key.strip().lower() for key, _value in parse_qsl(parts.query, keep_blank_values=True)}
    if keys & LISTEN_KEYS:
        raise ValueError(
            "流地址不能让 ffmpeg 监听端口 (url must not make ffmpeg listen: "
            f"{', '.join(sorted(keys & LISTEN_KEYS))} is refused)"
        )


class AudioConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    source: Literal["session", "url", "file"]
    session_id: str | None = None
    url: str | None = Field(default=None, max_length=4000)
    path: str | None = Field(default=None, max_length=4000)
    # Keep each utterance's audio as a WAV file and report it as audio_file_path.
    save_audio: bool = False
    # url only: a live stream is re-opened when it drops; a finite one (a podcast file) ends the job at its end.
    live: bool = True
    # file only: read at the speed of sound, as if live (the demo and the benchmark use it).
    realtime: bool = False
    # file, or url with live=false: where to begin reading (ms into the source). Transcript times stay the source's
    # own (plus the job's origin): a job adopted by another worker goes on from its last transcript this way.
    start_ms: int = Field(default=0, ge=0, le=7 * 24 * 3600 * 1000)

    @model_validator(mode="after")
    def _required_per_source(self) -> AudioConfig:
        if self.source == "session" and not self.session_id:
            raise ValueError("source=session needs session_id")
        if self.source == "url":
            if not self.url:
                raise ValueError("source=url needs url")
            check_stream_url(self.url)
        if self.source == "file" and not self.path:
            raise ValueError("source=file needs path")
        if self.start_ms and self.is_live:
            raise ValueError("start_ms needs a finite source (a file, or a url with live=false)")
        return self

    @property
    def is_live(self) -> bool:
        return self.source == "session" or (self.source == "url" and self.live)

    def describe(self) -> str:
        """A short label for logs and status (never the full URL: stream URLs carry tokens)."""
        if self.source == "session":
            return f"session:{self.session_id}"
        if self.source == "url":
            parts = urlsplit(self.url or "")
            return f"url:{parts.scheme}://{parts.hostname or ''}{parts.path[:40]}"
        return f"file:{Path(self.path or '').name}"


class ModelConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    engine: EngineName = "whisper"
    language: Language = "zh"
    # whisper: "base" (the packaged model) or a CTranslate2 model folder; sensevoice/funasr: a model folder.
    # A bare name is looked up under $TIMAO_HOME/models.
    model: str | None = Field(default=None, max_length=1000)
    threads: int | None = Field(default=None, ge=1, le=32)
    # whisper only: int8 keeps one job near 300 MB and is the fastest on a plain CPU.
    compute_type: Literal["int8", "int8_float32", "float32"] = "int8"
    # whisper only: "fit" encodes the utterance plus a little silence, "full" the standard 30 s window (slower).
    window: Literal["fit", "full"] = "fit"
    # whisper only: beam search width; 1 is greedy (faster, and measurably less accurate).
    beam_size: int = Field(default=5, ge=1, le=5)
    # The room's own words ("热词": products, catchphrases, names) and the room's title, given to engines that take a
    # prompt (whisper) so that they write them as the room does. At most 50 words of at most 30 characters.
    hotwords: list[str] = Field(default_factory=list, max_length=MAX_HOTWORDS)
    room_title: str | None = Field(default=None, max_length=200)
    # Leave out utterances judged to be singing or instruments (a song playing in the room: music.py). Off for a
    # source that is meant to be sung, or to see what the filter would have dropped.
    music_filter: bool = True

    @field_validator("hotwords")
    @classmethod
    def _words(cls, value: list[str]) -> list[str]:
        too_long = [w for w in value if len(w.strip()) > MAX_WORD_CHARS]
        if too_long:
            raise ValueError(
                f"热词最长 {MAX_WORD_CHARS} 个字 (hot words are at most {MAX_WORD_CHARS} characters): {too_long[0]}"
            )
        return clean_words(value)

    def engine_key(self) -> tuple[Any, ...]:
        """What decides whether two jobs can share one loaded engine (language is chosen per utterance)."""
        return (self.engine, self.model, self.threads, self.compute_type, self.window, self.beam_size)


def _explain(exc: ValidationError, what: str) -> str:
    problems = "; ".join(
        f"{'.'.join(str(p) for p in err['loc']) or what}: {err['msg']}" for err in exc.errors(include_url=False)
    )
    return f"{what} 无效 (invalid {what}): {problems}"


def parse_audio_config(raw: Mapping[str, Any] | AudioConfig) -> AudioConfig:
    if isinstance(raw, AudioConfig):
        return raw
    if not isinstance(raw, Mapping):
        raise InvalidJobConfig("audio_config 必须是对象 (audio_config must be an object)")
    try:
        return AudioConfig.model_validate(dict(raw))
    except ValidationError as exc:
        raise InvalidJobConfig(_explain(exc, "audio_config")) from exc


def parse_model_config(raw: Mapping[str, Any] | ModelConfig | None) -> ModelConfig:
    if raw is None:
        return ModelConfig()
    if isinstance(raw, ModelConfig):
        return raw
    if not isinstance(raw, Mapping):
        raise InvalidJobConfig("model_config 必须是对象 (model_config must be an object)")
    try:
        return ModelConfig.model_validate(dict(raw))
    except ValidationError as exc:
        raise InvalidJobConfig(_explain(exc, "model_config")) from exc
