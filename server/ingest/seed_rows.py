"""Demo data rows, generated lazily one batch at a time: media, metadata, attachments, embeddings, labels."""

from __future__ import annotations

import struct
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import orjson

from server.ingest import seed_annotations
from server.ingest.seed_annotations import DEMO_MEDIA, Annotate, Shape
from server.ingest.seed_catalog import USERS, Catalog, Layout, Rows, Schema
from server.ingest.seed_labels import RowLabels
from server.ingest.seed_ontology import Seeded
from server.timefmt import iso

ROW_TABLES = (
    "datarow",
    "attachment",
    "metadatavalue",
    "datarowembedding",
    "label",
    "labelfeature",
    "projectdatarow",
    "modelrundatarow",
)
IMAGE_SIZES = ((1920, 1080), (1280, 720), (2560, 1440), (1024, 768))
PEOPLE = ("Alice Smith", "Bob Jones", "Carla Diaz", "Dev Patel", "Emma Brown")
ORGS = ("Acme Corp", "Globex", "Initech", "Umbrella Ltd")
PLACES = ("Berlin", "Lagos", "Osaka", "Lima", "Toronto")
TAGS = ("downtown", "suburb", "highway", "archive", "partner-feed")
Made = tuple[str, dict[str, Any], Shape]


def _image(seeded: Seeded, i: int, layout: Layout) -> Made:
    width, height = seeded.rng.choice(IMAGE_SIZES)
    attrs = {"asset_type": "image", "mime_type": "image/png", "width": width, "height": height}
    return f"{DEMO_MEDIA}/images/street-{i:07d}.png", attrs, Shape(width=width, height=height)


def _video(seeded: Seeded, i: int, layout: Layout) -> Made:
    frames = seeded.rng.randint(*layout.video_frames)
    attrs = {"asset_type": "video", "mime_type": "video/mp4", "width": 1280, "height": 720}
    attrs |= {"frame_rate": 30, "frame_count": frames, "duration": round(frames / 30, 3)}
    # the poster and the video (a still of the poster, as many frames as the row) are made by the server
    attrs["thumbnail_url"] = f"{DEMO_MEDIA}/posters/traffic-{i:07d}.png"
    return f"{DEMO_MEDIA}/videos/traffic-{i:07d}-{frames}.mp4", attrs, Shape(width=1280, height=720, frames=frames)


def _text(seeded: Seeded, i: int, layout: Layout) -> Made:
    rng = seeded.rng
    person, org, place = rng.choice(PEOPLE), rng.choice(ORGS), rng.choice(PLACES)
    body = f"{person} joined {org} in {place} after {rng.randint(2, 20)} years in the industry."
    at_org, at_place = len(person) + 8, len(person) + 8 + len(org) + 4
    # (name, start, end): `end` is the span's last character, as Labelbox counts it
    spans = [("person", 0, len(person) - 1), ("organization", at_org, at_org + len(org) - 1)]
    spans.append(("location", at_place, at_place + len(place) - 1))
    attrs = {"asset_type": "text", "mime_type": "text/plain", "content_length": len(body)}
    return body, attrs, Shape(spans=spans, text=body)


def _conversation(seeded: Seeded, i: int, layout: Layout) -> Made:
    messages = seeded.rng.randint(3, 12)
    attrs = {"asset_type": "conversational", "mime_type": "application/vnd.labelbox.conversational"}
    chat = f"{DEMO_MEDIA}/chats/chat-{i:07d}-{messages}.json"  # served by the server (server.ingest.seed_chats)
    return chat, {**attrs, "message_count": messages}, Shape(messages=messages)


@dataclass(frozen=True)
class MediaKind:
    slug: str
    make: Callable[[Seeded, int, Layout], Made]
    annotate: Annotate
    attachments: tuple[tuple[str, str], ...]  # (type, value template with {i}); the server makes the files


MEDIA: dict[str, MediaKind] = {
    "IMAGE": MediaKind(
        "image",
        _image,
        seed_annotations.image,
        (("IMAGE", DEMO_MEDIA + "/overlays/overlay-{i:07d}.png"), ("RAW_TEXT", "Camera 3, north lane")),
    ),
    "VIDEO": MediaKind(
        "video",
        _video,
        seed_annotations.video,
        (("HTML", DEMO_MEDIA + "/reports/report-{i:07d}.html"), ("TEXT", DEMO_MEDIA + "/notes/note-{i:07d}.txt")),
    ),
    "TEXT": MediaKind(
        "text",
        _text,
        seed_annotations.text_entities,
        (("TEXT", DEMO_MEDIA + "/sources/source-{i:07d}.txt"), ("RAW_TEXT", "Wire copy")),
    ),
    "CONVERSATIONAL": MediaKind(
        "chat",
        _conversation,
        seed_annotations.conversation,
        (("HTML", DEMO_MEDIA + "/transcripts/transcript-{i:07d}.html"),),
    ),
}


Typed = tuple[str | None, Any, Any]  # (typed column, its value, export value)


def _string(seeded: Seeded, schema: Schema) -> Typed:
    tag = seeded.rng.choice(TAGS)
    return "string_value", tag, tag


def _number(seeded: Seeded, schema: Schema) -> Typed:
    score = round(seeded.rng.random() * 100, 2)
    return "number_value", score, score


def _datetime(seeded: Seeded, schema: Schema) -> Typed:
    stamp = seeded.at(days=365)
    return "datetime_value", stamp, iso(stamp)


def _enum(seeded: Seeded, schema: Schema) -> Typed:
    option_id, name = seeded.rng.choice(schema.options)
    return "option_id", option_id, {"schema_id": option_id, "schema_name": name}


def _vector(seeded: Seeded, schema: Schema) -> Typed:
    return None, None, [round(seeded.rng.random() - 0.5, 4) for _ in range(8)]


METADATA_VALUES: dict[str, tuple[float, Callable[[Seeded, Schema], Typed]]] = {  # kind → (share of rows, maker)
    "string": (0.4, _string),
    "number": (0.3, _number),
    "datetime": (0.3, _datetime),
    "enum": (0.6, _enum),
    "embedding": (0.03, _vector),
}
NO_TYPED = {"string_value": None, "number_value": None, "datetime_value": None, "option_id": None}


class RowWriter:
    """Appends one data row and everything hanging off it to the current batch's tables."""

    def __init__(self, cat: Catalog, seeded: Seeded) -> None:
        self.cat, self.seeded, self.rng = cat, seeded, seeded.rng
        self.centers = {media: _centers(index, cat.embeddings) for index, media in enumerate(MEDIA)}

    def write(self, i: int, out: Rows) -> None:
        layout = self.cat.layout
        media = layout.media_cycle[i % len(layout.media_cycle)]
        kind = MEDIA[media]
        row_data, attrs, shape = kind.make(self.seeded, i, layout)
        created = self.seeded.at(days=180)
        row: dict[str, Any] = {
            "organization_id": self.cat.organization_id,
            "id": self.seeded.id(),
            "dataset_id": self.cat.datasets[media],
        }
        keys = {"global_key": layout.global_key, "external_id": layout.external_id}
        row |= {key: template.format(slug=kind.slug, i=i) for key, template in keys.items()} | {"row_data": row_data}
        row |= {"media_type": media, "media_attributes": orjson.dumps(attrs).decode(), "created_at": created}
        row |= {"updated_at": self.seeded.at(created, days=10), "created_by": self.rng.choice(USERS)}
        row["last_activity_at"] = row["updated_at"]  # later when the row is labeled (RowLabels.membership)
        out["datarow"].append(row)
        self.attachments(i, row["id"], kind, out)
        self.metadata(row["id"], out)
        self.embed(row["id"], media, out)
        labels = RowLabels(self.cat, self.seeded, out, row, kind.annotate, shape)
        labels.projects(self.cat.projects.get(media, []))
        labels.model_runs(self.cat.runs.get(media, []))

    def attachments(self, i: int, row_id: str, kind: MediaKind, out: Rows) -> None:
        count = self.rng.choice((0, 0, 1, len(kind.attachments)))
        for position, (type_name, value) in enumerate(kind.attachments[:count]):
            ids = {"id": self.seeded.id(), "organization_id": self.cat.organization_id, "data_row_id": row_id}
            fields = {"type": type_name, "value": value.format(i=i), "name": type_name.lower(), "position": position}
            out["attachment"].append({**ids, **fields})

    def metadata(self, row_id: str, out: Rows) -> None:
        for position, schema in enumerate(self.cat.schemas):
            share, make = METADATA_VALUES[schema.kind]
            if self.rng.random() < share:
                column, typed, value = make(self.seeded, schema)
                fields = {**NO_TYPED, **({column: typed} if column else {}), "value_json": orjson.dumps(value).decode()}
                ids = {"id": self.seeded.id(), "organization_id": self.cat.organization_id, "data_row_id": row_id}
                out["metadatavalue"].append({**ids, "schema_id": schema.id, **fields, "position": position})

    def embed(self, row_id: str, media: str, out: Rows) -> None:
        for (embedding_id, dims), center in zip(self.cat.embeddings, self.centers[media], strict=True):
            values = [c + (self.rng.random() - 0.5) * 0.4 for c in center]
            vector = struct.pack(f"<{dims}f", *values)
            out["datarowembedding"].append(
                {
                    "embedding_id": embedding_id,
                    "data_row_id": row_id,
                    "organization_id": self.cat.organization_id,
                    "vector": vector,
                }
            )


def _centers(media_index: int, spaces: list[tuple[str, int]]) -> list[list[float]]:
    """A fixed cluster center per media type and space, so similarity search finds rows of the same kind."""
    return [[((media_index + 1) * (d + 3)) % 7 / 7 - 0.5 for d in range(dims)] for _, dims in spaces]


def row_batches(cat: Catalog, seeded: Seeded, rows: int, batch_size: int) -> Iterator[Rows]:
    """The rows of every table for data rows [k, k + batch_size), one batch at a time, in insert order."""
    writer = RowWriter(cat, seeded)
    for start in range(0, rows, batch_size):
        out: Rows = {table: [] for table in ROW_TABLES}
        for i in range(start, min(rows, start + batch_size)):
            writer.write(i, out)
        yield out
