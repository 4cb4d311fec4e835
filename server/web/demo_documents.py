"""The demo catalog's attachment documents, made from their names alone: a video's HTML report and text note, a text
row's source, a conversation's HTML transcript (see server.ingest.seed_rows for the names the seed gives them)."""

from __future__ import annotations

import html

TEXTS = {
    "notes": "Camera note for {name}: recorded from the north lane; the light changes halfway through the clip.\n",
    "sources": "Source of {name}: wire copy received from the partner feed, checked against the original.\n",
}
PAGES = {
    "reports": ("Report", "Traffic report for {name}: two lanes, steady flow, no incident recorded."),
    "transcripts": ("Transcript", "Transcript of {name}: the customer's messages and the agent's replies, in turn."),
}


def text(kind: str, name: str) -> bytes:
    return TEXTS[kind].format(name=name).encode()


def page(kind: str, name: str) -> bytes:
    title, body = PAGES[kind]
    escaped = html.escape(name)
    return (
        f'<!doctype html>\n<html lang="en"><meta charset="utf-8"><title>{title} {escaped}</title>\n'
        f"<h1>{title} {escaped}</h1>\n<p>{html.escape(body.format(name=name))}</p>\n</html>\n"
    ).encode()
