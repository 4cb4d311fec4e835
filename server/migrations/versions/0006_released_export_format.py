"""columns of the released Labelbox export format

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 04:00:00.000000

`datarow.last_activity_at` (details.last_activity_at), `label.content_last_updated_at`
(label_details.content_last_updated_at) and `embedding.is_custom` (embeddings[].is_custom). The two timestamps are
nullable: NULL reads as the row's or label's `updated_at`, so existing rows need no backfill.

Stored JSON written before takes Labelbox's released shapes (this file holds its own copy of the rewrite, as it ran):
media attribute keys in snake_case; closed polygons; `composite_mask` beside a legacy `mask`; text entity ends made
inclusive (they were exclusive) with the covered `token` where the row holds its text; `relationship` →
`unidirectional_relationship` / `bidirectional_relationship`; `conversational_` answer keys on message-level
classifications; label_kind `Video` on video rows. The downgrade drops the columns and leaves the JSON as it is.
"""

import hashlib
import re
from collections.abc import Iterator
from typing import Any

import orjson
import sqlalchemy as sa
from alembic import op

BATCH = 5000
HUMP = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
OLD_SHAPES = ('"relationship":', '"mask":', '"TextEntity"', '"ConversationalTextEntity"', 'Polygon"', '"message_id"')
ANSWERS = ("radio_answer", "checklist_answers", "text_answer")

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("datarow", sa.Column("last_activity_at", sa.DateTime(), nullable=True))
    op.add_column("label", sa.Column("content_last_updated_at", sa.DateTime(), nullable=True))
    op.add_column("embedding", sa.Column("is_custom", sa.Boolean(), server_default=sa.true(), nullable=False))
    conn = op.get_bind()
    _media_attributes(conn)
    _annotations(conn)
    conn.execute(
        sa.text(
            "UPDATE label SET label_kind = 'Video' WHERE label_kind = 'Default'"
            " AND data_row_id IN (SELECT id FROM datarow WHERE media_type = 'VIDEO')"
        )
    )


def _batches(conn: Any, sql: str) -> Iterator[list[Any]]:
    """`sql` (selecting `id` first, with a `{after}` condition) a keyset batch at a time."""
    after = ""
    while True:
        rows = conn.execute(sa.text(sql.format(after=":after")), {"after": after, "n": BATCH}).all()
        if not rows:
            return
        yield rows
        after = rows[-1][0]


def _media_attributes(conn: Any) -> None:
    sql = "SELECT id, media_attributes FROM datarow WHERE id > {after} ORDER BY id LIMIT :n"
    for rows in _batches(conn, sql):
        changed = []
        for ident, text in rows:
            value = orjson.loads(text)
            named = {HUMP.sub("_", k).lower(): v for k, v in value.items()} if isinstance(value, dict) else value
            if named != value and len(named) == len(value):
                changed.append({"i": ident, "v": orjson.dumps(named).decode()})
        if changed:
            conn.execute(sa.text("UPDATE datarow SET media_attributes = :v WHERE id = :i"), changed)


def _annotations(conn: Any) -> None:
    shapes = " OR ".join(f"l.annotations LIKE '%{pattern}%'" for pattern in OLD_SHAPES)
    sql = (
        "SELECT l.id, l.annotations, r.media_type, r.row_data FROM label l JOIN datarow r ON r.id = l.data_row_id"
        f" WHERE l.id > {{after}} AND ({shapes}) ORDER BY l.id LIMIT :n"
    )
    for rows in _batches(conn, sql):
        changed = []
        for ident, text, media, data in rows:
            inline = data if media == "TEXT" and not URL.match(data) else None
            changed.append({"i": ident, "a": orjson.dumps(_released(orjson.loads(text), inline)).decode()})
        conn.execute(sa.text("UPDATE label SET annotations = :a WHERE id = :i"), changed)


def _objects(annotations: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield from annotations.get("objects") or []
    for frame in (annotations.get("frames") or {}).values():
        yield from (frame.get("objects") or {}).values()


def _renamed(item: dict[str, Any], old: str, new: str, value: Any) -> dict[str, Any]:
    """`item` with key `old` replaced by `new` (holding `value`) at the same place."""
    return {new if k == old else k: value if k == old else v for k, v in item.items()}


def _inclusive(location: dict[str, Any], text: str | None) -> None:
    location["end"] = max(location["start"], location["end"] - 1)
    if text is not None and location["end"] < len(text):
        location["token"] = text[location["start"] : location["end"] + 1]


def _object(obj: dict[str, Any], text: str | None) -> None:
    points = obj.get("polygon")
    if isinstance(points, list) and points and points[0] != points[-1]:
        points.append(dict(points[0]))
    mask = obj.get("mask")
    if isinstance(mask, dict) and "composite_mask" not in obj:
        color = list(hashlib.blake2b(str(obj.get("feature_schema_id")).encode(), digest_size=3).digest())
        obj["composite_mask"] = {"url": mask.get("url"), "color_rgb": color}
    if obj.get("annotation_kind") == "TextEntity" and "token" not in obj.get("location", {}):
        _inclusive(obj["location"], text)
    if obj.get("annotation_kind") == "ConversationalTextEntity":
        _inclusive(obj["conversational_location"]["location"], None)


def _classification(item: dict[str, Any]) -> dict[str, Any]:
    if "message_id" in item:
        for key in ANSWERS:
            if key in item:
                return _renamed(item, key, f"conversational_{key}", item[key])
    return item


def _relationship(rel: dict[str, Any]) -> dict[str, Any]:
    body = rel.get("relationship")
    if not isinstance(body, dict):
        return rel
    direction = body.get("type", "unidirectional")
    ends = {k: v for k, v in body.items() if k != "type"}
    return _renamed(rel, "relationship", f"{direction}_relationship", ends)


def _released(annotations: dict[str, Any], text: str | None) -> dict[str, Any]:
    for obj in _objects(annotations):
        _object(obj, text)
    if "classifications" in annotations:
        annotations["classifications"] = [_classification(c) for c in annotations["classifications"]]
    if "relationships" in annotations:
        annotations["relationships"] = [_relationship(r) for r in annotations["relationships"]]
    return annotations


def downgrade() -> None:
    # ALTER TABLE … DROP COLUMN (SQLite 3.35+, PostgreSQL): a batch copy of the table would drop its facet triggers
    for table, column in (
        ("embedding", "is_custom"),
        ("label", "content_last_updated_at"),
        ("datarow", "last_activity_at"),
    ):
        op.execute(f"ALTER TABLE {table} DROP COLUMN {column}")
