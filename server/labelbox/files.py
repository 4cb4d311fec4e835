"""Byte and line positions in a finished export stream (a file or an object), as the SDK's exportMetadataHeader and
exportFileFromOffset use them.

The SDK reads a stream as byte ranges [start, end] (inclusive) from `offset` 0 up to totalSize; we answer each
request with the whole rest of the file, which our stream route serves from the matching line.
"""

from __future__ import annotations

from dataclasses import dataclass

from server.errors import bad_input
from server.export.storage import ExportStorage


@dataclass(frozen=True)
class Header:
    total_size: int
    total_lines: int


@dataclass(frozen=True)
class FileSlice:
    offset_start: int
    offset_end: int
    line_start: int
    line_end: int


async def header(storage: ExportStorage, task_id: str, errors: bool, total_lines: int) -> Header | None:
    """Size and line count of a stream; None when it is empty or was never written (the SDK's "no stream")."""
    size = await storage.size(task_id, errors)
    return Header(size, total_lines) if size else None


async def line_at(storage: ExportStorage, task_id: str, errors: bool, offset: int) -> int:
    """The number of the line that starts at byte `offset`; offsets inside a line are refused."""
    newlines, left, last = 0, offset, b""
    if left:
        async for chunk in storage.read(task_id, errors):
            chunk = chunk[:left]
            newlines += chunk.count(b"\n")
            left -= len(chunk)
            last = chunk[-1:]
            if not left:
                break
    if offset and last != b"\n":
        raise bad_input(f"offset {offset} is inside a line; give 0 or where the last answer ended.", "offset")
    return newlines


async def rest_of_stream(storage: ExportStorage, task_id: str, errors: bool, head: Header, offset: int) -> FileSlice:
    """From byte `offset` to the end: its inclusive byte range and line range."""
    if not 0 <= offset < head.total_size:
        raise bad_input(f"offset must be between 0 and {head.total_size - 1}.", "offset")
    first = await line_at(storage, task_id, errors, offset)
    return FileSlice(offset, head.total_size - 1, first, head.total_lines - 1)
