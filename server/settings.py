"""One frozen Settings object built from the environment; nothing reads os.environ elsewhere."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./catalog.db"

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


def _origins(value: str) -> tuple[str, ...]:
    return tuple(o.strip() for o in value.split(",") if o.strip())


# Security settings: environment variable -> (field, parser).
_SECURITY_ENV: dict[str, tuple[str, Callable[[str], object]]] = {
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
    "MAX_CONCURRENT_EXPORTS": ("max_concurrent_exports", int),
    "RATE_LIMIT_PER_SECOND": ("rate_limit_per_second", float),
    "RATE_LIMIT_BURST": ("rate_limit_burst", int),
}


def _security_from_env(env: Mapping[str, str]) -> dict[str, Any]:
    return {name: parse(env[var]) for var, (name, parse) in _SECURITY_ENV.items() if var in env}


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = 8000
    export_dir: Path = Path("./exports")
    max_page_size: int = 1000
    inline_export_cap: int = 10_000
    export_page_size: int = 2000
    export_ttl_seconds: int = 7 * 24 * 3600
    export_lease_seconds: float = 30.0  # a running task's claim; renewed every third of it, reclaimable once past
    shutdown_grace_seconds: float = 10.0  # how long a stopping worker may spend finishing its current page
    max_filter_depth: int = 16
    max_in_list: int = 10_000
    echo_sql: bool = False
    dev: bool = False
    cors_origins: tuple[str, ...] = ()
    graphiql: bool = True
    introspection: bool = True
    secret_key: str = ""
    link_ttl_seconds: int = 3600
    max_query_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 5000
    max_string_length: int = 65_536
    max_body_bytes: int = 4 * 1024 * 1024
    max_concurrent_exports: int = 4
    rate_limit_per_second: float = 50.0
    rate_limit_burst: int = 200
    pool_size: int = 5  # connections each server process keeps open (PostgreSQL); SQLAlchemy's default
    pool_max_overflow: int = 10  # extra connections under bursts, closed when returned
    sqlite_busy_timeout_ms: int = 10_000  # how long a SQLite writer waits for the lock before giving up

    @classmethod
    def from_env(cls, **overrides: object) -> Settings:
        env = os.environ
        settings = cls(
            database_url=normalise_database_url(env.get("DATABASE_URL", DEFAULT_DATABASE_URL)),
            host=env.get("HOST", "127.0.0.1"),
            port=int(env.get("PORT", "8000")),
            export_dir=Path(env.get("EXPORT_DIR", "./exports")),
            max_page_size=int(env.get("MAX_PAGE_SIZE", "1000")),
            inline_export_cap=int(env.get("INLINE_EXPORT_CAP", "10000")),
            export_page_size=int(env.get("EXPORT_PAGE_SIZE", "2000")),
            export_ttl_seconds=int(env.get("EXPORT_TTL_SECONDS", str(7 * 24 * 3600))),
            export_lease_seconds=float(env.get("EXPORT_LEASE_SECONDS", "30")),
            shutdown_grace_seconds=float(env.get("SHUTDOWN_GRACE_SECONDS", "10")),
            **_security_from_env(env),
            pool_size=int(env.get("DATABASE_POOL_SIZE", "5")),
            pool_max_overflow=int(env.get("DATABASE_MAX_OVERFLOW", "10")),
            sqlite_busy_timeout_ms=int(env.get("SQLITE_BUSY_TIMEOUT_MS", "10000")),
        )
        clean = {k: v for k, v in overrides.items() if v is not None}
        if "database_url" in clean:
            clean["database_url"] = normalise_database_url(str(clean["database_url"]))
        return replace(settings, **clean)  # type: ignore[arg-type]

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")
