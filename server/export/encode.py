"""The one NDJSON encoder of export lines (worker and CLI): orjson with spliced fragments, broken rows to errors."""

from __future__ import annotations

from dataclasses import dataclass

import orjson

from server.loading.assemble import Line
from server.loading.plan import RowPlan

DUMP = orjson.OPT_APPEND_NEWLINE


@dataclass(frozen=True)
class EncodedPage:
    data: bytes
    errors: list[bytes]
    rows: int


def splices_json(plan: RowPlan) -> bool:
    """Whether lines carry stored JSON (orjson.Fragment, spliced unchecked) that must be validated."""
    return plan.media_attributes or plan.metadata_fields or not plan.projects.empty or not plan.models.empty


def error_line(data_row_id: str, error: str) -> bytes:
    return orjson.dumps({"data_row_id": data_row_id, "error": error}, option=DUMP)


def _encode(line: Line) -> bytes | str:
    try:
        return orjson.dumps(line, option=DUMP)
    except (orjson.JSONEncodeError, TypeError) as exc:
        return f"could not encode the row: {exc}"


def _check(encoded: bytes) -> bytes | str:
    try:
        orjson.loads(encoded)
    except orjson.JSONDecodeError as exc:
        return f"stored JSON of this row is invalid: {exc}"
    return encoded


def _page_is_valid(encoded: list[bytes | str]) -> bool:
    """One parse of the whole page (as a JSON array); only a failing page is checked line by line."""
    good = [e for e in encoded if isinstance(e, bytes)]
    try:
        orjson.loads(b"[" + b",".join(good) + b"]")
    except orjson.JSONDecodeError:
        return False
    return True


def encode_page(lines: list[Line], validate: bool) -> EncodedPage:
    """NDJSON bytes of the page; each row that cannot be written gives an error line and is left out."""
    encoded = [_encode(line) for line in lines]
    if validate and not _page_is_valid(encoded):
        encoded = [_check(e) if isinstance(e, bytes) else e for e in encoded]
    data = [e for e in encoded if isinstance(e, bytes)]
    errors = [
        error_line(line["data_row"]["id"], e) for line, e in zip(lines, encoded, strict=True) if isinstance(e, str)
    ]
    return EncodedPage(b"".join(data), errors, len(data))
