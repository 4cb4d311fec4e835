"""The JSON blocks of docs/export-format.md, generated from the golden test lines so the page cannot drift.

`python -m tests.golden.format_doc` rewrites every block between `<!-- generated: NAME -->` and `<!-- end -->`;
tests/golden/test_format_doc.py fails when the page differs from what this renders.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

GOLDEN = Path(__file__).parent
PAGE = GOLDEN.parents[1] / "docs" / "export-format.md"
BLOCK = re.compile(r"(<!-- generated: (?P<name>[a-z0-9-]+) -->\n)(?P<body>.*?)(<!-- end -->)", re.DOTALL)
ANNOTATIONS = '"<the label\'s annotations: see Annotations below>"'


def _json(value: Any) -> str:
    return "```json\n" + orjson.dumps(value, option=orjson.OPT_INDENT_2).decode() + "\n```\n"


def _line(name: str) -> Any:
    """The first golden line of a file, its annotation placeholders ({ANN.x}) shown as a note."""
    first = (GOLDEN / name).read_text().splitlines()[0]
    return orjson.loads(re.sub(r"\{ANN\.[a-z_]+\}", ANNOTATIONS, first))


def _annotations(name: str) -> Any:
    return orjson.loads((GOLDEN / "annotations" / f"{name}.json").read_text())


def _released() -> list[Any]:
    return [orjson.loads(line) for line in (GOLDEN / "labelbox" / "released.ndjson").read_text().splitlines()]


def _labels(line: Any) -> Iterator[Any]:
    for project in line["projects"].values():
        yield from project["labels"]


def _by_kind(released: list[Any]) -> dict[str, Any]:
    """One object of each annotation kind: the golden catalog's, then the real samples' for the kinds it lacks."""
    image = _annotations("image")
    kinds = {obj["annotation_kind"]: obj for obj in image["objects"]}
    for line in released:
        for label in _labels(line):
            for obj in label["annotations"].get("objects", []):
                kinds.setdefault(obj["annotation_kind"], obj)
    return kinds


def blocks() -> dict[str, str]:
    released = _released()
    image = _annotations("image")
    kinds = _by_kind(released)
    radio, checklist, text = image["classifications"]
    conversation = next(lab for line in released for lab in _labels(line) if "message_id" in str(lab["annotations"]))
    model_run = next(line for line in released if line["experiments"] and not line["projects"])
    out = {
        "labelbox-line": _json(_line("everything.ndjson")),
        "beta-line": _json(_line("everything_2023_beta.ndjson")),
        "radio": _json(radio),
        "checklist": _json(checklist),
        "free-text": _json(text),
        "relationship": _json(image["relationships"][0]),
        "video": _json(_annotations("video")),
        "message-classification": _json(conversation["annotations"]["classifications"][0]),
        "model-run-line": _json(model_run),
    }
    for kind in ("ImageBoundingBox", "ImagePolygon", "ImagePolyline", "ImagePoint", "ImageSegmentationMask"):
        out[kind.lower()] = _json(kinds[kind])
    out["textentity"] = _json(kinds["TextEntity"])
    out["conversationaltextentity"] = _json(kinds["ConversationalTextEntity"])
    return out


def render(page: str) -> str:
    made = blocks()
    return BLOCK.sub(lambda m: m.group(1) + made[m.group("name")] + m.group(4), page)


if __name__ == "__main__":
    text = PAGE.read_text()
    PAGE.write_text(render(text))
    sys.stdout.write(f"rewrote {len(BLOCK.findall(text))} blocks of {PAGE}\n")
