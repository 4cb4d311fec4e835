"""Byte and line positions in a finished export file, as the SDK's exportMetadataHeader/exportFileFromOffset use them.

The SDK reads a stream as byte ranges [start, end] (inclusive) from `offset` 0 up to totalSize; we answer each
request with the whole rest of the file, which our stream route serves from the matching line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from server.errors import bad_input

CHUNK = 1024 * 1024


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


def header(path: Path, total_lines: int) -> Header | None:
    """Size and line count of a stream; None when it is empty or was never written (the SDK's "no stream")."""
    size = path.stat().st_size if path.exists() else 0
    return Header(size, total_lines) if size else None


def line_at(path: Path, offset: int) -> int:
    """The number of the line that starts at byte `offset`; offsets inside a line are refused."""
    newlines, left, last = 0, offset, b""
    with path.open("rb") as handle:
        while left:
            chunk = handle.read(min(CHUNK, left))
            if not chunk:
                break
            newlines += chunk.count(b"\n")
            left -= len(chunk)
            last = chunk[-1:]
    if offset and last != b"\n":
        raise bad_input(f"offset {offset} is inside a line; give 0 or where the last answer ended.", "offset")
    return newlines


def rest_of_file(path: Path, head: Header, offset: int) -> FileSlice:
    """From byte `offset` to the end: its inclusive byte range and line range."""
    if not 0 <= offset < head.total_size:
        raise bad_input(f"offset must be between 0 and {head.total_size - 1}.", "offset")
    return FileSlice(offset, head.total_size - 1, line_at(path, offset), head.total_lines - 1)
