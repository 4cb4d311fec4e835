"""`catalog-export` sub-commands: serve, worker, migrate, seed, import, export, schema, keys. Each takes
--database-url."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from server import allocator
from server.loading.formats import DEFAULT_FORMAT, ExportFormat
from server.settings import Settings, replace

LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncEngine

T = TypeVar("T")
Handler = Callable[[argparse.Namespace, Settings], int]


# What an entry point defaults to when the environment does not say: a server runs exports in a worker process.
COMMAND_DEFAULTS: dict[str, dict[str, object]] = {"serve": {"export_worker_mode": "process"}}


def _settings(args: argparse.Namespace) -> Settings:
    mode = "none" if getattr(args, "no_worker", False) else None
    database_url = getattr(args, "database_url", None)
    return Settings.from_env(COMMAND_DEFAULTS.get(args.command), database_url=database_url, export_worker_mode=mode)


async def _with_engine(settings: Settings, work: Callable[[AsyncEngine], Awaitable[T]]) -> T:
    from server.db import create_engine

    engine = create_engine(settings)
    try:
        return await work(engine)
    finally:
        await engine.dispose()


def ready_schema(settings: Settings) -> bool:
    """Bring an empty database to head; False (with the reason on stderr) when its schema is out of date."""
    from server.schema_check import SchemaError, prepare_schema

    try:
        asyncio.run(_with_engine(settings, prepare_schema))
    except SchemaError as exc:
        print(f"catalog-export: {exc}", file=sys.stderr)
        return False
    return True


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    from server.schema_check import SchemaError, migrate, new_revision

    try:
        if args.revision:
            asyncio.run(_with_engine(settings, lambda e: new_revision(e, args.revision, args.rev_id)))
            return 0
        print(asyncio.run(_with_engine(settings, migrate)), file=sys.stderr)
    except SchemaError as exc:
        print(f"catalog-export: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from server.app import create_app
    from server.listen import PortInUse, bind

    host = args.host or settings.host
    port = args.port or settings.port
    if args.dev and host not in LOOPBACK_HOSTS:
        print(f"error: --dev serves anonymous requests; bind it to loopback, not {host}.", file=sys.stderr)
        return 2
    try:  # before the database or any key is touched: a second server on a busy port changes nothing
        sock = bind(host, port)
    except PortInUse as exc:
        print(f"catalog-export serve: {exc}", file=sys.stderr)
        return 1
    with sock:
        if not ready_schema(settings):
            return 1
        settings = replace(settings, dev=args.dev, host=host, port=port)
        workers = server_workers(args, settings)
        if workers > 1:
            from server.orgs import ensure_organization
            from server.supervisor import run_workers

            asyncio.run(_with_engine(settings, ensure_organization))  # once, not raced by N processes starting
            run_workers(settings, sock, workers)
            return 0
        from server.access_log import log_config
        from server.http_timeouts import uvicorn_options

        options = uvicorn_options(settings)
        config = uvicorn.Config(
            create_app(settings), host=host, port=port, log_level="info", log_config=log_config(), **options
        )
        uvicorn.Server(config).run(sockets=[sock])
    return 0


def server_workers(args: argparse.Namespace, settings: Settings) -> int:
    """--workers, else SERVE_WORKERS, else the machine's cores; always 1 with --dev (its key is one process's)."""
    if args.dev:
        return 1
    wanted = args.workers if args.workers is not None else settings.serve_workers
    return wanted if wanted > 0 else os.cpu_count() or 1


def cmd_worker(args: argparse.Namespace, settings: Settings) -> int:
    import logging

    from server.export.worker_process import standalone_main

    if not ready_schema(settings):
        return 1
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    asyncio.run(standalone_main(settings))
    return 0


def cmd_keys(args: argparse.Namespace, settings: Settings) -> int:
    from server.auth.commands import keys_command

    return asyncio.run(keys_command(args, settings))


def cmd_schema(args: argparse.Namespace, settings: Settings) -> int:
    from resolvers.schema import schema_sdl

    sys.stdout.write(schema_sdl())
    return 0


def cmd_seed(args: argparse.Namespace, settings: Settings) -> int:
    from server.errors import CatalogError
    from server.ingest.seed import seed_database

    if not ready_schema(settings):
        return 1
    try:
        summary = asyncio.run(seed_database(settings, rows=args.rows, seed=args.seed, if_empty=args.if_empty))
    except CatalogError as exc:
        print(f"seed: {exc.message}", file=sys.stderr)
        return 2
    print(summary, file=sys.stderr)
    return 0


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    from server.ingest.ndjson import import_file

    if not ready_schema(settings):
        return 1

    def progress(line: str) -> None:
        print(line, file=sys.stderr, flush=True)

    report = asyncio.run(import_file(settings, Path(args.file), args.org, args.batch_size, progress, args.commit_rows))
    print(report.summary(), file=sys.stderr)
    return 0 if not report.errors else 1


def cmd_facets(args: argparse.Namespace, settings: Settings) -> int:
    from server.facets.build import rebuild_dirty

    if not ready_schema(settings):
        return 1
    started = time.perf_counter()
    chunks = asyncio.run(_with_engine(settings, rebuild_dirty))
    print(f"facet arrays: {chunks} chunk(s) rebuilt in {time.perf_counter() - started:.1f} s", file=sys.stderr)
    return 0


def cmd_export(args: argparse.Namespace, settings: Settings) -> int:
    from server.export.local import export_command

    if not args.server and not ready_schema(settings):  # with --server the local database is not used
        return 1
    return asyncio.run(export_command(args, settings))


COMMANDS: dict[str, tuple[Handler, str]] = {
    "serve": (cmd_serve, "serve GraphQL (GraphiQL at /graphql) and export streams"),
    "worker": (cmd_worker, "run export workers (and webhook deliveries) without HTTP, beside `serve --no-worker`"),
    "migrate": (cmd_migrate, "upgrade the database schema to this version (Alembic); --revision writes a new one"),
    "seed": (cmd_seed, "write a deterministic demo catalog"),
    "import": (cmd_import, "load Export v2 NDJSON lines (ids and global keys kept)"),
    "export": (cmd_export, "export matching rows as NDJSON, locally or through a running server"),
    "facets": (cmd_facets, "rebuild the facet arrays of changed rows now (a running server does it by itself)"),
    "schema": (cmd_schema, "print the GraphQL schema (SDL)"),
    "keys": (cmd_keys, "create, revoke and list API keys"),
}


def _common() -> argparse.ArgumentParser:
    """Options every level takes (`catalog-export --database-url U keys create` as `keys create --database-url U`);
    SUPPRESS keeps a level that was not given it from overwriting one that was."""
    common = argparse.ArgumentParser(add_help=False)
    help_text = "default: $DATABASE_URL or sqlite+aiosqlite:///./catalog.db"
    common.add_argument("--database-url", default=argparse.SUPPRESS, help=help_text)
    return common


def _add_arguments(name: str, sub: argparse.ArgumentParser) -> None:
    extra: dict[str, Callable[[argparse.ArgumentParser], Any]] = {
        "serve": _serve_args,
        "migrate": _migrate_args,
        "seed": _seed_args,
        "import": _import_args,
        "export": _export_args,
        "keys": _keys_args,
    }
    if name in extra:
        extra[name](sub)


def _serve_args(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--host")
    sub.add_argument("--port", type=int)
    sub.add_argument("--dev", action="store_true", help="development mode (anonymous loopback access as `demo`)")
    sub.add_argument(
        "--workers",
        type=int,
        help="server processes on the one port (default: $SERVE_WORKERS, else the machine's cores; --dev: 1)",
    )
    sub.add_argument(
        "--no-worker",
        action="store_true",
        help="run no export worker in this server (`catalog-export worker` processes run the tasks);"
        " same as EXPORT_WORKER_MODE=none",
    )


def _keys_args(sub: argparse.ArgumentParser) -> None:
    from server.auth.commands import add_key_arguments

    add_key_arguments(sub, [_common()])


def _migrate_args(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--revision", metavar="MESSAGE", help="write a revision for model changes")
    sub.add_argument("--rev-id", help="id of the new revision (default: random)")


def _seed_args(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--rows", type=int, default=2000)
    sub.add_argument("--seed", type=int, default=1)
    sub.add_argument("--if-empty", action="store_true", help="do nothing when the database already has data rows")


def _import_args(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("file")
    sub.add_argument("--org", default="demo", help="organization that receives the rows")
    sub.add_argument(
        "--batch-size", type=int, default=10_000, help="lines per all-or-nothing batch (default 10000, at most 16 MiB)"
    )
    sub.add_argument(
        "--commit-rows",
        type=int,
        help="rows a transaction gathers before it commits (default 100000 on SQLite, or after 3 s; PostgreSQL: every"
        " batch)",
    )


def _export_args(sub: argparse.ArgumentParser) -> None:
    sub.add_argument("--filter", help="DataRowFilter as JSON, or @file.json")
    sub.add_argument("--slice")
    sub.add_argument("--include", default="", help="comma-separated ExportParams flags, e.g. attachments,labelDetails")
    sub.add_argument("--project", action="append", default=[], help="project id (repeatable)")
    sub.add_argument("--model-run", action="append", default=[], help="model run id (repeatable)")
    sub.add_argument("--all-projects", action="store_true")
    sub.add_argument("--all-model-runs", action="store_true")
    sub.add_argument(
        "--format",
        choices=[str(f) for f in ExportFormat],
        default=str(DEFAULT_FORMAT),
        help="line envelope: LABELBOX (what Labelbox emits today, the default) or LABELBOX_2023_BETA",
    )
    sub.add_argument("-o", "--output", help="file to write (default: stdout)")
    sub.add_argument("--server", help="URL of a running server: start the task there and download it")
    sub.add_argument(
        "--api-key",
        default=os.environ.get("CATALOG_EXPORT_API_KEY"),
        help="with --server: the organization's API key (default: $CATALOG_EXPORT_API_KEY)",
    )
    sub.add_argument("--org", default="demo")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="catalog-export", description=__doc__, parents=[_common()])
    subs = parser.add_subparsers(dest="command", required=True)
    for name, (_handler, help_text) in COMMANDS.items():
        _add_arguments(name, subs.add_parser(name, help=help_text, parents=[_common()]))
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run a sub-command; a failure outside the program (database, network, files, input) is one line on stderr."""
    args = build_parser().parse_args(argv)
    allocator.tune()
    handler, _ = COMMANDS[args.command]
    try:
        settings = _settings(args)
    except ValueError as exc:  # a malformed environment variable
        print(f"catalog-export {args.command}: {exc}", file=sys.stderr)
        return 2
    try:
        return handler(args, settings)
    except KeyboardInterrupt:
        print(f"catalog-export {args.command}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:
        from server.failures import explain

        line = explain(exc, settings.database_url)
        if line is None:
            raise
        print(f"catalog-export {args.command}: {line}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
