"""The demo catalog renders offline: every image, video poster and conversation of the grid loads from the server
itself (the browser refuses any other host); a video tile shows its frame count, a conversation its first messages
with the entity spans of its labels marked."""

from __future__ import annotations

import re

import httpx

from tests.browser.page import App

LOADED = """() => [...document.querySelectorAll('#grid .tile svg.media')].length > 0 &&
  [...document.querySelectorAll('#grid .tile svg.media')].every(m => m.dataset.media === 'loaded')"""
CONVERSATIONS = """{ dataRows(filter: {mediaTypes: [CONVERSATIONAL]}, first: 48) {
  nodes { id rowData projects { labels { annotations } } } } }"""
CHATS = """() => [...document.querySelectorAll('#grid .tile .chat')].length > 0 &&
  [...document.querySelectorAll('#grid .tile .chat')].every(c => c.dataset.media === 'loaded')"""
HREFS = "images => images.map(i => i.getAttribute('href'))"
VIDEOS = "{ dataRows(filter: {mediaTypes: [VIDEO]}, first: 3) { nodes { rowData mediaAttributes } } }"
PLAY = """src => new Promise(done => {
  const video = document.createElement('video');
  video.muted = true;
  video.onloadeddata = () => done({width: video.videoWidth, height: video.videoHeight, seconds: video.duration});
  video.onerror = () => done({error: video.error.code});
  video.src = src;
})"""


def test_images_and_video_posters_load_from_the_server(app: App) -> None:
    app.open()
    for media, prefix in (("IMAGE", "/demo-media/images/"), ("VIDEO", "/demo-media/posters/")):
        if not app.page.locator("#conditions > li[data-kind=mediaType]").count():
            app.add_condition("mediaType")
        app.page.select_option("#conditions > li[data-kind=mediaType] select[aria-label='Media type']", media)
        total = app.changed()
        assert total == app.total({"mediaTypes": [media]}) > 0
        tiles = app.page.locator("#grid .tile")
        assert tiles.count() == min(total, 48)
        app.page.wait_for_function(LOADED, timeout=20_000)
        hrefs = app.page.eval_on_selector_all("#grid svg.media image.source", HREFS)
        assert len(hrefs) == tiles.count() and all(h.startswith(prefix) for h in hrefs)
        if media == "VIDEO":
            frames = app.page.locator("#grid .tile .frames").all_inner_texts()
            assert len(frames) == tiles.count() and all(re.fullmatch(r"\d+ frames", f) for f in frames)
        app.shot(media.lower())


def test_the_demo_videos_play_in_the_browser(app: App) -> None:
    """A video row's own file (not only its poster) is served, and Chromium decodes it: the poster's size, as long as
    the row's frame count at 30 frames a second."""
    app.open()
    for row in app.graphql(VIDEOS)["dataRows"]["nodes"]:
        assert row["rowData"].startswith("/demo-media/videos/")
        played = app.page.evaluate(PLAY, row["rowData"])
        frames = row["mediaAttributes"]["frame_count"]
        assert (played.get("width"), played.get("height")) == (192, 108), (row, played)
        assert abs(played["seconds"] * 30 - frames) < 0.01, (row, played)


def test_conversations_show_their_messages_with_entity_spans(app: App) -> None:
    """Each conversation tile shows its first messages as the served chat holds them, and marks exactly the spans its
    labels locate in them."""
    app.open()
    app.add_condition("mediaType")
    app.page.select_option("#conditions > li[data-kind=mediaType] select[aria-label='Media type']", "CONVERSATIONAL")
    total = app.changed()
    assert total == app.total({"mediaTypes": ["CONVERSATIONAL"]}) > 0
    app.page.wait_for_function(CHATS, timeout=20_000)
    rows = app.graphql(CONVERSATIONS)["dataRows"]["nodes"]
    marked = 0
    for row in rows:
        tile = app.page.locator(f"#grid .tile[data-id='{row['id']}'] .chat")
        messages = httpx.get(app.live.url + row["rowData"]).json()["messages"][:4]
        assert tile.locator("p").all_inner_texts() == [f"{m['user']['name']}: {m['content']}" for m in messages]
        spans = set()
        for project in row["projects"]:
            for label in project["labels"]:
                for entity in label["annotations"].get("objects", []):
                    where = entity["conversational_location"]
                    content = next((m["content"] for m in messages if m["messageId"] == where["message_id"]), None)
                    if content is not None:
                        location = where["location"]
                        spans.add((entity["name"], content[location["start"] : location["end"] + 1]))
        shown = tile.locator("mark").evaluate_all("marks => marks.map(m => [m.title, m.textContent])")
        assert {tuple(m) for m in shown} <= spans and (not spans or shown), (shown, spans)
        marked += len(shown)
    assert len(rows) == min(total, 48) and marked > 0
    app.shot("conversations")
