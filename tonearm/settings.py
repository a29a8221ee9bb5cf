"""Configuration: every ``TONEARM_*`` environment variable, read once into ``Settings``.

Settings come from the environment (prefix ``TONEARM_``) and from a ``.env`` file in the
working directory. Nothing here touches the database; the secret key is the one piece of
state that may be created on disk (in the data dir, mode 0600) on first start.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

SECRET_KEY_FILE = "secret_key"  # noqa: S105 - a file name
# Each server worker is a process of its own (~100 MiB resident): one per usable CPU pays
# off for GraphQL, while whole files leave through granian's pathsend without Python.
MAX_DEFAULT_WORKERS = 4
DEFAULT_FRONTEND_DIR = Path(__file__).resolve().parent.parent / "frontend" / "build"


class ConfigurationError(Exception):
    """A setting is unusable; the message is one line meant for the person starting tonearm."""


class Settings(BaseSettings):
    """All tonearm settings. Build with ``Settings()`` to read the environment."""

    model_config = SettingsConfigDict(
        env_prefix="TONEARM_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    media_root: Path | None = Field(
        default=None, description="Folder of audio files the registry is built from."
    )
    data_dir: Path = Field(
        default=Path("data"), description="Where the SQLite database and the secret key live."
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy async URL; default sqlite+aiosqlite:///<data_dir>/tonearm.db.",
    )
    secret_key: SecretStr | None = Field(
        default=None, description="Signing key; generated and kept in <data_dir> when unset."
    )
    previous_secret_keys: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list,
        description="Comma-separated old keys still accepted for verifying (key rotation).",
    )
    stream_url_ttl: int = Field(
        default=6 * 3600, ge=1, le=7 * 24 * 3600, description="Lifetime of stream URLs (s)."
    )
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Comma-separated origins allowed by CORS."
    )
    scan_on_startup: bool = Field(default=False, description="Scan the media root on start.")
    artist_split_exceptions: list[str] = Field(
        default_factory=list,
        description=(
            "Artist names never split into several artists although they contain a "
            'separator (" / ", "; ", " feat. "); a JSON list, e.g. ["Mumford / Sons"].'
        ),
    )
    frontend_dir: Path = Field(
        default=DEFAULT_FRONTEND_DIR, description="Built web player served at /."
    )
    log_level: Literal["debug", "info", "warning", "error"] = "info"
    auth: Literal["required", "none"] = Field(
        default="required",
        description="'none' turns accounts off: only for a private box on a loopback address.",
    )
    auth_none_allow_remote: bool = Field(
        default=False, description="Serve with TONEARM_AUTH=none on a non-loopback address."
    )
    workers: int | None = Field(
        default=None,
        ge=1,
        description="Server worker processes; default one per usable CPU, at most 4.",
    )

    ffmpeg: str = Field(
        default="ffmpeg", description="The ffmpeg program that makes variants (a name or a path)."
    )
    redis_url: str | None = Field(
        default=None,
        description=(
            "Redis URL of the variant job queue, for workers on other machines; unset: the "
            "queue is embedded, a SQLite file in the data dir."
        ),
    )
    pubsub: Literal["auto", "local", "postgres", "redis"] = Field(
        default="auto",
        description=(
            "How the server's processes tell each other about live events: redis "
            "(TONEARM_REDIS_URL), postgres (LISTEN/NOTIFY), local (Unix datagram sockets in "
            "the data dir, one machine); auto: redis when a Redis URL is set, else postgres "
            "on PostgreSQL, else local."
        ),
    )
    workers_embedded: bool = Field(
        default=True, description="'tonearm serve' runs a variant worker beside the server."
    )
    worker_idle_seconds: float = Field(
        default=10.0,
        ge=0,
        description="The embedded worker of the embedded queue stops after this long with "
        "nothing to do and starts again when a job is queued; 0 keeps it running.",
    )
    worker_threads: int = Field(
        default_factory=lambda: usable_cpu_count(),  # noqa: PLW0108 - defined below
        ge=1,
        le=64,
        description="Encodes a variant worker runs at once; default one per usable CPU.",
    )
    variants_on_scan: Literal["on-demand", "eager"] = Field(
        default="on-demand",
        description="Variants of scanned tracks: made at their first play, or queued by the scan.",
    )
    variants_on_upload: Literal["on-demand", "eager"] = Field(
        default="eager", description="Variants of uploaded tracks: queued when they arrive."
    )
    variant_store_max_bytes: int | None = Field(
        default=None,
        ge=0,
        description="Size cap of the variant store; least recently played variants go first.",
    )
    transcode_max_concurrent: int = Field(
        default=8,
        ge=1,
        description="First-play and seek encodes at once on this machine; beyond it: 429.",
    )
    transcode_max_per_user: int = Field(
        default=3, ge=1, description="First-play and seek encodes at once per user; beyond: 429."
    )
    uploads_dir: Path | None = Field(
        default=None,
        description="Where uploaded originals are stored; default <data_dir>/uploads. "
        "Never inside the media root (a scan would register them twice).",
    )
    max_upload_bytes: int = Field(
        default=4 * 1024**3, ge=1, description="Largest file one upload may be (bytes)."
    )
    upload_quota_bytes: int | None = Field(
        default=20 * 1024**3,
        ge=0,
        description="Storage each non-admin uploader may use (bytes); unset: unlimited.",
    )
    upload_expiry_hours: float = Field(
        default=24, gt=0, description="An unfinished resumable upload untouched this long goes."
    )
    uploads_published: bool = Field(
        default=True, description="Whether an uploaded track is published (seen by all) at once."
    )
    comment_rate: int = Field(
        default=10, ge=1, description="Comments one user may post per minute (all workers)."
    )
    share_max_days: int = Field(
        default=90, ge=1, le=3650, description="The longest a share link may stay valid (days)."
    )
    session_ready_timeout_ms: int = Field(
        default=4000,
        ge=100,
        le=60000,
        description="How long a listening session waits for every member to buffer (ms).",
    )
    session_idle_minutes: int = Field(
        default=60,
        ge=1,
        description="A listening session with no control, queue, request or member online "
        "this long ends.",
    )
    trash_retention_days: int = Field(
        default=30,
        ge=0,
        description="Days a deleted object (or a missing track) is kept before it is purged; "
        "0 keeps them until someone purges them.",
    )
    accel: Literal["none", "nginx"] = Field(
        default="none",
        description="'nginx': the stream route only decides and answers with X-Accel-Redirect "
        "to nginx's internal locations (see `tonearm nginx-config`); 'none': tonearm sends "
        "the bytes itself.",
    )
    accel_decision_seconds: int = Field(
        default=2,
        ge=0,
        le=10,
        description="With TONEARM_ACCEL=nginx: how many seconds nginx may keep tonearm's yes to "
        "a stream URL and serve its seeks without asking again (never past the token's life). "
        "A revoked share, a disabled user or a trashed track stops within this on top of "
        "tonearm's own few seconds; 0: nginx asks for every request (X-Accel-Redirect only).",
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["127.0.0.1", "::1"],
        description="Comma-separated addresses or networks (CIDR) of the proxies whose "
        "X-Forwarded-For and X-Forwarded-Proto tonearm believes: the client's address (the "
        "login limit, the access log) and whether it came over HTTPS (Secure cookies); "
        "empty: none. Default: loopback, where a proxy on this machine connects from.",
    )
    instance_name: str | None = Field(
        default=None,
        pattern=r"^[A-Za-z0-9._-]{1,64}$",
        description="A name for this server among its replicas; when set, every response "
        "carries it as X-Tonearm-Instance (which replica answered).",
    )
    allow_file_deletion: bool = Field(
        default=False,
        description="Whether purging a scanned track deletes its file from the media root.",
    )
    storage: Literal["local", "s3"] = Field(
        default="local",
        description="Where uploaded originals, variants and cover thumbnails are kept: "
        "'local' (folders in the data dir) or 's3' (an S3-compatible bucket). The scanned "
        "media root is never copied there.",
    )
    s3_endpoint_url: str | None = Field(
        default=None,
        description="The S3-compatible endpoint (e.g. https://s3.example.com); unset: AWS's "
        "own for the region. Credentials come from the standard AWS variables.",
    )
    s3_bucket: str | None = Field(default=None, description="The bucket (TONEARM_STORAGE=s3).")
    s3_region: str | None = Field(default=None, description="The bucket's region.")
    s3_delivery: Literal["redirect", "proxy"] = Field(
        default="redirect",
        description="How objects reach clients: 'redirect' (302 to a presigned URL; clients "
        "must reach the bucket) or 'proxy' (tonearm relays the bytes, Range included).",
    )
    s3_connect_timeout: float = Field(
        default=3.0, gt=0, le=60, description="Seconds to connect to the S3 endpoint."
    )
    s3_read_timeout: float = Field(
        default=10.0, gt=0, le=300, description="Seconds to wait for the S3 endpoint's answer."
    )
    s3_max_attempts: int = Field(
        default=2, ge=1, le=5, description="Attempts per S3 request (1: no retry)."
    )

    @model_validator(mode="after")
    def _check_storage(self) -> Settings:
        if self.storage == "s3" and not self.s3_bucket:
            raise ValueError("TONEARM_STORAGE=s3 needs TONEARM_S3_BUCKET")
        return self

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip().rstrip("/") for part in value.split(",") if part.strip()]
        return value

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _check_proxies(cls, value: list[str]) -> list[str]:
        for entry in value:
            try:
                ipaddress.ip_network(entry, strict=False)
            except ValueError:
                raise ValueError(
                    f"{entry!r} is not an IP address or network (e.g. 10.0.0.5, 10.0.0.0/24)"
                ) from None
        return value

    def trusted_proxy_networks(self) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
        """``TONEARM_TRUSTED_PROXIES`` as networks (an address is a network of one)."""
        return [ipaddress.ip_network(entry, strict=False) for entry in self.trusted_proxies]

    @field_validator("previous_secret_keys", mode="before")
    @classmethod
    def _split_keys(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to SQLite inside the data dir."""
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{self.data_dir.resolve() / 'tonearm.db'}"

    @property
    def resolved_uploads_dir(self) -> Path:
        """The uploads root (absolute), defaulting to ``<data dir>/uploads``.

        Raises ``ConfigurationError`` when it lies inside the media root.
        """
        uploads = (self.uploads_dir or self.data_dir / "uploads").expanduser().resolve()
        if self.media_root is not None:
            media = self.media_root.expanduser().resolve()
            if uploads == media or uploads.is_relative_to(media):
                raise ConfigurationError(
                    "TONEARM_UPLOADS_DIR is inside the media root: a scan would register "
                    "uploaded files a second time. Choose a folder outside it."
                )
        return uploads

    def require_media_root(self) -> Path:
        """The media root, resolved, or a ``ConfigurationError`` saying what is wrong."""
        return check_media_root(self.media_root)

    def signing_keys(self) -> list[str]:
        """The current key first, then older keys still accepted (key rotation)."""
        current = self.secret_key.get_secret_value() if self.secret_key else None
        if current is None:
            current = load_or_create_secret_key(self.data_dir)
        return [current, *(k.get_secret_value() for k in self.previous_secret_keys)]


def usable_cpu_count() -> int:
    """How many CPUs this process may run on (its affinity mask, not the machine's total)."""
    process_cpu_count = getattr(os, "process_cpu_count", None)  # Python 3.13+
    if process_cpu_count is not None:
        count: int | None = process_cpu_count()
    elif hasattr(os, "sched_getaffinity"):
        count = len(os.sched_getaffinity(0))
    else:
        count = os.cpu_count()
    return count or 1


def default_worker_count(usable_cpus: int) -> int:
    """One worker per usable CPU, at least one and at most ``MAX_DEFAULT_WORKERS``."""
    return max(1, min(usable_cpus, MAX_DEFAULT_WORKERS))


def choose_worker_count(
    *, requested: int | None, configured: int | None, usable_cpus: int | None = None
) -> int:
    """``--workers``, else ``TONEARM_WORKERS``, else the default for the usable CPUs."""
    if requested is not None:
        return requested
    if configured is not None:
        return configured
    return default_worker_count(usable_cpu_count() if usable_cpus is None else usable_cpus)


def check_media_root(media_root: Path | None) -> Path:
    """Resolve the media root and make sure it is a readable folder."""
    if media_root is None:
        raise ConfigurationError("TONEARM_MEDIA_ROOT is not set: point it at your music folder.")
    resolved = media_root.expanduser().resolve()
    if not resolved.exists():
        raise ConfigurationError(f"media root {str(media_root)!r} does not exist.")
    if not resolved.is_dir():
        raise ConfigurationError(f"media root {str(media_root)!r} is not a folder.")
    if not os.access(resolved, os.R_OK | os.X_OK):
        raise ConfigurationError(f"media root {str(media_root)!r} is not readable.")
    return resolved


def load_or_create_secret_key(data_dir: Path) -> str:
    """Read the persisted signing key, creating it (mode 0600) on first use."""
    path = data_dir / SECRET_KEY_FILE
    try:
        key = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        key = ""
    except OSError as exc:
        raise ConfigurationError(
            f"cannot read the secret key file in {data_dir}: {exc.strerror}"
        ) from None
    if key:
        return key
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        key = secrets.token_urlsafe(48)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text(encoding="ascii").strip()
    except OSError as exc:
        raise ConfigurationError(
            f"cannot create the secret key in {data_dir}: {exc.strerror}"
        ) from None
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    return key
