"""Ontologies: a tree of tools, classifications and options flattened into FeatureSchema rows (parent_id links)."""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from server.errors import bad_input
from server.ingest.checks import check_name, check_unique, table
from server.models import FeatureSchema, Ontology
from server.models.base import new_id, utcnow
from server.names import feature_value

TOOL_TYPES = ("BOUNDING_BOX", "POLYGON", "POLYLINE", "POINT", "SEGMENTATION_MASK", "NAMED_ENTITY", "RELATIONSHIP")
CLASSIFICATION_TYPES = ("RADIO", "CHECKLIST", "TEXT")
F = table(FeatureSchema).c
# The Labelbox names the seed and the NDJSON import store ("bbox", "radio", …), as the types labels are checked by.
LABELBOX_TYPES = {
    "bbox": "BOUNDING_BOX",
    "polygon": "POLYGON",
    "line": "POLYLINE",
    "point": "POINT",
    "raster-segmentation": "SEGMENTATION_MASK",
    "named-entity": "NAMED_ENTITY",
    "relationship": "RELATIONSHIP",
    "radio": "RADIO",
    "checklist": "CHECKLIST",
    "text": "TEXT",
}


@dataclass
class _Flattener:
    org: str
    ontology_id: str
    rows: list[dict[str, Any]]

    def add(self, item: dict[str, Any], category: str, kind: str, parent: str | None, position: int, path: str) -> str:
        name = check_name(item.get("name", ""), f"{path}.name")
        ident = new_id()
        self.rows.append(
            {"id": ident, "organization_id": self.org, "ontology_id": self.ontology_id, "parent_id": parent}
            | {"category": category, "type": kind, "name": name, "value": feature_value(name), "position": position}
        )
        return ident

    def classifications(self, items: list[dict[str, Any]], parent: str | None, path: str) -> None:
        check_unique((c.get("name") for c in items), path, "Classification name")
        for i, item in enumerate(items):
            here = f"{path}.{i}"
            ident = self.add(item, "classification", item["type"], parent, i, here)
            options = item.get("options") or []
            if (item["type"] == "TEXT") == bool(options):
                raise bad_input("RADIO and CHECKLIST classifications need options; TEXT takes none.", f"{here}.options")
            self.options(options, ident, f"{here}.options")

    def options(self, items: list[dict[str, Any]], parent: str, path: str) -> None:
        check_unique((o.get("name") for o in items), path, "Option name")
        for i, item in enumerate(items):
            ident = self.add(item, "option", "OPTION", parent, i, f"{path}.{i}")
            self.classifications(item.get("classifications") or [], ident, f"{path}.{i}.classifications")

    def tools(self, items: list[dict[str, Any]]) -> None:
        check_unique((t.get("name") for t in items), "tools", "Tool name")
        for i, item in enumerate(items):
            ident = self.add(item, "tool", item["type"], None, i, f"tools.{i}")
            self.classifications(item.get("classifications") or [], ident, f"tools.{i}.classifications")


async def create_ontology(
    engine: AsyncEngine,
    *,
    organization_id: str,
    name: str,
    tools: list[dict[str, Any]],
    classifications: list[dict[str, Any]],
) -> str:
    """The ontology and all its feature schemas, at any nesting depth, in one bulk insert."""
    ontology_id = new_id()
    flat = _Flattener(organization_id, ontology_id, [])
    flat.tools(tools)
    flat.classifications(classifications, None, "classifications")
    row = {"id": ontology_id, "organization_id": organization_id, "name": check_name(name, "name")}
    async with engine.begin() as conn:
        await conn.execute(table(Ontology).insert(), row | {"created_at": utcnow()})
        if flat.rows:
            await conn.execute(table(FeatureSchema).insert(), flat.rows)
    return ontology_id


async def load_features(conn: AsyncConnection, ontology_id: str | None) -> dict[str, Any]:
    """Every feature schema of an ontology by id (empty when there is no ontology)."""
    if ontology_id is None:
        return {}
    stmt = select(F.id, F.parent_id, F.category, F.type, F.name).where(F.ontology_id == ontology_id)
    rows = (await conn.execute(stmt)).all()
    return {r.id: SimpleNamespace(**{**r._mapping, "type": LABELBOX_TYPES.get(r.type, r.type)}) for r in rows}
