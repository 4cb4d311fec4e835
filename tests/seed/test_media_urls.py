"""Every URL a seeded catalog's export holds (row data, video posters, masks, attachments) answers 200 from a real
server with the media its row says, so the demo renders with no storage and no network."""

from __future__ import annotations

import asyncio
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import orjson

from server.settings import Settings
from tests.seed.exports import export_all
from tests.utils.live import live_server

# the folder of /demo-media/<kind>/<name> → the Content-Type it answers with
KINDS = {
    "images": "image/png",
    "posters": "image/png",
    "masks": "image/png",
    "overlays": "image/png",
    "videos": "video/mp4",
    "chats": "application/json",
    "reports": "text/html; charset=utf-8",
    "transcripts": "text/html; charset=utf-8",
    "notes": "text/plain; charset=utf-8",
    "sources": "text/plain; charset=utf-8",
}


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


def urls(line: dict[str, Any]) -> set[str]:
    """Every string of an export line that names a file: a path on the serving host or an absolute URL."""
    row_data = line["data_row"]["row_data"]
    found = {s for s in strings(line) if s.startswith(("/", "http://", "https://"))}
    kept = line["media_attributes"]["mime_type"] != "text/plain"  # a text row's data is the text itself
    return found if kept or not row_data.startswith("/") else found - {row_data}


def mp4_frames(data: bytes) -> int:
    """The sample count of an MP4's only track (its stsz box)."""
    at = data.index(b"stsz")
    return struct.unpack(">I", data[at + 12 : at + 16])[0]


def test_every_url_of_a_seeded_export_answers_from_the_server(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'c.db'}", export_dir=tmp_path / "exports")
    with live_server(settings, rows=120) as live, httpx.Client(base_url=live.url) as http:
        lines = [orjson.loads(line) for line in asyncio.run(export_all(live.settings, seed=1)).splitlines()]
        seen: dict[str, int] = dict.fromkeys(KINDS, 0)
        for line in lines:
            for url in sorted(urls(line)):
                assert url.startswith("/demo-media/"), url
                kind = url.split("/")[2]
                response = http.get(url)
                assert response.status_code == 200, url
                assert response.headers["content-type"] == KINDS[kind] and response.content, url
                seen[kind] += 1
                if kind == "videos":
                    assert line["data_row"]["row_data"] == url
                    assert mp4_frames(response.content) == line["media_attributes"]["frame_count"], url
    assert len(lines) == 120 and all(seen.values()), seen
