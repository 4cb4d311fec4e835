"""One frozen Settings object; `Settings.from_env` is the one place the environment is read.

Each setting is declared once, as a field: its environment variable is the field's name in capitals
(`max_in_list` <- `MAX_IN_LIST`), except the COMMAND_LINE_ONLY ones, which only a command-line switch sets.
pydantic-settings reads the variables and pydantic validates every value, whatever its source; a bad one stops
the program with one line naming the variable. `Settings(...)` itself is a plain frozen pydantic model that reads
nothing from the environment (and is built in microseconds, where a BaseSettings instance runs its sources every
time): tests and entry points build exactly the settings they name, and `replace` derives one from another.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, EnvSettingsSource, NoDecode, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./catalog.db"
WorkerMode = Literal["process", "loop", "none"]
COMMAND_LINE_ONLY = frozenset({"dev", "echo_sql"})  # `serve --dev`: never turned on by a stray variable

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


def _listed(value: object) -> object:
    """A comma-separated variable (`a.example, b.example`) as a tuple; a tuple or list given as is."""
    return tuple(item.strip() for item in value.split(",") if item.strip()) if isinstance(value, str) else value


def _flag(value: object) -> object:
    """An empty variable turns a switch off; other text is pydantic's (1/0, true/false, yes/no, on/off)."""
    return False if isinstance(value, str) and not value.strip() else value


Listed = Annotated[tuple[str, ...], NoDecode, BeforeValidator(_listed)]
Flag = Annotated[bool, BeforeValidator(_flag)]


class Settings(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

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
    export_worker_mode: WorkerMode = "loop"
    # Where results go: "" = files in `export_dir`; "s3://bucket/prefix" = objects in S3-compatible storage
    # (`s3_endpoint_url`; region and credentials default to botocore's usual chain when empty).
    export_storage: str = ""
    export_part_bytes: int = 8 * 1024 * 1024  # a running export uploads a part object once this much is buffered
    export_flush_seconds: float = 2.0  # ... or once the oldest buffered page is this old (readers see it sooner)
    s3_endpoint_url: str = ""
    aws_region: str = ""
    aws_access_key_id: str = ""
    aws_secret_access_key: str = ""
    webhook_timeout_seconds: float = 10.0  # per delivery attempt, connect to last byte
    webhook_max_response_bytes: int = 64 * 1024  # a receiver's answer is read up to this much, then dropped
    webhook_retry_seconds: float = 5.0  # the first retry's delay; doubled after every failed attempt
    webhook_max_attempts: int = 8  # then the delivery is FAILED (5 s .. ~10 min apart by default, ~21 min in all)
    webhook_concurrency: int = 8  # deliveries in flight per process (one at a time per endpoint)
    # Private, loopback and link-local addresses are refused as webhook targets unless inside one of these CIDRs.
    webhook_allowed_networks: Listed = ()
    max_filter_depth: int = 16
    max_in_list: int = 10_000
    max_filter_nodes: int = 500  # and/or/not and conditions in one filter tree, counted before any other work
    echo_sql: bool = False
    dev: bool = False
    cors_origins: Listed = ()
    graphiql: Flag = True
    introspection: Flag = True
    secret_key: str = ""
    # the base of every link the server hands out (export `url`s, webhook payloads, links made outside a request);
    # else the request's own
    public_url: str = ""
    link_ttl_seconds: int = 3600
    # how long a server process trusts a live API key it looked up (server.auth.key_cache); 0: every request
    api_key_cache_seconds: float = 1.0
    max_query_depth: int = 12
    max_aliases: int = 30
    max_tokens: int = 5000
    max_string_length: int = 65_536
    max_body_bytes: int = 4 * 1024 * 1024
    # JSON objects and arrays in one GraphQL request body or WebSocket message, counted as `{` and `[` characters
    # before the JSON is parsed: a parsed object costs ~20 times its bytes, so bytes alone do not bound memory
    max_body_objects: int = 50_000
    # `serve`: a request's headers and body must arrive within these; idle keep-alive connections close after
    # http_keep_alive_seconds; beyond max_connections open at once, requests get 503 (0: no cap)
    http_header_timeout_seconds: float = 10.0
    http_body_timeout_seconds: float = 30.0
    http_keep_alive_seconds: int = 5
    max_connections: int = 1000
    max_concurrent_exports: int = 4
    rate_limit_per_second: float = 50.0
    rate_limit_burst: int = 200
    database_pool_size: int = 5  # connections each server process keeps open (PostgreSQL); SQLAlchemy's default
    database_max_overflow: int = 10  # extra connections under bursts, closed when returned
    # SQLite pages mapped into the process (PRAGMA mmap_size). 0: reads go through SQLite's own page cache, which
    # keeps an export's server RSS (VmHWM counts mapped pages) flat whatever the database size.
    sqlite_mmap_mb: int = 0
    # What SQLite may keep in each process's heap, all connections together (PRAGMA soft_heap_limit): past it,
    # a connection's page cache recycles its own pages instead of growing.
    sqlite_memory_mb: int = 16

    sqlite_busy_timeout_ms: int = 10_000  # how long a SQLite writer waits for the lock before giving up
    # `serve`: server processes sharing its port (0: the machine's cores); `serve --workers N` overrides it
    serve_workers: int = 0
    max_sockets_per_key: int = 8  # open GraphQL WebSocket connections per API key (per server process)
    subscription_poll_seconds: float = 0.25  # how often a subscription reads its export task's state

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        return normalise_database_url(value)

    @field_validator("export_storage")
    @classmethod
    def _storage(cls, value: str) -> str:
        """Empty (files in EXPORT_DIR) or `s3://bucket[/prefix]`."""
        if value and not (value.startswith("s3://") and value[5:].strip("/")):
            raise ValueError("expected s3://bucket/prefix (or nothing, for files in EXPORT_DIR)")
        return value

    @field_validator("public_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @classmethod
    def from_env(cls, defaults: Mapping[str, object] | None = None, **overrides: object) -> Settings:
        """Defaults (the class's, then an entry point's `defaults`), then the environment, then explicit overrides
        such as CLI flags (None = not given). A bad value raises ValueError naming its variable (or option)."""
        environment = _Environment(_Variables)()
        given = {k: v for k, v in overrides.items() if v is not None}
        values: dict[str, Any] = dict(defaults or {}) | environment | given  # validated by pydantic below
        try:
            return cls(**values)
        except ValidationError as exc:
            raise ValueError(_explain(exc, environment, given)) from None

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def environment_variable(field: str) -> str | None:
    """The variable that sets `field`; None for the command-line-only ones."""
    return None if field in COMMAND_LINE_ONLY else field.upper()


def environment_variables() -> list[str]:
    """Every variable Settings reads, in declaration order (docs/configuration.md lists each)."""
    return [name for name in map(environment_variable, Settings.model_fields) if name is not None]


class _Variables(BaseSettings, Settings):
    """Settings as pydantic-settings sees them, for reading the environment only (never built)."""

    model_config = SettingsConfigDict(case_sensitive=True)


class _Environment(EnvSettingsSource):
    """Each setting from exactly its own variable (case and all); none for the command-line-only settings."""

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        name = environment_variable(field_name)
        return (None if name is None else self.env_vars.get(name)), field_name, False


def _explain(exc: ValidationError, environment: Mapping[str, Any], given: Mapping[str, Any]) -> str:
    """The first bad value as one line: which variable (or option) had which value, and what was expected."""
    error = exc.errors()[0]
    field = str(error["loc"][0]) if error["loc"] else ""
    reason = error["msg"].removeprefix("Value error, ")
    if field in environment and field not in given:
        variable = f"{environment_variable(field)}={environment[field]!r}"
        return f"environment variable {variable} is not a valid {field}: {reason}"
    return f"{field}={given.get(field, error.get('input'))!r} is not valid: {reason}"


def replace(settings: Settings, /, **changes: Any) -> Settings:
    """`settings` with `changes` (validated like any value; an unknown name is an error), as dataclasses.replace."""
    return type(settings)(**(settings.model_dump() | changes))
