"""`catalog-export export`: the same engine as the worker (iter_line_pages + encode_page), or a running server."""

from __future__ import annotations

import argparse
import sys
from contextlib import ExitStack, aclosing
from pathlib import Path
from typing import IO, Any

import orjson

from server.db import create_engine
from server.errors import CatalogError, bad_input
from server.export.encode import encode_page
from server.export.heap import tune_for_export
from server.export.params import ExportParams
from server.export.progress import Progress
from server.export.rows import export_scope
from server.export.tasks import ExportRequest
from server.loading.formats import DEFAULT_FORMAT, ExportFormat
from server.loading.lines import iter_line_pages
from server.names import snake_case
from server.orgs import ensure_organization
from server.query.count import count_rows
from server.settings import Settings


def params_from_args(args: argparse.Namespace) -> ExportParams:
    flags: dict[str, Any] = {snake_case(name.strip()): True for name in args.include.split(",") if name.strip()}
    bad = sorted(k for k in flags if k not in ExportParams.flags())
    if bad:
        raise bad_input(f"--include has unknown sections {bad}; see ExportParams for the names.", "include")
    flags |= {"all_projects": args.all_projects or flags.get("all_projects", False)}
    flags |= {"all_model_runs": args.all_model_runs or flags.get("all_model_runs", False)}
    ids = {"project_ids": tuple(args.project), "model_run_ids": tuple(args.model_run)}
    return ExportParams(**flags | ids, format=ExportFormat(getattr(args, "format", DEFAULT_FORMAT)))


def filter_from_arg(raw: str | None) -> dict[str, Any] | None:
    if raw is None:
        return None
    text = Path(raw[1:]).read_bytes() if raw.startswith("@") else raw.encode()
    try:
        value = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise bad_input(f"--filter is not valid JSON: {exc}", "filter") from exc
    if not isinstance(value, dict):
        raise bad_input("--filter must be a JSON object (a DataRowFilter).", "filter")
    return value


def request_from_args(args: argparse.Namespace) -> ExportRequest:
    return ExportRequest(filter=filter_from_arg(args.filter), slice_id=args.slice, params=params_from_args(args))


async def export_local(settings: Settings, org: str, request: ExportRequest, out: IO[bytes], err: IO[bytes]) -> int:
    """Write the export to `out` (error lines to `err`); returns the number of rows written."""
    engine = create_engine(settings)
    try:
        organization_id = await ensure_organization(engine, org)
        async with engine.connect() as conn:
            scope, total = await export_scope(conn, settings, organization_id, request)
            if total is None:
                total = await count_rows(conn, scope)
        progress = Progress(total)
        plan = request.params.to_plan()
        size = settings.export_page_size
        pages = iter_line_pages(engine, scope.where, plan, size, ranking=scope.ranking, probe=scope.probe)
        async with aclosing(pages):
            async for page in pages:
                encoded = encode_page(page)
                out.write(encoded.data)
                err.writelines(encoded.errors)
                progress.add(len(page.page.rows))
        progress.finish()
        return progress.rows
    finally:
        await engine.dispose()


class Outputs:
    """`-o FILE`: the export goes to FILE and its error lines to FILE.errors.ndjson, each written under a temporary
    name and moved into place only when the export succeeds; the errors file only when there are errors (a stale one
    from an earlier run is removed). A failed export leaves neither. Without -o: stdout and stderr."""

    def __init__(self, stack: ExitStack, output: str | None) -> None:
        self.targets = (Path(output), Path(output + ".errors.ndjson")) if output else ()
        self.parts = tuple(path.with_name(f".{path.name}.part") for path in self.targets)
        stack.callback(self._discard)
        if output is None:
            self.out, self.err = sys.stdout.buffer, sys.stderr.buffer
        else:
            self.out, self.err = (stack.enter_context(self._open(n)) for n in range(2))

    def _open(self, n: int) -> IO[bytes]:
        try:
            return self.parts[n].open("wb")
        except OSError as exc:  # name the file the user asked for, not the temporary one
            raise OSError(exc.errno, exc.strerror, str(self.targets[n])) from exc

    def commit(self) -> None:
        if not self.targets:
            return
        self.out.close()
        self.err.close()
        self.parts[0].replace(self.targets[0])
        if self.parts[1].stat().st_size:
            self.parts[1].replace(self.targets[1])
        else:
            self.targets[1].unlink(missing_ok=True)

    def _discard(self) -> None:
        for part in self.parts:
            part.unlink(missing_ok=True)


async def export_command(args: argparse.Namespace, settings: Settings) -> int:
    try:
        request = request_from_args(args)
        with ExitStack() as stack:
            outputs = Outputs(stack, args.output)
            if args.server:
                from server.export.remote import export_remote

                await export_remote(args.server, request, outputs.out, outputs.err, args.api_key)
            else:
                tune_for_export()
                await export_local(settings, args.org, request, outputs.out, outputs.err)
            outputs.commit()
    except CatalogError as exc:
        print(f"catalog-export export: {exc.code}: {exc.message}", file=sys.stderr)
        return 2
    return 0
