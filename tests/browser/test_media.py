"""The demo catalog renders offline: every image and every video poster of the grid loads from the server itself
(the browser refuses any other host), and a video tile shows its frame count."""

from __future__ import annotations

import re

from tests.browser.conftest import App

LOADED = """() => [...document.querySelectorAll('#grid .tile svg.media')].length > 0 &&
  [...document.querySelectorAll('#grid .tile svg.media')].every(m => m.dataset.media === 'loaded')"""
HREFS = "images => images.map(i => i.getAttribute('href'))"


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
