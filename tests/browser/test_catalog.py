"""The export flow of the spec in the browser: filter and count, pick rows, export with sections and a project,
follow it to COMPLETE and download the same bytes the API gives; a slice export; the pickers' limits; the error
stream; a wrong key; accessibility (axe-core) and the phone layout."""

from __future__ import annotations

from typing import Any

import httpx
from axe_playwright_python.sync_playwright import Axe
from sqlalchemy import select, update

from server.models import Label
from tests.browser.page import ERROR, ROWS, App

EXPORT = """mutation($f: DataRowFilter, $s: ID, $ids: [ID!], $p: ExportParams) {
  exportDataRows(filter: $f, slice: $s, dataRowIds: $ids, params: $p) { id } }"""
TASK = "query($id: ID!) { exportTask(id: $id) { status url errorsUrl } }"
L = Label.__table__.c  # type: ignore[attr-defined]
IMPACTS = {"serious", "critical"}


def api_export(app: App, **variables: Any) -> bytes:
    """The result file of exportDataRows with the same scope and params, through the API."""
    task_id = app.graphql(EXPORT, variables)["exportDataRows"]["id"]
    for _ in range(600):
        task = app.graphql(TASK, {"id": task_id})["exportTask"]
        if task["status"] == "COMPLETE":
            return httpx.get(task["url"]).content
        app.page.wait_for_timeout(50)
    raise AssertionError(f"export {task_id} did not finish")


def run_export(app: App) -> dict[str, str]:
    """Start the dialog's export and wait for its end; the links it shows."""
    app.page.click("#start-export")
    app.page.wait_for_selector(
        "#progress-text[data-status=COMPLETE], #progress-text[data-status=FAILED]", timeout=30_000
    )
    app.shot("export-done")
    links = {}
    for link in ("#download", "#errors-link"):
        if app.page.locator(link).count():
            links[link] = app.page.get_attribute(link, "href") or ""
    return links


def labeled_projects(app: App, row_ids: list[str]) -> set[str]:
    """From SQL: the projects where at least one of the rows has a label."""

    async def read() -> set[str]:
        async with app.live.app.state.engine.connect() as conn:
            stmt = select(L.project_id).where(L.data_row_id.in_(row_ids), L.project_id.is_not(None)).distinct()
            return {r[0] for r in await conn.execute(stmt)}

    return app.live.on_server_loop(read())


def test_the_count_shown_equals_data_rows_total_count(app: App) -> None:
    app.open()
    assert app.page.inner_text("#count") == f"{ROWS} rows match"
    app.shot("all")
    row = app.add_condition("mediaType")
    app.page.select_option(f"{row} select[aria-label='Media type']", "IMAGE")
    row = app.add_condition("annotation")
    app.page.select_option(f"{row} select[aria-label='Annotation class']", "car")
    app.page.fill(f"{row} input[aria-label='Minimum count']", "2")
    app.page.dispatch_event(f"{row} input[aria-label='Minimum count']", "change")
    app.page.wait_for_timeout(300)
    shown = app.wait_count()
    tree = {"and": [{"mediaTypes": ["IMAGE"]}, {"annotation": {"name": "car", "minCount": 2}}]}
    expected = app.total(tree)
    assert shown == expected and 0 < expected < ROWS
    assert app.page.locator("#grid .tile").count() == min(expected, 48)
    app.page.check(f"{row} .not input")
    app.page.wait_for_timeout(300)
    negated = {"and": [{"mediaTypes": ["IMAGE"]}, {"not": {"annotation": {"name": "car", "minCount": 2}}}]}
    assert app.wait_count() == app.total(negated)
    app.shot("filtered")


def test_three_selected_rows_export_the_same_bytes_as_the_api(app: App) -> None:
    app.open()
    boxes = app.page.locator("#grid .tile input[type=checkbox]")
    ids = [boxes.nth(i).get_attribute("data-id") or "" for i in (0, 1, 2)]
    for i in (0, 1, 2):
        boxes.nth(i).check()
    assert app.page.inner_text("#selected-count") == "3 selected"
    app.shot("selected")
    app.page.click("#open-export")
    assert app.page.inner_text("#export-scope") == "3 selected rows"
    app.page.wait_for_selector("#project-picker input", timeout=10_000)
    offered = [i.get_attribute("value") for i in app.page.locator("#project-picker input").all()]
    assert set(offered) == labeled_projects(app, ids) != set()
    for section in ("metadataFields", "labelDetails", "attachments"):
        app.page.check(f"#sections input[value={section}]")
    app.page.check("#with-projects")
    app.page.check(f"#project-picker input[value='{offered[0]}']")
    app.shot("dialog")
    links = run_export(app)
    assert app.page.get_attribute("#progress-text", "data-status") == "COMPLETE"
    downloaded = httpx.get(links["#download"]).content
    params = {"dataRowDetails": True, "metadataFields": True, "labelDetails": True, "attachments": True}
    assert downloaded == api_export(app, ids=ids, p=params | {"projectIds": [offered[0]]})
    assert len(downloaded.splitlines()) == 3
    app.page.click("#close-export")
    app.page.wait_for_selector("#recent .task a", timeout=10_000)
    app.shot("recent")


def test_a_slice_exports_its_rows(app: App) -> None:
    tree = {"mediaTypes": ["TEXT"]}
    made = app.graphql('mutation($f: DataRowFilter!) { createSlice(name: "texts", filter: $f) { id } }', {"f": tree})
    slice_id = made["createSlice"]["id"]
    total = app.total(slice_id=slice_id)
    app.open()
    app.page.click("#show-slices")
    app.page.click("#slices button:has-text('texts')")
    app.page.wait_for_timeout(300)
    assert app.wait_count() == total > 0
    assert app.page.inner_text("#scope") == f"Slice texts, {total} rows"
    assert app.page.locator("#conditions li[data-kind=mediaType]").count() == 1  # the builder shows the saved filter
    app.shot("slice")
    app.page.click("#open-export")
    assert app.page.inner_text("#export-scope") == f"Slice texts, {total} rows"
    app.page.wait_for_selector("#start-export:enabled", timeout=10_000)
    links = run_export(app)
    downloaded = httpx.get(links["#download"]).content
    assert downloaded == api_export(app, s=slice_id, p={"dataRowDetails": True})
    assert len(downloaded.splitlines()) == total


def test_model_run_picker_lists_exactly_the_runs_of_the_selection(app: App) -> None:
    app.open()
    boxes = app.page.locator("#grid .tile input[type=checkbox]")
    ids = [boxes.nth(i).get_attribute("data-id") or "" for i in range(6)]
    for i in range(6):
        boxes.nth(i).check()
    app.page.click("#open-export")
    app.page.wait_for_selector("#start-export:enabled", timeout=10_000)
    offered = {i.get_attribute("value") for i in app.page.locator("#run-picker input").all()}
    runs = app.graphql(
        "query($f: DataRowFilter) { dataRows(filter: $f) { nodes { models { modelRuns { id } } } } }",
        {"f": {"ids": ids}},
    )
    expected = {r["id"] for n in runs["dataRows"]["nodes"] for m in n["models"] for r in m["modelRuns"]}
    assert offered == expected


def test_an_export_with_a_broken_row_shows_its_error_stream(app: App) -> None:
    """A label whose stored JSON is broken: the row goes to the error stream, which the dialog links."""

    async def break_label(value: str | None) -> tuple[str, str, str]:
        async with app.live.app.state.engine.begin() as conn:
            stmt = select(L.id, L.data_row_id, L.annotations, L.project_id).where(L.project_id.is_not(None))
            label = (await conn.execute(stmt.order_by(L.data_row_id.desc()).limit(1))).one()
            stored = update(Label.__table__).where(L.id == label.id)
            await conn.execute(stored.values(annotations=value or label.annotations))
            return label.data_row_id, label.annotations, label.project_id

    row_id, saved, project = app.live.on_server_loop(break_label('{"objects": ['))
    try:
        app.open()
        app.page.click("#open-export")
        app.page.wait_for_selector("#project-picker input", timeout=10_000)
        app.page.check("#with-projects")
        app.page.check(f"#project-picker input[value='{project}']")
        links = run_export(app)
        assert "errors" in app.page.inner_text("#progress-text")
        errors = httpx.get(links["#errors-link"]).json()
        assert errors["data_row_id"] == row_id and errors["error"].startswith("stored JSON of this row is invalid")
    finally:
        app.live.on_server_loop(break_label(saved))


def test_a_wrong_key_says_so(app: App) -> None:
    app.page.goto(app.live.url + "/")
    app.page.fill("#key-input", "ce_not-a-key")
    app.page.click("#key-form button[type=submit]")
    app.page.wait_for_function("document.querySelector('#key-reason').textContent.includes('refused')")
    assert app.page.inner_text("#key-reason") == (
        "The server refused the API key: This API key is unknown or has been revoked. "
        "Send `Authorization: Bearer <key>`; `catalog-export keys create --org NAME` prints a new key."
    )
    app.shot("wrong-key")
    assert app.message() == ("Not signed in: enter an API key.", "alert", ERROR)
    app.page.fill("#key-input", app.live.key)
    app.page.click("#key-form button[type=submit]")
    app.wait_count()
    assert app.message() is None  # the error goes once a request works
    app.problems = [p for p in app.problems if "401 (Unauthorized)" not in p]  # the browser logs the refused request


def test_no_serious_accessibility_violation(app: App) -> None:
    app.open()
    axe = Axe()
    app.wait_media()
    for step in ("catalog", "confirmation", "export-dialog"):
        if step == "confirmation":  # a slice saved: the message box in its success style
            app.add_condition("mediaType")
            app.page.select_option("#conditions > li[data-kind=mediaType] select[aria-label='Media type']", "TEXT")
            app.changed()
            app.page.once("dialog", lambda dialog: dialog.accept("checked by axe"))
            app.page.click("#save-slice")
            app.page.wait_for_selector("#message[data-tone=success]")
        if step == "export-dialog":
            app.page.locator("#grid .tile input[type=checkbox]").first.check()
            app.page.click("#open-export")
            app.page.wait_for_selector("#start-export:enabled", timeout=10_000)
        app.shot(step)
        results = axe.run(app.page)
        serious = [(v["id"], v["impact"]) for v in results.response["violations"] if v["impact"] in IMPACTS]
        assert serious == [], step


def test_phone_width_keyboard_and_layout(app: App) -> None:
    app.page.set_viewport_size({"width": 390, "height": 844})
    app.open()
    assert app.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    app.shot("phone")
    app.page.focus("#grid .tile input[type=checkbox]")
    app.page.keyboard.press("Space")
    assert app.page.inner_text("#selected-count") == "1 selected"
    app.page.keyboard.press("Tab")
    assert app.page.evaluate("document.activeElement.textContent") == "Find similar"


def test_find_similar_and_text_search(app: App) -> None:
    app.open()
    first = app.page.locator("#grid .tile").first.get_attribute("data-id")
    app.page.locator("#grid .tile button.link").first.click()
    app.page.wait_for_function("document.querySelector('#scope').textContent.startsWith('Rows similar')")
    assert app.wait_count() == 48
    assert app.page.locator("#grid .tile").first.get_attribute("data-id") == first  # a row is most similar to itself
    app.shot("similar")
    app.page.click("#show-datasets")
    row = app.add_condition("search")
    app.page.fill(f"{row} input[type=search]", "Osaka")
    app.page.dispatch_event(f"{row} input[type=search]", "change")
    app.page.wait_for_timeout(300)
    tree = {"search": {"query": "Osaka", "mode": "FULL_TEXT"}}
    assert app.wait_count() == app.total(tree) > 0
