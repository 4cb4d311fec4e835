"""Every-section exports over HTTP: a seeded catalog (labels in several projects, model runs with labels and
predictions, embeddings, metadata, attachments, video labels) exported with every section, every project and model
run, against a least-code reference in the same run.

Per engine (a SQLite file, and a throw-away PostgreSQL database; `--database-url` URLs pick the engines) and size
(`--rows`, default 100,000): `seed` writes the catalog, then
- reference: keyset pages of the data rows and, per page, one plain SQL statement per related table (the page's id
  range), each line built as a dict and written by orjson, in this process. What it shares with the server is the
  line's definition: `iso` for timestamps and `interpolate` for video labels' in-between frames;
- http: `exportDataRows` with every section on `catalog-export serve --workers 1` (one server process and its
  export worker process), its url read while the task runs.
The reference's file must equal the bytes the server streams (checked before any timing). Then the reference and an
HTTP export alternate ROUNDS times and the round with the median ratio is reported, with the peak RSS of the server's
whole process tree (summed VmRSS, sampled every 50 ms) and the machine's load average.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import os
import time
from array import array
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
import orjson
from sqlalchemy import text

from bench.engines import database
from bench.export import START, RssSampler, each_size_and_engine, free_port, serve, status_mb
from bench.registry import Result, register
from server.auth.keys import create_key
from server.db import create_engine
from server.export.params import ExportParams
from server.ingest.seed import seed_database
from server.loading.interpolate import interpolate
from server.orgs import ensure_organization
from server.settings import Settings
from server.timefmt import iso

SIZES = (100_000,)
PAGE = 2000
ROUNDS = 3
PARAMS = {
    "".join(w if i == 0 else w.title() for i, w in enumerate(flag.split("_"))): True for flag in ExportParams.flags()
}  # every section, every project and model run, in GraphQL's names
# Each related table of a page: its rows for the page's id range, in the order the lines list them.
RELATED = {
    "attachments": "SELECT data_row_id, id, type, value, name FROM attachment WHERE {page}"
    " ORDER BY data_row_id, position, id",
    "metadata": "SELECT v.data_row_id, v.schema_id, s.name, v.value_json FROM metadatavalue v"
    " JOIN metadataschema s ON s.id = v.schema_id WHERE {page} ORDER BY v.data_row_id, v.position, v.schema_id",
    "embeddings": "SELECT v.data_row_id, e.id, e.name, e.dims, e.is_custom, v.vector FROM datarowembedding v"
    " JOIN embedding e ON e.id = v.embedding_id WHERE {page} ORDER BY v.data_row_id, e.name, e.id",
    "projects": "SELECT m.data_row_id, m.project_id, p.name, p.ontology_id, m.task_id, m.task_name, m.batch_id,"
    " b.name, m.priority, m.consensus_expected_label_count, m.workflow_status, m.workflow_history"
    " FROM projectdatarow m JOIN project p ON p.id = m.project_id LEFT JOIN batch b ON b.id = m.batch_id"
    " WHERE {page} ORDER BY m.data_row_id, p.created_at, m.project_id",
    "runs": "SELECT m.data_row_id, r.model_id, mo.name, m.model_run_id, r.name, m.annotation_group_id"
    " FROM modelrundatarow m JOIN modelrun r ON r.id = m.model_run_id JOIN model mo ON mo.id = r.model_id"
    " WHERE {page} ORDER BY m.data_row_id, mo.created_at, mo.id, r.created_at, r.id",
    "labels": "SELECT data_row_id, project_id, model_run_id, source, label_kind, version, id, created_at, updated_at,"
    " created_by, coalesce(content_last_updated_at, updated_at), reviews, performance_details, annotations"
    " FROM label WHERE {page} AND (project_id IS NOT NULL OR model_run_id IS NOT NULL)"
    " ORDER BY data_row_id, created_at, id",
}
ROWS_SQL = text(
    "SELECT r.id, r.global_key, r.external_id, r.row_data, r.dataset_id, d.name, r.created_at, r.updated_at,"
    " coalesce(r.last_activity_at, r.updated_at), r.created_by, r.media_attributes"
    " FROM datarow r JOIN dataset d ON d.id = r.dataset_id"
    " WHERE r.organization_id = :org AND r.id > :after ORDER BY r.id LIMIT :n"
)
Grouped = dict[str, list[Any]]


def _related_sql(name: str) -> Any:
    column = "v.data_row_id" if name in ("metadata", "embeddings") else "m.data_row_id"
    column = "data_row_id" if name in ("attachments", "labels") else column
    page = f"{column} BETWEEN :first AND :last AND {column.replace('data_row_id', 'organization_id')} = :org"
    return text(RELATED[name].format(page=page))


RELATED_SQL = {name: _related_sql(name) for name in RELATED}


def _label(r: Any, details: bool) -> dict[str, Any]:
    out: dict[str, Any] = {"label_kind": r[4], "version": r[5], "id": r[6]}
    if details:
        out["label_details"] = {"created_at": iso(r[7]), "updated_at": iso(r[8]), "created_by": r[9],
                                "content_last_updated_at": iso(r[10]), "reviews": orjson.Fragment(r[11])}  # fmt: skip
        out["performance_details"] = orjson.Fragment(r[12])
    stored = r[13]
    out["annotations"] = orjson.Fragment(interpolate(stored) if '"key_frame_feature_map"' in stored else stored)
    return out


def _line(r: Any, related: dict[str, Grouped]) -> bytes:
    row_id = r[0]
    row = {"id": row_id, "global_key": r[1], "external_id": r[2]}
    row = {k: v for k, v in row.items() if v is not None} | {"row_data": r[3]}
    row["details"] = {"dataset_id": r[4], "dataset_name": r[5], "created_at": iso(r[6]), "updated_at": iso(r[7]),
                      "last_activity_at": iso(r[8]), "created_by": r[9]}  # fmt: skip
    projects: dict[str, Any] = {}
    for p in related["projects"].get(row_id, ()):
        details = {"ontology_id": p[3], "task_id": p[4], "task_name": p[5], "batch_id": p[6], "batch_name": p[7],
                   "priority": p[8], "consensus_expected_label_count": p[9], "workflow_status": p[10],
                   "workflow_history": orjson.Fragment(p[11])}  # fmt: skip
        projects[p[1]] = {"name": p[2], "labels": [], "project_details": details}
    models: dict[str, Any] = {}
    runs: dict[str, Any] = {}
    for m in related["runs"].get(row_id, ()):
        run = runs[m[3]] = {"name": m[4], "run_data_row_id": m[5], "labels": [], "predictions": []}
        models.setdefault(m[1], {"name": m[2], "runs": {}})["runs"][m[3]] = run
    for lab in related["labels"].get(row_id, ()):
        if lab[1] is not None and lab[1] in projects:
            projects[lab[1]]["labels"].append(_label(lab, details=True))
        if lab[2] is not None and lab[2] in runs and lab[3] in ("LABEL", "PREDICTION"):
            runs[lab[2]]["labels" if lab[3] == "LABEL" else "predictions"].append(_label(lab, details=False))
    line = {
        "data_row": row,
        "media_attributes": orjson.Fragment(r[10]),
        "attachments": [{"id": a[1], "type": a[2], "value": a[3], "name": a[4]}
                        for a in related["attachments"].get(row_id, ())],
        "metadata_fields": [{"schema_id": m[1], "schema_name": m[2], "value": orjson.Fragment(m[3])}
                            for m in related["metadata"].get(row_id, ())],
        "embeddings": [{"id": e[1], "name": e[2], "dimensions": e[3], "is_custom": bool(e[4]),
                        "values": [{"value": array("f", e[5]).tolist()}]}
                       for e in related["embeddings"].get(row_id, ())],
        "projects": projects,
        "experiments": models,
    }  # fmt: skip
    return orjson.dumps(line, option=orjson.OPT_APPEND_NEWLINE)


async def reference(settings: Settings, org: str, out: Path) -> tuple[int, float]:
    """Keyset pages of plain SQL, a dict a line, orjson: the floor the HTTP export is compared with."""
    engine = create_engine(settings)
    start, rows, after = time.perf_counter(), 0, ""
    with out.open("wb") as handle:
        while True:
            async with engine.connect() as conn:
                page = (await conn.execute(ROWS_SQL, {"org": org, "after": after, "n": PAGE})).all()
                if not page:
                    break
                bounds = {"org": org, "first": page[0][0], "last": page[-1][0]}
                related: dict[str, Grouped] = {}
                for name, sql in RELATED_SQL.items():
                    grouped: Grouped = defaultdict(list)
                    related[name] = grouped
                    for r in (await conn.execute(sql, bounds)).all():
                        grouped[r[0]].append(r)
            handle.write(b"".join(_line(r, related) for r in page))
            rows, after = rows + len(page), page[-1][0]
    await engine.dispose()
    return rows, time.perf_counter() - start


def http_export(base: str, key: str, digest: bool) -> tuple[int, float, str]:
    """(bytes, seconds, sha256 when asked) of an every-section export read from its url while it runs."""
    with httpx.Client(base_url=base, timeout=None, headers={"Authorization": f"Bearer {key}"}) as http:
        start = time.perf_counter()
        task = http.post("/graphql", json={"query": START, "variables": {"p": PARAMS}}).json()["data"]["exportDataRows"]
        sha, size = hashlib.sha256(), 0
        with http.stream("GET", task["url"], headers={"Accept-Encoding": "identity"}) as response:
            for chunk in response.iter_raw(1 << 20):
                size += len(chunk)
                if digest:
                    sha.update(chunk)
        return size, time.perf_counter() - start, sha.hexdigest() if digest else ""


def _sha256(path: Path) -> str:
    sha = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            sha.update(chunk)
    return sha.hexdigest()


def _load() -> str:
    return "load " + ", ".join(f"{x:.1f}" for x in os.getloadavg())


async def measure(engine: str, rows: int, work: Path) -> list[Result]:
    async with database(engine, work, "sections") as url:
        settings = Settings(database_url=url, export_dir=work / "exports")
        started = time.perf_counter()
        await seed_database(settings, rows=rows, seed=1)
        seeded = time.perf_counter() - started
        db = create_engine(settings)
        org = await ensure_organization(db)
        key = (await create_key(db, org, "bench")).secret
        await db.dispose()
        proc = serve(settings, free_port(), args=("--workers", "1"))
        base = f"http://127.0.0.1:{proc.args[proc.args.index('--port') + 1]}"
        sampler = RssSampler(proc.pid, "VmRSS")
        try:
            ref_path = work / "reference.ndjson"
            await reference(settings, org, ref_path)
            size, _, streamed = await asyncio.to_thread(http_export, base, key, True)
            if streamed != _sha256(ref_path):
                raise AssertionError(f"the reference's {ref_path.stat().st_size:,} bytes differ from the server's")
            exporting = RssSampler(proc.pid, "VmRSS")  # from here on: the exports alone, start-up work done
            rounds = []
            for _ in range(ROUNDS):
                ref_rows, ref_seconds = await reference(settings, org, ref_path)
                _, seconds, _ = await asyncio.to_thread(http_export, base, key, False)
                rounds.append((ref_rows / ref_seconds, rows / seconds, _load()))
            peak, export_peak = sampler.stop(), exporting.stop()
            hwm = status_mb(proc.pid, "VmHWM")
        finally:
            proc.terminate()
            proc.wait(30)
    ratios = [http / ref for ref, http, _ in rounds]
    ref, http, load = rounds[sorted(range(ROUNDS), key=ratios.__getitem__)[ROUNDS // 2]]
    case = f"{rows:,} seeded rows, every section"
    every = " / ".join(f"{r:.2f}" for r in ratios)
    line_kb = size / rows / 1000
    return [
        Result("export_sections", f"{case} seed", seeded, "s"),
        Result("export_sections", f"{case} reference (SQL pages + dicts + orjson)", ref, "rows/s",
               note=f"same bytes as the server's stream ({line_kb:.1f} kB a line); {load}"),
        Result("export_sections", f"{case} http", http, "rows/s",
               note=f"{http / ref:.2f}x reference (median round; rounds: {every}); {load}"),
        Result("export_sections", f"{case} http", http * line_kb / 1000, "MB/s"),
        Result("export_sections", f"{case} process tree peak RSS during the timed exports (VmRSS summed)",
               export_peak, "MB", note="serve --workers 1: server + export worker process, sampled every 50 ms"),
        Result("export_sections", f"{case} process tree peak RSS from start-up (VmRSS summed)", peak, "MB",
               note="includes the server's start-up work (facet arrays of the new catalog)"),
        Result("export_sections", f"{case} process tree VmHWM (summed)", hwm, "MB"),
    ]  # fmt: skip


@register("export_sections")
async def run(args: argparse.Namespace) -> list[Result]:
    return await each_size_and_engine(args, SIZES, measure)
