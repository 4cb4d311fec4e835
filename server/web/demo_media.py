"""Media of the demo catalog, made on request: small deterministic PNGs for the seeded images (a street: sky, road,
a few cars), the posters of the seeded videos (a frame of the same kind of scene) and segmentation masks (a region
of the sky), the videos themselves (MP4s of their poster, as many frames as the row has), the seeded conversations
as Labelbox conversational JSON, and the attachments (overlay PNGs, HTML reports and transcripts, text notes and
sources), so the demo renders with no storage and no network. The seed names them `/demo-media/<kind>/<name>`:
`images/<name>.png`, `posters/<name>.png` (a video's `thumbnail_url` media attribute), `videos/<name>-<frames>.mp4`,
`masks/<name>.png`, `chats/<name>-<messages>.json`, `overlays/<name>.png`, `reports/<name>.html`,
`transcripts/<name>.html`, `notes/<name>.txt` and `sources/<name>.txt`."""

from __future__ import annotations

import hashlib
import re
import struct
import zlib
from functools import lru_cache

import numpy as np
import orjson
from starlette.requests import Request
from starlette.responses import Response

from server.errors import ErrorCode
from server.ingest.seed_annotations import DEMO_MEDIA
from server.ingest.seed_catalog import MOST_FRAMES
from server.ingest.seed_chats import conversational_json
from server.responses import error_response
from server.web.demo_documents import page, text
from server.web.demo_video import still_mp4

PREFIX = DEMO_MEDIA
WIDTH, HEIGHT = 192, 108


def png(pixels: np.ndarray) -> bytes:
    """An RGB (h, w, 3) or grey+alpha (h, w, 2) uint8 array as PNG bytes."""
    height, width, channels = pixels.shape
    color = {3: 2, 2: 4}[channels]
    raw = b"".join(b"\x00" + pixels[y].tobytes() for y in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, color, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b"")


def _rng(name: str) -> np.random.Generator:
    return np.random.default_rng(int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big"))


def street(name: str) -> bytes:
    return png(street_pixels(name))


def street_pixels(name: str) -> np.ndarray:
    rng = _rng(name)
    y = np.arange(HEIGHT)[:, None, None]
    sky = np.array([120, 170, 225]) + (y / HEIGHT) * np.array([60, 50, 20])
    image = np.broadcast_to(sky, (HEIGHT, WIDTH, 3)).copy()
    horizon = int(HEIGHT * rng.uniform(0.45, 0.6))
    image[horizon:] = (90, 92, 96)
    image[horizon + (HEIGHT - horizon) // 2 : horizon + (HEIGHT - horizon) // 2 + 2, ::12] = (235, 235, 235)
    for _ in range(int(rng.integers(1, 4))):
        w, h = int(rng.integers(18, 40)), int(rng.integers(9, 16))
        x, top = int(rng.integers(0, WIDTH - w)), int(rng.integers(horizon, HEIGHT - h))
        image[top : top + h, x : x + w] = rng.integers(30, 230, 3)
    return image.astype(np.uint8)


def mask(name: str) -> bytes:
    rng = _rng(name)
    y, x = np.mgrid[0:HEIGHT, 0:WIDTH]
    cx, cy, rx, ry = rng.uniform(0.2, 0.8) * WIDTH, rng.uniform(0.1, 0.4) * HEIGHT, WIDTH / 3, HEIGHT / 5
    inside = ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1
    out = np.zeros((HEIGHT, WIDTH, 2), np.uint8)
    out[inside] = (255, 255)
    return png(out)


def conversation(name: str) -> bytes:
    return orjson.dumps(conversational_json(name))


def video(name: str) -> bytes:
    """The still video of `name`'s poster (the name without its frame count), as many frames as the name ends with
    (`traffic-0000005-300`)."""
    found = re.fullmatch(r"(.+)-([1-9][0-9]*)", name)
    frames = int(found.group(2)) if found else 0
    if not found or frames > MOST_FRAMES:
        raise ValueError(f"{name}: a video has 1 to {MOST_FRAMES} frames")
    return still_mp4(street_pixels(found.group(1)), frames)


# kind → (file suffix, media type, maker)
KINDS = {
    "images": (".png", "image/png", street),
    "posters": (".png", "image/png", street),
    "masks": (".png", "image/png", mask),
    "chats": (".json", "application/json", conversation),
    "videos": (".mp4", "video/mp4", video),
    "overlays": (".png", "image/png", mask),
    "reports": (".html", "text/html; charset=utf-8", lambda name: page("reports", name)),
    "transcripts": (".html", "text/html; charset=utf-8", lambda name: page("transcripts", name)),
    "notes": (".txt", "text/plain; charset=utf-8", lambda name: text("notes", name)),
    "sources": (".txt", "text/plain; charset=utf-8", lambda name: text("sources", name)),
}


@lru_cache(maxsize=256)
def media(kind: str, name: str) -> bytes:
    return KINDS[kind][2](name)


async def demo_media(request: Request) -> Response:
    kind, name = request.path_params["kind"], request.path_params["name"]
    if kind not in KINDS or not name.endswith(KINDS[kind][0]) or len(name) > 200:
        return error_response(404, ErrorCode.NOT_FOUND, f"{request.url.path}: no such demo media.")
    suffix, media_type, _ = KINDS[kind]
    try:
        body = media(kind, name[: -len(suffix)])
    except ValueError as error:  # a chat's or a video's name without its number of messages or frames
        return error_response(404, ErrorCode.NOT_FOUND, f"{request.url.path}: no such demo media ({error}).")
    return Response(body, media_type=media_type, headers={"Cache-Control": "public, max-age=86400"})
