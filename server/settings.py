"""One frozen Settings object built from the environment; nothing reads os.environ elsewhere."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./catalog.db"
WORKER_MODES = ("process", "loop", "none")

_DRIVERS = {
    "sqlite://": "sqlite+aiosqlite://",
    "postgresql://": "postgresql+asyncpg://",
    "postgres://": "postgresql+asyncpg://",
}


def normalise_database_url(url: str) -> str:
    """Rewrite plain `sqlite://` / `postgresql://` URLs to the async drivers we ship."""
    for plain, driver in _DRIVERS.items():
        if url.startswith(plain):
            return driver + url[len(plain) :]
    return url


def _flag(value: str) -> bool:
    return value.strip().lower() not in ("0", "false", "no", "off", "")


def _worker_mode(value: str) -> str:
    if value not in WORKER_MODES:
        raise ValueError(f"expected one of {', '.join(WORKER_MODES)}")
    return value


def _storage(value: str) -> str:
    """EXPORT_STORAGE: empty (files in EXPORT_DIR) or `s3://bucket[/prefix]`."""
    if value and not (value.startswith("s3://") and value[5:].strip("/")):
        raise ValueError("expected s3://bucket/prefix (or nothing, for files in EXPORT_DIR)")
    return value


def _origins(value: str) -> tuple[str, ...]:
    return tuple(o.strip() for o in value.split(",") if o.strip())


# Environment variable -> (Settings field, parser). The one place the environment is read.
_ENV: dict[str, tuple[str, Callable[[str], object]]] = {
    "DATABASE_URL": ("database_url", normalise_database_url),
    "HOST": ("host", str),
    "PORT": ("port", int),
    "EXPORT_DIR": ("export_dir", Path),
    "MAX_PAGE_SIZE": ("max_page_size", int),
    "INLINE_EXPORT_CAP": ("inline_export_cap", int),
    "MAX_INLINE_BYTES": ("max_inline_bytes", int),
    "EXPORT_PAGE_SIZE": ("export_page_size", int),
    "EXPORT_TTL_SECONDS": ("export_ttl_seconds", int),
    "MAX_FILTER_DEPTH": ("max_filter_depth", int),
    "MAX_IN_LIST": ("max_in_list", int),
    "MAX_FILTER_NODES": ("max_filter_nodes", int),
    "CORS_ORIGINS": ("cors_origins", _origins),
    "GRAPHIQL": ("graphiql", _flag),
    "INTROSPECTION": ("introspection", _flag),
    "SECRET_KEY": ("secret_key", str),
    "LINK_TTL_SECONDS": ("link_ttl_seconds", int),
    "MAX_QUERY_DEPTH": ("max_query_depth", int),
    "MAX_ALIASES": ("max_aliases", int),
    "MAX_TOKENS": ("max_tokens", int),
    "MAX_STRING_LENGTH": ("max_string_length", int),
    "MAX_BODY_BYTES": ("max_body_bytes", int),
    "HTTP_HEADER_TIMEOUT_SECONDS": ("http_header_timeout_seconds", float),
    "HTTP_BODY_TIMEOUT_SECONDS": ("http_body_timeout_seconds", float),
    "HTTP_KEEP_ALIVE_SECONDS": ("http_keep_alive_seconds", int),
    "MAX_CONNECTIONS": ("max_connections", int),
    "MAX_CONCURRENT_EXPORTS": ("max_concurrent_exports", int),
    "RATE_LIMIT_PER_SECOND": ("rate_limit_per_second", float),
    "RATE_LIMIT_BURST": ("rate_limit_burst", int),
    "DATABASE_POOL_SIZE": ("pool_size", int),
    "DATABASE_MAX_OVERFLOW": ("pool_max_overflow", int),
    "SQLITE_MMAP_MB": ("sqlite_mmap_mb", int),
    "SQLITE_BUSY_TIMEOUT_MS": ("sqlite_busy_timeout_ms", int),
    "EXPORT_LEASE_SECONDS": ("export_lease_seconds", float),
    "EXPORT_MAX_RECLAIMS": ("export_max_reclaims", int),
    "EXPORT_CHECKPOINT_SECONDS": ("export_checkpoint_seconds", float),
    "SHUTDOWN_GRACE_SECONDS": ("shutdown_grace_seconds", float),
    "FACET_REFRESH_SECONDS": ("facet_refresh_seconds", float),
    "EXPORT_WORKER_MODE": ("export_worker_mode", _worker_mode),
    "EXPORT_STORAGE": ("export_storage", _storage),
    "EXPORT_PART_BYTES": ("export_part_bytes", int),
    "EXPORT_FLUSH_SECONDS": ("export_flush_seconds", float),
    "S3_ENDPOINT_URL": ("s3_endpoint_url", str),
    "AWS_REGION": ("s3_region", str),
    "AWS_ACCESS_KEY_ID": ("s3_access_key_id", str),
    "AWS_SECRET_ACCESS_KEY": ("s3_secret_access_key", str),
    "PUBLIC_URL": ("public_url", lambda value: value.rstrip("/")),
    "WEBHOOK_TIMEOUT_SECONDS": ("webhook_timeout_seconds", float),
    "WEBHOOK_MAX_RESPONSE_BYTES": ("webhook_max_response_bytes", int),
    "WEBHOOK_RETRY_SECONDS": ("webhook_retry_seconds", float),
    "WEBHOOK_MAX_ATTEMPTS": ("webhook_max_attempts", int),
    "WEBHOOK_CONCURRENCY": ("webhook_concurrency", int),
    "WEBHOOK_ALLOWED_NETWORKS": ("webhook_allowed_networks", _origins),
    "MAX_SOCKETS_PER_KEY": ("max_sockets_per_key", int),
    "SUBSCRIPTION_POLL_SECONDS": ("subscription_poll_seconds", float),
}


def _parse(var: str, raw: str) -> object:
    name, parse = _ENV[var]
    try:
        return parse(raw)
    except ValueError as exc:
        raise ValueError(f"environment variable {var}={raw!r} is not a valid {name}: {exc}") from exc


def _from_env(env: Mapping[str, str]) -> dict[str, Any]:
    return {_ENV[var][0]: _parse(var, env[var]) for var in _ENV if var in env}


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = 8000
    export_dir: Path = Path("./exports")
    max_page_size: int = 1000
    inline_export_cap: int = 10_000
    max_inline_bytes: int = 16 * 1024 * 1024  # export results answered inline (`exportTask.ndjson`) per request
    export_page_size: int = 2000
    export_ttl_seconds: int = 7 * 24 * 3600
    export_lease_seconds: float = 30.0  # a running task's claim; renewed every third of it, reclaimable once past
    # A task whose worker died running it is resumed at most this many times; the next time it is FAILED.
    export_max_reclaims: int = 2
    # A running export stores its resume position after its first page, then at most this often (and at the end).
    export_checkpoint_seconds: float = 0.25
    # how often the server looks for rows changed since their facet arrays were built (0: never; `catalog-export
    # facets` rebuilds them); counts over changed rows go to SQL meanwhile
    facet_refresh_seconds: float = 2.0
    shutdown_grace_seconds: float = 10.0  # how long a stopping worker may spend finishing its current page
    # Where the app runs its export worker: "loop" (its own event loop; the default of an app built in-process, as
    # the tests do) or "process" (a child process on another core; `catalog-export serve` defaults to it).
    # "none": the server runs no export worker (`catalog-export worker` processes run the tasks).
    export_worker_mode: str = "loop"
    # Where results go: "" = files in `export_dir`; "s3://bucket/prefix" = objects in S3-compatible storage
    # (`s3_endpoint_url`; region and credentials default to botocore's usual chain when empty).
    export_storage: str = ""
    export_part_bytes: int = 8 * 1024 * 1024  # a running export uploads a part object once this much is buffered
    export_flush_seconds: float = 2.0  # ... or once the oldest buffered page is this old (readers see it sooner)
    s3_endpoint_url: str = ""
    s3_region: str = ""
    s3_access_key_id: str = ""
    s3_secret_access_key: str = ""
    webhook_timeout_seconds: float = 10.0  # per delivery attempt, connect to last byte
    webhook_max_response_bytes: int = 64 * 1024  # a receiver's answer is read up to this much, then dropped
    webhook_retry_seconds: float = 5.0  # the first retry's delay; doubled after every failed attempt
    webhook_max_attempts: int = 8  # then the delivery is FAILED (5 s .. ~10 min apart by default, ~21 min in all)
    webhook_concurrency: int = 8  # deliveries in flight per process (one at a time per endpoint)
    # Private, loopback and link-local addresses are refused as webhook targets unless inside one of these CIDRs.
    webhook_allowed_networks: tuple[str, ...] = ()
    max_filter_depth: int = 16
    max_in_list: int = 10_000
    max_filter_nodes: int = 500  # and/or/not and conditions in one filter tree, counted before any other work
    echo_sql: bool = False
    dev: bool = False
    cors_origins: tuple[str, ...] = ()
    graphiql: bool = True
    introspection: bool = True
    secret_key: str = ""
    # the base of every link the server hands out (export `url`s, webhook payloads, links made outside a request);
    # else the request's own
    public_url: str = ""
    link_ttl_seconds: int = 3600
    max_query_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 5000
    max_string_length: int = 65_536
    max_body_bytes: int = 4 * 1024 * 1024
    # `serve`: a request's headers and body must arrive within these; idle keep-alive connections close after
    # http_keep_alive_seconds; beyond max_connections open at once, requests get 503 (0: no cap)
    http_header_timeout_seconds: float = 10.0
    http_body_timeout_seconds: float = 30.0
    http_keep_alive_seconds: int = 5
    max_connections: int = 1000
    max_concurrent_exports: int = 4
    rate_limit_per_second: float = 50.0
    rate_limit_burst: int = 200
    pool_size: int = 5  # connections each server process keeps open (PostgreSQL); SQLAlchemy's default
    pool_max_overflow: int = 10  # extra connections under bursts, closed when returned
    # SQLite pages mapped into the process (PRAGMA mmap_size). 0: reads go through SQLite's own page cache, which
    # keeps an export's server RSS (VmHWM counts mapped pages) flat whatever the database size.
    sqlite_mmap_mb: int = 0

    sqlite_busy_timeout_ms: int = 10_000  # how long a SQLite writer waits for the lock before giving up
    max_sockets_per_key: int = 8  # open GraphQL WebSocket connections per API key (per server process)
    subscription_poll_seconds: float = 0.25  # how often a subscription reads its export task's state

    @classmethod
    def from_env(cls, defaults: Mapping[str, object] | None = None, **overrides: object) -> Settings:
        """Defaults (the class's, then an entry point's `defaults`), then the environment (see `_ENV`), then explicit
        overrides such as CLI flags (None = not given)."""
        given = {k: v for k, v in overrides.items() if v is not None}
        values = dict(defaults or {}) | _from_env(os.environ) | given
        if "database_url" in values:
            values["database_url"] = normalise_database_url(str(values["database_url"]))
        return cls(**values)  # type: ignore[arg-type]

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
