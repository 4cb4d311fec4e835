"""The `engine_bytes` profile: a small catalog chosen to expose engine differences in export bytes, written with the
factory's insert.

Its ids, times and payloads are the point, so they are its own rather than the seed's: ids and global keys mix case
and punctuation (a linguistic collation orders them differently from byte order), timestamps carry milliseconds and
microseconds, payloads hold floats, unicode, escapes and nulls.
"""

from __future__ import annotations

from array import array
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from tests.factory.insert import Rows, insert

T0 = datetime(2024, 1, 31, 12, 0, 0, 123456)
# Byte order: "cB…" < "cZ…" < "c_…" < "ca…" < "cé…"; en-US order puts "_" first and "a" before "B".
ROW_IDS = [
    "ca0000000000000000000001",
    "cB0000000000000000000002",
    "c_0000000000000000000003",
    "cZ000000000000000000004",
]
ROW_IDS += ["cé00000000000000000000005", "ca0000000000000000000006"]
GLOBAL_KEYS = ["apple", "Banana", "_under", None, "Ünïcødé-键", "zebra"]
VECTOR = array("f", [0.1, -2.5, 3.0e-7, 1.0e10]).tobytes()


def _rows(org: str) -> list[dict[str, Any]]:
    return [
        {
            "id": row_id,
            "organization_id": org,
            "dataset_id": "cdataset",
            "global_key": key,
            "external_id": None if i % 2 else f"ext-{i}-ñ",
            "row_data": f"https://example.com/{i}/图片.jpg",
            "media_type": "IMAGE",
            "media_attributes": '{"height":480,"width":640.5,"mime_type":"image/jpeg","exif":null}',
            "created_at": T0 + timedelta(minutes=i),
            "updated_at": T0 + timedelta(minutes=i, microseconds=789),
            "created_by": None if i == 3 else "ann@example.com",
        }
        for i, (row_id, key) in enumerate(zip(ROW_IDS, GLOBAL_KEYS, strict=True))
    ]


def _labels(org: str) -> list[dict[str, Any]]:
    base = {"organization_id": org, "created_by": "ann@example.com", "label_kind": "Default", "version": "1.0.0"}
    base |= {"project_id": None, "model_run_id": None, "reviews": "[]", "source": "LABEL"}
    annotations = '{"objects":[{"name":"Box","bounding_box":{"top":1.5,"left":0.1,"height":1e-3,"width":2}}],'
    annotations += (
        '"classifications":[{"name":"Q","text_answer":{"content":"süß \\"quoted\\" \\u2028"}}],"relationships":[]}'
    )
    labels = []
    for i, row_id in enumerate(ROW_IDS[:4]):
        stamp = T0 + timedelta(hours=i, microseconds=1000 * i)
        common = {**base, "data_row_id": row_id, "created_at": stamp, "updated_at": stamp, "annotations": annotations}
        labels.append({**common, "id": f"clab{i}A", "project_id": "cProject", "reviews": '[{"score":0.25}]'})
        labels.append({**common, "id": f"clab{i}b", "model_run_id": "cRun", "source": "PREDICTION"})
        labels.append({**common, "id": f"clab{i}_", "model_run_id": "cRun", "source": "LABEL"})
    return labels


def catalog(org: str) -> Rows:
    """Rows by table name."""
    o = {"organization_id": org}
    return dict(
        [
            ("dataset", [{**o, "id": "cdataset", "name": "Dätaset ☃", "created_at": T0}]),
            ("datarow", _rows(org)),
            (
                "attachment",
                [
                    {
                        **o,
                        "id": f"catt{i}",
                        "data_row_id": r,
                        "type": "TEXT",
                        "value": "ß",
                        "name": None,
                        "position": 1 - i % 2,
                    }
                    for i, r in enumerate(ROW_IDS)
                ],
            ),
            (
                "metadataschema",
                [
                    {**o, "id": "cschemaA", "name": "score", "kind": "number"},
                    {**o, "id": "cschemab", "name": "note", "kind": "string"},
                ],
            ),
            (
                "metadatavalue",
                [
                    {
                        **o,
                        "id": f"cmv{i}{s}",
                        "data_row_id": r,
                        "schema_id": s,
                        "position": 0,
                        "value_json": "0.1" if s == "cschemaA" else '"naïve \\n"',
                    }
                    for i, r in enumerate(ROW_IDS[:3])
                    for s in ("cschemaA", "cschemab")
                ],
            ),
            ("embedding", [{**o, "id": "cemb", "name": "clip", "dims": 4, "created_at": T0}]),
            (
                "datarowembedding",
                [{**o, "embedding_id": "cemb", "data_row_id": r, "vector": VECTOR} for r in ROW_IDS[:2]],
            ),
            ("ontology", [{**o, "id": "contology", "name": "Ont", "created_at": T0}]),
            (
                "project",
                [
                    {
                        **o,
                        "id": "cProject",
                        "name": "Prøject",
                        "media_type": "IMAGE",
                        "ontology_id": "contology",
                        "created_at": T0,
                    }
                ],
            ),
            ("batch", [{**o, "id": "cbatch", "project_id": "cProject", "name": "B1", "created_at": T0}]),
            (
                "projectdatarow",
                [
                    {
                        **o,
                        "project_id": "cProject",
                        "data_row_id": r,
                        "batch_id": "cbatch" if i else None,
                        "workflow_status": "DONE",
                        "task_id": None,
                        "workflow_history": "[]",
                        "last_activity_at": T0,
                    }
                    for i, r in enumerate(ROW_IDS[:4])
                ],
            ),
            ("model", [{**o, "id": "cmodel", "name": "Mödel", "created_at": T0}]),
            ("modelrun", [{**o, "id": "cRun", "model_id": "cmodel", "name": "run 1", "created_at": T0}]),
            (
                "modelrundatarow",
                [{**o, "model_run_id": "cRun", "data_row_id": r, "annotation_group_id": "cgroup"} for r in ROW_IDS[:4]],
            ),
            ("label", _labels(org)),
        ]
    )


async def insert_catalog(engine: AsyncEngine, org: str) -> None:
    await insert(engine, catalog(org))
