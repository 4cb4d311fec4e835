"""A fast bulk catalog for the filter benchmarks: plain sqlite3 executemany of tuples, ids in insertion order.

Shape per row i: dataset i%10, media type, global/external keys, created every 30 s; metadata score (80%, number),
weather (70%, enum), caption (50%, string); project A (even rows) and B (every 3rd) with status, batch, activity,
one label with 0-3 cars and a radio answer for 4 of 5 members; model run 1 (every 4th row) with a prediction."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from server.facets.bulk import sqlite_bulk_load
from server.ingest.features import feature_counts

BASE = datetime(2024, 1, 1)
MEDIA = ("IMAGE", "IMAGE", "VIDEO", "TEXT")
STATUSES = ("TO_LABEL", "IN_REVIEW", "IN_REWORK", "DONE")
WORDS = ("alpha", "beta", "gamma", "delta", "epsilon")
CHUNK = 50_000


def ts(when: datetime) -> str:
    """The text SQLAlchemy's SQLite DateTime stores (and compares against)."""
    return when.strftime("%Y-%m-%d %H:%M:%S.%f")


def cid(kind: str, i: int) -> str:
    return f"c{kind}{i:023x}"


def _annotations(cars: int) -> dict[str, Any]:
    car = {"feature_schema_id": "fs-car", "name": "Car", "annotation_kind": "ImageBoundingBox", "classifications": []}
    answer = {"feature_schema_id": "fs-good", "name": "good", "classifications": []}
    radio = {"feature_schema_id": "fs-quality", "name": "Quality", "radio_answer": answer}
    return {"objects": [car] * cars, "classifications": [radio], "relationships": []}


PAYLOADS = [(orjson.dumps(_annotations(n)).decode(), feature_counts(_annotations(n))) for n in range(4)]


Sink = Callable[[str, str, Iterator[tuple[Any, ...]]], None]


def sqlite_sink(db: sqlite3.Connection) -> Sink:
    return lambda table, columns, rows: _insert(db, table, columns, rows)


def _insert(db: sqlite3.Connection, table: str, columns: str, rows: Iterator[tuple[Any, ...]]) -> None:
    sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join('?' * len(columns.split(',')))})"
    batch: list[tuple[Any, ...]] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= CHUNK:
            db.executemany(sql, batch)
            batch.clear()
    db.executemany(sql, batch)


def _containers(put: Sink, org: str) -> None:
    now = ts(BASE)
    put("dataset", "id, organization_id, name, created_at", ((cid("d", i), org, f"ds{i}", now) for i in range(10)))
    schemas = [("score", "NUMBER", None), ("weather", "ENUM", None), ("caption", "STRING", None)]
    schemas += [(o, "OPTION", cid("s", 1)) for o in ("sunny", "rainy", "snowy")]
    put(
        "metadataschema",
        "id, organization_id, name, kind, parent_id",
        ((cid("s", i), org, n, k, p) for i, (n, k, p) in enumerate(schemas)),
    )
    put(
        "project",
        "id, organization_id, name, media_type, created_at",
        ((cid("p", i), org, f"project {i}", "IMAGE", now) for i in range(2)),
    )
    put(
        "batch",
        "id, organization_id, project_id, name, priority, created_at",
        ((cid("b", i), org, cid("p", i // 2), f"batch {i}", 5, now) for i in range(4)),
    )
    put("model", "id, organization_id, name, created_at", [(cid("m", 0), org, "model", now)])
    put(
        "modelrun",
        "id, organization_id, model_id, name, created_at",
        ((cid("r", i), org, cid("m", 0), f"run {i}", now) for i in range(2)),
    )


def _rows(org: str, n: int) -> Iterator[tuple[Any, ...]]:
    for i in range(n):
        created = ts(BASE + timedelta(seconds=30 * i))
        updated = ts(BASE + timedelta(seconds=30 * i, hours=i % 100))
        yield (
            cid("a", i),
            org,
            cid("d", i % 10),
            f"gk-{i:07d}",
            f"ext-{i % 1000}",
            f"https://example.com/{i}.jpg",
            MEDIA[i % 4],
            "{}",
            created,
            updated,
        )


def _metadata(org: str, n: int) -> Iterator[tuple[Any, ...]]:
    for i in range(n):
        if i % 5:
            score = (i * 7919 % 1000) / 10
            yield cid("v", 3 * i), org, cid("a", i), cid("s", 0), None, score, None, orjson.dumps(score).decode(), 0
        if i % 10 < 7:
            opt = 3 + (i // 10) % 3
            value = orjson.dumps({"schema_id": cid("s", opt), "schema_name": ("sunny", "rainy", "snowy")[opt - 3]})
            yield cid("v", 3 * i + 1), org, cid("a", i), cid("s", 1), None, None, cid("s", opt), value.decode(), 1
        if i % 2:
            text = f"{WORDS[i % 5]} {WORDS[(i // 5) % 5]}"
            yield cid("v", 3 * i + 2), org, cid("a", i), cid("s", 2), text, None, None, orjson.dumps(text).decode(), 2


def _members(n: int) -> Iterator[tuple[int, int]]:
    for i in range(n):
        for p, step in ((0, 2), (1, 3)):
            if i % step == 0:
                yield i, p


def _memberships(org: str, n: int) -> Iterator[tuple[Any, ...]]:
    for i, p in _members(n):
        activity = ts(BASE + timedelta(hours=i % 2000))
        status = STATUSES[(i // 7) % 4]
        yield cid("p", p), cid("a", i), org, cid("b", 2 * p + i % 2), 5, status, 1, "[]", activity


def _label_specs(n: int) -> Iterator[tuple[str, int, str | None, str | None, str, str, int]]:
    """(label id, row, project, run, source, created, payload index) of every label and prediction."""
    for i, p in _members(n):
        if i % 5:
            yield cid("l", 2 * i + p), i, cid("p", p), None, "LABEL", ts(BASE + timedelta(hours=i % 3000)), i % 4
    for i in range(0, n, 4):
        yield cid("x", i), i, None, cid("r", 0), "PREDICTION", ts(BASE), (i // 4) % 4


def _labels(org: str, n: int) -> Iterator[tuple[Any, ...]]:
    for label_id, i, project, run, source, when, k in _label_specs(n):
        yield label_id, org, cid("a", i), project, run, source, "Default", "1.0.0", when, when, PAYLOADS[k][0]


def _features(org: str, n: int) -> Iterator[tuple[Any, ...]]:
    for label_id, i, project, run, source, _, k in _label_specs(n):
        for fid, name, kind, count in PAYLOADS[k][1]:
            yield label_id, fid, org, cid("a", i), project, run, source, name, kind, count


COLUMNS = {
    "datarow": "id organization_id dataset_id global_key external_id row_data media_type media_attributes created_at "
    "updated_at",
    "metadatavalue": "id organization_id data_row_id schema_id string_value number_value option_id value_json position",
    "projectdatarow": "project_id data_row_id organization_id batch_id priority workflow_status "
    "consensus_expected_label_count workflow_history last_activity_at",
    "modelrundatarow": "model_run_id data_row_id organization_id annotation_group_id",
    "label": "id organization_id data_row_id project_id model_run_id source label_kind version created_at updated_at "
    "annotations",
    "labelfeature": "label_id feature_schema_id organization_id data_row_id project_id model_run_id source name kind "
    "count",
}


def _runs(org: str, n: int) -> Iterator[tuple[Any, ...]]:
    return ((cid("r", 0), cid("a", i), org, cid("g", i)) for i in range(0, n, 4))


ROWS = {
    "datarow": _rows,
    "metadatavalue": _metadata,
    "projectdatarow": _memberships,
    "modelrundatarow": _runs,
    "label": _labels,
    "labelfeature": _features,
}


def fill(put: Sink, org: str, n: int) -> None:
    """Write the containers, then n data rows and their relations, through `put(table, columns, rows)`."""
    _containers(put, org)
    for table, rows in ROWS.items():
        put(table, ", ".join(COLUMNS[table].split()), rows(org, n))


def build(path: Path, org: str, n: int) -> None:
    """Fill the (already created, empty) tables of the SQLite file at `path` with n data rows and their relations."""
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    with sqlite_bulk_load(db):  # a bulk load without the row triggers (server.facets.bulk says why)
        db.execute("DROP INDEX ix_datarow_seq")
        fill(sqlite_sink(db), org, n)
        db.execute("UPDATE datarow SET seq = rowid")
        db.execute("CREATE UNIQUE INDEX ix_datarow_seq ON datarow (seq)")
    db.commit()
    db.execute("ANALYZE")
    db.close()
