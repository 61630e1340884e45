"""Settings of the whole suite: environment variables (``TIMAO_*``) over an optional settings file.

The names and defaults are those of docs/contracts.md, Settings. Every process builds its own ``Settings`` in ``main()``
(never at import time) and passes it down; the launcher hands the resolved values to its children through
the environment so every service sees the same home, database, Redis and token.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import socket
import sys
import tomllib
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from shared.errors import ConfigError

__all__ = [
    "EDITABLE_KEYS",
    "RESTART_KEYS",
    "Settings",
    "default_home",
    "load_settings",
    "private_umask",
    "save_settings",
]

SETTINGS_FILE_NAME = "settings.toml"
# What the UI may change through the gateway; the rest (home, URLs, token, signer) stays with the environment.
EDITABLE_KEYS = frozenset(
    {"recordings_dir", "recording_quality", "ast_engine", "ast_model", "gateway_port", "streamcap_port", "log_level"}
)
# Keys that take effect only when the suite restarts.
RESTART_KEYS = frozenset({"recordings_dir", "gateway_port", "streamcap_port", "log_level"})


PRIVATE_UMASK = 0o077


def private_umask() -> None:
    """Make every file and folder this process (and its children: ffmpeg, redis-server) creates owner-only.

    ``$TIMAO_HOME`` holds the token, the database, logs and recordings of the user's live rooms; on a shared machine
    none of it is for other accounts. A umask set first thing is the one place that covers files created anywhere
    later, by any library (SQLite's WAL files, rotated logs, recordings); ``ensure_dirs`` fixes what already exists.
    """
    os.umask(PRIVATE_UMASK)


def default_home() -> Path:
    """Per-user data folder: %APPDATA%\\TalkingCat on Windows, ~/.local/share/talkingcat elsewhere."""
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
        return base / "TalkingCat"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "TalkingCat"
    base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "talkingcat"


class _TomlFileSource(PydanticBaseSettingsSource):
    """Reads ``$TIMAO_HOME/settings.toml``: the same keys as the environment, lower case, without the prefix."""

    def __init__(self, settings_cls: type[BaseSettings], path: Path) -> None:
        super().__init__(settings_cls)
        self._data: dict[str, Any] = {}
        if path.is_file():
            try:
                self._data = tomllib.loads(path.read_text(encoding="utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise ConfigError(f"{path}: not valid TOML: {exc}") from exc

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self._data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return {k: v for k, v in self._data.items() if k in self.settings_cls.model_fields}


# The editable settings' values, shared with the gateway's settings API so its schema says what is accepted.
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR"]
RecordingQuality = Literal["origin", "FULL_HD1", "HD1", "SD1", "SD2"]
AstEngine = Literal["whisper", "sensevoice", "funasr"]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TIMAO_", extra="ignore", validate_default=True)

    home: Path = Field(default_factory=default_home)
    database_url: str = ""
    redis_url: str = ""
    token: str = ""
    gateway_port: int = Field(default=9019, ge=1, le=65535)
    streamcap_port: int = Field(default=6006, ge=1, le=65535)
    douyin_live_url: str = "https://live.douyin.com"
    douyin_www_url: str = "https://www.douyin.com"
    # Share links: the phone app's short links, and the app-side room API they lead to (docs/protocol/douyin.md §1.6).
    douyin_share_url: str = "https://v.douyin.com"
    douyin_reflow_url: str = "https://webcast.amemv.com"
    douyin_ws_url: str = "wss://webcast100-ws-web-lq.douyin.com/webcast/im/push/v2/"
    douyin_signer: str = ""
    # Real rooms (contracts: Douyin account and transports): how rooms connect, and the browser that serves them.
    douyin_transport: Literal["auto", "direct", "browser"] = "auto"
    browser: str = ""  # TIMAO_BROWSER: chrome, msedge, chromium or an executable's path; empty: auto-detect
    browser_headless: bool = False
    recordings_dir: Path | None = None
    log_level: LogLevel = "INFO"
    # Defaults for new recordings and transcriptions (the UI's settings page edits them; no restart needed).
    recording_quality: RecordingQuality = "origin"
    ast_engine: AstEngine = "whisper"
    ast_model: str = Field(default="", max_length=500)
    # Extra UI origins allowed by the gateway besides its own, with CORS (comma separated; shared/websec.py).
    allowed_origins: str = ""
    # Workers on several machines (docs/contracts.md): this worker's name (default: host name and a short suffix
    # from TIMAO_HOME, the same at every start), how many rooms it takes, and how long its leases live.
    worker_id: str = Field(default="", max_length=100, pattern=r"^[A-Za-z0-9._-]*$")
    worker_rooms_max: int = Field(default=500, ge=1, le=100_000)
    worker_lease_ttl_s: float = Field(default=9.0, ge=0.5, le=300)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        home = Path(os.environ.get("TIMAO_HOME") or default_home())
        return init_settings, env_settings, _TomlFileSource(settings_cls, home / SETTINGS_FILE_NAME)

    @field_validator("database_url", "redis_url")
    @classmethod
    def _url_scheme(cls, value: str, info: Any) -> str:
        value = value.strip()
        if not value:
            return value
        schemes = ("redis://", "rediss://", "unix://") if info.field_name == "redis_url" else None
        if schemes and not value.startswith(schemes):
            raise ValueError("must start with redis://, rediss:// or unix://")
        if info.field_name == "database_url" and "://" not in value:
            raise ValueError("must be an SQLAlchemy URL such as sqlite:///path or postgresql+psycopg://...")
        return value

    @field_validator("*")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        # No real setting holds a NUL, and a path that does breaks every later mkdir/open (ValueError) for good.
        if isinstance(value, str | Path) and "\x00" in str(value):
            raise ValueError("must not contain a NUL character")
        return value

    @field_validator("douyin_signer")
    @classmethod
    def _signer(cls, value: str) -> str:
        value = value.strip()
        if value and value != "none" and not value.startswith("js:"):
            raise ValueError("must be 'none' or 'js:PATH'")
        return value

    # Derived values: the contracts' defaults that depend on TIMAO_HOME.

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.home / 'timao.db').as_posix()}"

    @property
    def effective_signer(self) -> str:
        if self.douyin_signer:
            return self.douyin_signer
        default_js = self.home / "signer" / "sign.js"
        return f"js:{default_js}" if default_js.is_file() else "none"

    @property
    def page_signing(self) -> bool:
        """No signer set and no sign.js: the push URL is signed by the live site's own page in a browser."""
        return not self.douyin_signer and not (self.home / "signer" / "sign.js").is_file()

    @property
    def effective_worker_id(self) -> str:
        if self.worker_id:
            return self.worker_id
        host = "".join(c if c.isalnum() or c in ".-_" else "-" for c in socket.gethostname())[:60] or "worker"
        suffix = hashlib.sha256(str(self.home.resolve()).encode()).hexdigest()[:6]
        return f"{host}-{suffix}"

    @property
    def effective_recordings_dir(self) -> Path:
        return self.recordings_dir or self.home / "recordings"

    @property
    def logs_dir(self) -> Path:
        return self.home / "logs"

    @property
    def run_dir(self) -> Path:
        return self.home / "run"

    @property
    def models_dir(self) -> Path:
        return self.home / "models"

    def ensure_dirs(self) -> None:
        """Create the suite's folders owner-only (0700) and make what an older version left there owner-only too."""
        private = [self.home, self.logs_dir, self.run_dir]
        if self.recordings_dir is None:
            private.append(self.effective_recordings_dir)
        for path in private:
            path.mkdir(mode=0o700, parents=True, exist_ok=True)
            os.chmod(path, 0o700)
        if self.recordings_dir is not None:
            # A folder the user chose (say ~/Videos) keeps the mode the user gave it; only a new one is ours to set.
            # The recordings in it are still owner-only (the umask).
            self.recordings_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        for name in ("token", SETTINGS_FILE_NAME):  # the database file: shared.db.engine.make_engine
            if (self.home / name).is_file():
                os.chmod(self.home / name, 0o600)
        for log_file in self.logs_dir.iterdir():
            if log_file.is_file():
                os.chmod(log_file, 0o600)

    def known_secrets(self) -> list[str]:
        """Values that must never reach a log line: the token, and the passwords inside the store URLs."""
        values = [self.token] if self.token else []
        token_file = self.home / "token"
        if not self.token and token_file.is_file():
            values.append(token_file.read_text(encoding="utf-8").strip())
        for url in (self.database_url, self.redis_url):
            password = urlsplit(url).password if "://" in url else None
            if password:
                values.append(password)
        return [v for v in values if v]

    def resolve_token(self) -> str:
        """The gateway token: TIMAO_TOKEN, else the one generated once into ``$TIMAO_HOME/token``."""
        if self.token:
            return self.token
        path = self.home / "token"
        if path.is_file():
            existing = path.read_text(encoding="utf-8").strip()
            if existing:
                return existing
        self.home.mkdir(mode=0o700, parents=True, exist_ok=True)
        token = secrets.token_urlsafe(32)
        # Create with owner-only permissions; a racing second writer keeps the first token.
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            return path.read_text(encoding="utf-8").strip()
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(token)
        return token

    def child_environment(self, **extra: str) -> dict[str, str]:
        """The environment the launcher gives every service, so all agree on home, stores and token."""
        env = dict(os.environ)
        env.update(
            TIMAO_HOME=str(self.home),
            TIMAO_DATABASE_URL=self.effective_database_url,
            TIMAO_TOKEN=self.resolve_token(),
            TIMAO_GATEWAY_PORT=str(self.gateway_port),
            TIMAO_STREAMCAP_PORT=str(self.streamcap_port),
            TIMAO_DOUYIN_LIVE_URL=self.douyin_live_url,
            TIMAO_DOUYIN_WWW_URL=self.douyin_www_url,
            TIMAO_DOUYIN_SHARE_URL=self.douyin_share_url,
            TIMAO_DOUYIN_REFLOW_URL=self.douyin_reflow_url,
            TIMAO_DOUYIN_WS_URL=self.douyin_ws_url,
            TIMAO_DOUYIN_TRANSPORT=self.douyin_transport,
            TIMAO_LOG_LEVEL=self.log_level,
            TIMAO_WORKER_ID=self.effective_worker_id,
            TIMAO_WORKER_ROOMS_MAX=str(self.worker_rooms_max),
            TIMAO_WORKER_LEASE_TTL_S=str(self.worker_lease_ttl_s),
            PYTHONUNBUFFERED="1",
        )
        if self.redis_url:
            env["TIMAO_REDIS_URL"] = self.redis_url
        # Passed on only when chosen: unset, the services sign with sign.js if present, else through the page.
        if self.douyin_signer:
            env["TIMAO_DOUYIN_SIGNER"] = self.douyin_signer
        else:
            env.pop("TIMAO_DOUYIN_SIGNER", None)
        if self.browser:
            env["TIMAO_BROWSER"] = self.browser
        if self.browser_headless:
            env["TIMAO_BROWSER_HEADLESS"] = "1"
        env.update(extra)
        return env

    def public_view(self) -> dict[str, Any]:
        """Settings as shown to the user: no token, no password inside a database or Redis URL."""
        data: dict[str, Any] = json.loads(self.model_dump_json())
        data.pop("token", None)
        data["database_url"] = redact_url(self.effective_database_url)
        data["redis_url"] = redact_url(self.redis_url)
        return data


def redact_url(url: str) -> str:
    """``scheme://user:secret@host`` → ``scheme://user:***@host``; other URLs as they are."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = parts.username or ""
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def load_settings(**overrides: Any) -> Settings:
    """Build settings, turning validation failures into one ConfigError that names each key and reason."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            f"TIMAO_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"invalid settings: {problems}") from exc


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    # JSON string escapes are valid TOML basic-string escapes; JSON leaves DEL as it is, which TOML refuses.
    return json.dumps(str(value), ensure_ascii=False).replace("\x7f", "\\u007f")


def save_settings(home: Path, changes: dict[str, Any]) -> Settings:
    """Validate ``changes`` (EDITABLE_KEYS only) and merge them into ``$TIMAO_HOME/settings.toml``.

    Answers the settings as they will be after a restart; a bad value raises ConfigError naming the key.
    """
    unknown = sorted(set(changes) - EDITABLE_KEYS)
    if unknown:
        raise ConfigError(f"not editable here: {', '.join(unknown)}")
    path = home / SETTINGS_FILE_NAME
    current: dict[str, Any] = {}
    if path.is_file():
        try:
            current = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    merged = {**current, **{k: v for k, v in changes.items() if v is not None}}
    for key in [k for k, v in changes.items() if v is None]:
        merged.pop(key, None)  # None puts a key back to its default
    load_settings(home=home, **merged)  # validates; raises before anything is written
    lines = ["# TalkingCat settings (the environment wins over this file).", ""]
    lines += [f"{key} = {_toml_value(value)}" for key, value in sorted(merged.items())]
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    tmp = path.with_suffix(".toml.tmp")
    # Owner-only whatever the process umask: the file may carry paths and settings of the user's own.
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write("\n".join(lines) + "\n")
    tmp.replace(path)
    return load_settings(home=home)
