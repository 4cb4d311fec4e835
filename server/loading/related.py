"""One batched SELECT per related table per page, keyed by data row id. Shared by DataLoaders and the export."""

from __future__ import annotations

from array import array
from collections import defaultdict, namedtuple
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    ARRAY,
    BindParameter,
    ColumnElement,
    Executable,
    Result,
    String,
    and_,
    bindparam,
    func,
    or_,
    select,
    true,
)
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from server.loading.plan import Included, RowPlan
from server.models import (
    Attachment,
    Batch,
    DataRowEmbedding,
    Embedding,
    Label,
    MetadataSchema,
    MetadataValue,
    Model,
    ModelRun,
    ModelRunDataRow,
    Project,
    ProjectDataRow,
)
from server.models.base import is_stored_json
from server.timefmt import export_time

Grouped = dict[str, list[Any]]  # data row id -> its records (named tuples: `rec.name`, `rec[i]`, `rec._fields`)


def _t(model: Any) -> Any:
    return model.__table__.c


@lru_cache(maxsize=64)
def _record_type(fields: tuple[str, ...]) -> Any:
    return namedtuple("Record", fields)


def _records(result: Result[Any]) -> list[Any]:
    """The rows as named tuples: a SQLAlchemy Row looks a name up on each attribute read (~0.9 µs here), a named
    tuple reads by position (~0.05 µs), and assembling a full page reads ~3,500 related attributes."""
    return list(map(_record_type(tuple(result.keys()))._make, result))


async def _fetch(conn: AsyncConnection, stmt: Executable, ids: list[str]) -> list[Any]:
    return _records(await conn.execute(stmt, {"ids": ids}))


def _group(rows: Sequence[Any]) -> Grouped:
    grouped: Grouped = defaultdict(list)
    for row in rows:
        grouped[row.data_row_id].append(row)
    return grouped


# The page's row ids, bound per execution: statements are built once per plan.
IDS: BindParameter[Sequence[str]] = bindparam("ids", expanding=True)
PG_IDS = bindparam("ids", type_=ARRAY(String))


class in_page(FunctionElement[bool]):
    """`column IN (the page's ids)`. PostgreSQL binds the ids as one array (`= ANY($1)`), so the cached statement is
    sent as it is; an expanding `IN` renders a placeholder and its cast per id on every execution (600 a full
    page: 1.62 → 1.34 s of CPU for 40 pages under cProfile). Elsewhere the expanding `IN`."""

    inherit_cache = True  # untyped, as compile.rare: a Boolean would be compared with 1 on SQLite


@compiles(in_page)
def _in_page(element: in_page, compiler: SQLCompiler, **kw: Any) -> str:
    (column,) = element.clauses
    return compiler.process(column.in_(IDS), **kw)


@compiles(in_page, "postgresql")
def _in_page_on_postgresql(element: in_page, compiler: SQLCompiler, **kw: Any) -> str:
    (column,) = element.clauses
    return f"{compiler.process(column, **kw)} = ANY({compiler.process(PG_IDS, **kw)})"


def _included_clause(included: Included, *columns: Any) -> ColumnElement[bool]:
    if included.all:
        return true()
    return or_(*(c.in_(sorted(included.ids)) for c in columns))


@lru_cache(maxsize=64)
def attachments(plan: RowPlan) -> Any:
    a = _t(Attachment)
    stmt = select(a.data_row_id, a.id, a.type, a.value, a.name).where(in_page(a.data_row_id))
    return stmt.order_by(a.data_row_id, a.position, a.id)


@lru_cache(maxsize=64)
def metadata_fields(plan: RowPlan) -> Any:
    v, s = _t(MetadataValue), _t(MetadataSchema)
    stmt = (
        select(v.data_row_id, v.schema_id, s.name.label("schema_name"), v.value_json)
        .join(MetadataSchema.__table__, s.id == v.schema_id)
        .where(in_page(v.data_row_id))
    )
    return stmt.order_by(v.data_row_id, v.position, v.schema_id)


@lru_cache(maxsize=64)
def embeddings(plan: RowPlan) -> Any:
    v, e = _t(DataRowEmbedding), _t(Embedding)
    stmt = (
        select(v.data_row_id, e.id, e.name, e.dims, e.is_custom, v.vector)
        .join(Embedding.__table__, e.id == v.embedding_id)
        .where(in_page(v.data_row_id))
    )
    return stmt.order_by(v.data_row_id, e.name, e.id)


@lru_cache(maxsize=64)
def projects(plan: RowPlan) -> Any:
    m, p, b = _t(ProjectDataRow), _t(Project), _t(Batch)
    stmt = (
        select(
            m.data_row_id,
            m.project_id,
            p.name.label("project_name"),
            p.ontology_id,
            m.batch_id,
            b.name.label("batch_name"),
            m.priority,
            m.consensus_expected_label_count,
            m.workflow_history,
            m.workflow_status,
            m.task_id,
            m.task_name,
        )
        .join(Project.__table__, p.id == m.project_id)
        .outerjoin(Batch.__table__, b.id == m.batch_id)
        .where(in_page(m.data_row_id), _included_clause(plan.projects, m.project_id))
    )
    return stmt.order_by(m.data_row_id, p.created_at, m.project_id)


LABEL_COLUMNS = ("id", "label_kind", "version", "annotations", "source")
LABEL_DETAIL_COLUMNS = ("created_at", "updated_at", "created_by", "content_last_updated_at", "reviews")
TIMES = frozenset({"created_at", "updated_at"})
# read as the label's updated_at while NULL (labels written before the column existed)
FALLBACK_TIMES = {"content_last_updated_at": "updated_at"}


def _label_select(plan: RowPlan, *extra: str) -> Any:
    lab = _t(Label)
    names = [*LABEL_COLUMNS, *extra]
    if plan.label_details:
        names += LABEL_DETAIL_COLUMNS
    if plan.performance_details:
        names.append("performance_details")
    return select(lab.data_row_id, *(_label_column(lab, n) for n in names))


def _label_column(lab: Any, name: str) -> Any:
    if name in FALLBACK_TIMES:
        return export_time(func.coalesce(lab[name], lab[FALLBACK_TIMES[name]])).label(name)
    return export_time(lab[name]).label(name) if name in TIMES else lab[name]


def _for_project(plan: RowPlan) -> ColumnElement[bool]:
    lab = _t(Label)
    return and_(lab.project_id.is_not(None), _included_clause(plan.projects, lab.project_id))


def _for_model_run(plan: RowPlan) -> ColumnElement[bool]:
    lab, r = _t(Label), _t(ModelRun)
    sources = ["LABEL", "PREDICTION"] if plan.predictions else ["LABEL"]
    return and_(
        lab.model_run_id.is_not(None),
        lab.source.in_(sources),
        _included_clause(plan.models, lab.model_run_id, r.model_id),
    )


@lru_cache(maxsize=64)
def project_labels(plan: RowPlan) -> Any:
    lab = _t(Label)
    stmt = _label_select(plan, "project_id").where(in_page(lab.data_row_id), _for_project(plan))
    return stmt.order_by(lab.data_row_id, lab.created_at, lab.id)


@lru_cache(maxsize=64)
def model_runs(plan: RowPlan) -> Any:
    m, r, mo = _t(ModelRunDataRow), _t(ModelRun), _t(Model)
    stmt = (
        select(
            m.data_row_id,
            m.model_run_id,
            m.annotation_group_id,
            r.name.label("model_run_name"),
            r.model_id,
            mo.name.label("model_name"),
        )
        .join(ModelRun.__table__, r.id == m.model_run_id)
        .join(Model.__table__, mo.id == r.model_id)
        .where(in_page(m.data_row_id), _included_clause(plan.models, m.model_run_id, r.model_id))
    )
    return stmt.order_by(m.data_row_id, mo.created_at, mo.id, r.created_at, r.id)


@lru_cache(maxsize=64)
def model_run_labels(plan: RowPlan) -> Any:
    lab, r = _t(Label), _t(ModelRun)
    stmt = (
        _label_select(plan, "model_run_id")
        .join(ModelRun.__table__, r.id == lab.model_run_id)
        .where(in_page(lab.data_row_id), _for_model_run(plan))
    )
    return stmt.order_by(lab.data_row_id, lab.created_at, lab.id)


@lru_cache(maxsize=64)
def all_labels(plan: RowPlan) -> Any:
    """Project and model run labels in one select; `for_project`/`for_model_run` say which part a row is in."""
    lab, r = _t(Label), _t(ModelRun)
    for_project, for_model_run = _for_project(plan), _for_model_run(plan)
    stmt = (
        _label_select(plan, "project_id", "model_run_id")
        .add_columns(for_project.label("for_project"), for_model_run.label("for_model_run"))
        .outerjoin(ModelRun.__table__, r.id == lab.model_run_id)
        .where(in_page(lab.data_row_id), or_(for_project, for_model_run))
    )
    return stmt.order_by(lab.data_row_id, lab.created_at, lab.id)


@dataclass(frozen=True)
class Part:
    """A related table the plan may ask for: `wanted(plan)` decides, `statement(plan)` selects it for the `ids`."""

    wanted: Callable[[RowPlan], bool]
    statement: Callable[[RowPlan], Any]


PARTS: dict[str, Part] = {
    "attachments": Part(lambda p: p.attachments, attachments),
    "metadata_fields": Part(lambda p: p.metadata_fields, metadata_fields),
    "embeddings": Part(lambda p: p.embeddings, embeddings),
    "projects": Part(lambda p: not p.projects.empty, projects),
    "project_labels": Part(lambda p: not p.projects.empty and p.project_labels, project_labels),
    "model_runs": Part(lambda p: not p.models.empty, model_runs),
    "model_run_labels": Part(lambda p: not p.models.empty and p.model_labels, model_run_labels),
}


def _stored_json(stmt: Any) -> tuple[str, ...]:
    return tuple(column.name for column in stmt.selected_columns if is_stored_json(column))


# Every section asked for: each part's statement selects all the columns it ever reads.
_FLAGS: dict[str, Any] = {f.name: True for f in fields(RowPlan) if isinstance(f.default, bool)}
EVERY_SECTION = RowPlan(**_FLAGS, projects=Included(all=True), models=Included(all=True))
# Part → the names of its records' fields holding stored JSON, which the assembler splices unparsed (derived from the
# models' json_text columns, so a new one is validated by the encoder wherever a part selects it).
STORED_JSON: dict[str, tuple[str, ...]] = {
    name: columns for name, part in PARTS.items() if (columns := _stored_json(part.statement(EVERY_SECTION)))
}


def wants_related(plan: RowPlan) -> bool:
    return any(part.wanted(plan) for part in PARTS.values())


LABEL_PARTS = ("project_labels", "model_run_labels")


async def _load_labels(conn: AsyncConnection, ids: list[str], plan: RowPlan) -> dict[str, Grouped]:
    """Both label parts from one statement (they read the same table), split by the row's flags."""
    rows = await _fetch(conn, all_labels(plan), ids)
    return {
        "project_labels": _group([row for row in rows if row.for_project]),
        "model_run_labels": _group([row for row in rows if row.for_model_run]),
    }


async def load_related(conn: AsyncConnection, ids: list[str], plan: RowPlan) -> dict[str, Grouped]:
    """Every part the plan wants, one statement each (both label parts share one), whatever the number of ids."""
    if not ids:
        return {}
    wanted = [name for name, part in PARTS.items() if part.wanted(plan)]
    labels_together = all(name in wanted for name in LABEL_PARTS)
    if labels_together:
        wanted = [name for name in wanted if name not in LABEL_PARTS]
    related = {name: _group(await _fetch(conn, PARTS[name].statement(plan), ids)) for name in wanted}
    return related | (await _load_labels(conn, ids, plan) if labels_together else {})


def vector_values(blob: bytes) -> list[float]:
    return array("f", blob).tolist()
