"""The export of a catalog built through the ingest mutations equals hand-written NDJSON (ids/times substituted)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import pytest

from server.models.base import utcnow
from server.timefmt import parse_iso
from tests.ingest import ops
from tests.ingest.golden_catalog import Ids, build_golden_catalog
from tests.utils.client import EVERYTHING, GraphQLClient

# Every section, with video labels as stored (interpolatedFrames has its own tests in tests/loading).
STORED_FRAMES = {k: v for k, v in EVERYTHING.items() if k != "interpolatedFrames"}
HERE = Path(__file__).parent
PLACEHOLDER = re.compile(r"\{([A-Za-z0-9_.]+)\}")
TIMESTAMP = re.compile(r'"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00)"')
ID = re.compile(r'"(c[0-9a-f]{24})"')


def expected_lines(name: str, ids: Ids) -> list[str]:
    """The hand-written file with `{ANN.x}` fragments and `{KEY}` ids filled in; `{T}`/`{ID}` stay."""
    text = (HERE / name).read_text()
    text = PLACEHOLDER.sub(lambda m: _fragment(m.group(1)) if m.group(1).startswith("ANN.") else m.group(0), text)
    text = PLACEHOLDER.sub(lambda m: ids.get(m.group(1), m.group(0)), text)
    return text.splitlines()


def _fragment(key: str) -> str:
    return (HERE / "annotations" / f"{key.removeprefix('ANN.')}.json").read_text().strip()


def normalized(ndjson: str, ids: Ids, since: datetime) -> list[str]:
    """Timestamps written during the test → `{T}`; ids the mutations did not return (attachments, tasks) → `{ID}`."""
    known = set(ids.values())

    def stamp(m: re.Match[str]) -> str:
        return '"{T}"' if parse_iso(m.group(1)) >= since else m.group(0)

    text = TIMESTAMP.sub(stamp, ndjson)
    return ID.sub(lambda m: m.group(0) if m.group(1) in known else '"{ID}"', text).splitlines()


async def export(gql: GraphQLClient, ids: Ids, params: dict[str, Any] | None) -> str:
    rows = [ids["ROW1"], ids["ROW2"], ids["ROW3"]]
    task = (await gql.data(ops.EXPORT, {"ids": rows, "p": params}))["exportDataRows"]
    done = await gql.wait_export(task["id"])
    assert done["status"] == "COMPLETE", done
    return done["ndjson"]


def by_row_id(lines: list[str]) -> list[str]:
    return sorted(lines, key=lambda line: orjson.loads(line)["data_row"]["id"])


CASES = [
    ("minimal.ndjson", None),
    ("everything.ndjson", STORED_FRAMES),
    (
        "labels_of_one_project.ndjson",
        {"attachments": True, "metadataFields": True, "labelDetails": True, "projectIds": ["P1"]},
    ),
    ("everything_2023_beta.ndjson", {**STORED_FRAMES, "format": "LABELBOX_2023_BETA"}),
    (
        "one_model_run.ndjson",
        {
            "mediaAttributes": True,
            "embeddings": True,
            "predictions": True,
            "performanceDetails": True,
            "modelRunIds": ["R"],
        },
    ),
]


@pytest.mark.parametrize(("name", "params"), CASES, ids=[c[0].removesuffix(".ndjson") for c in CASES])
async def test_golden_export(gql: GraphQLClient, name: str, params: dict[str, Any] | None) -> None:
    since = utcnow() - timedelta(seconds=1)
    ids = await build_golden_catalog(gql)
    if params is not None:
        params = {k: [ids[v] for v in val] if k.endswith("Ids") else val for k, val in params.items()}
    lines = normalized(await export(gql, ids, params), ids, since)
    assert lines == by_row_id(lines), "export lines are not in data row id order"
    assert lines == by_row_id(expected_lines(name, ids))


async def test_interpolated_frames_fill_the_video_label_between_its_key_frames(gql: GraphQLClient) -> None:
    ids = await build_golden_catalog(gql)
    lines = [orjson.loads(line) for line in (await export(gql, ids, {"allProjects": True})).splitlines()]
    filled = [orjson.loads(line) for line in (await export(gql, ids, EVERYTHING)).splitlines()]
    stored = next(a for a in _video_annotations(lines))
    video = next(a for a in _video_annotations(filled))
    assert list(stored["frames"]) == ["1", "5"]
    assert list(video["frames"]) == ["1", "2", "3", "4", "5"]
    assert video["frames"]["3"]["objects"]["fv-car"]["bounding_box"] == {
        "top": 3.0,
        "left": 1.0,
        "height": 2.0,
        "width": 3.0,
    }


def _video_annotations(lines: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for line in lines:
        for project in line["projects"].values():
            yield from (label["annotations"] for label in project["labels"] if "frames" in label["annotations"])
