"""The filter builder in the browser: nested groups (and / or / not), pasted lists of ids or global keys, a project's
batch; each compiles to the DataRowFilter the page sends, the count shown is that filter's dataRows.totalCount, and a
slice saved from the builder reads back into the same tree."""

from __future__ import annotations

from typing import Any

from tests.browser.page import SUCCESS, App

PROJECTS = "{ projects(first: 100) { nodes { id name batches { id name } } } }"
KEYS = "query($f: DataRowFilter) { dataRows(filter: $f, first: 100) { nodes { id globalKey } } }"


def grid_ids(app: App, n: int) -> list[str]:
    boxes = app.page.locator("#grid .tile input[type=checkbox]")
    return [boxes.nth(i).get_attribute("data-id") or "" for i in range(n)]


def a_batch(app: App) -> tuple[str, str, str]:
    """(project id, batch id, batch name) of a batch holding some rows."""
    for project in app.graphql(PROJECTS)["projects"]["nodes"]:
        for batch in project["batches"]:
            if app.total({"project": {"projectId": project["id"], "batchIds": [batch["id"]]}}):
                return project["id"], batch["id"], batch["name"]
    raise AssertionError("the demo catalog has no batch with rows")


def test_nested_groups_compile_to_the_filter_sent(app: App) -> None:
    app.open()
    excluded = grid_ids(app, 3)
    project, batch, batch_name = a_batch(app)
    row = app.add_condition("mediaType")
    app.page.select_option(f"{row} select[aria-label='Media type']", "IMAGE")
    group = app.add_condition("group")
    app.page.select_option(f"{group} > .group-head select[aria-label='Group match']", "or")
    inner = app.add_condition("annotation", group)
    app.page.select_option(f"{inner} select[aria-label='Annotation class']", "car")
    inner = app.add_condition("project", group)
    app.page.select_option(f"{inner} select[aria-label='Project']", project)
    app.page.select_option(f"{inner} select[aria-label='Batch']", label=batch_name)
    negated = "#conditions > li[data-kind=group]:nth-child(3)"
    app.add_condition("group")
    app.page.check(f"{negated} > .group-head .not input")
    ids = app.add_condition("ids", negated)
    app.page.fill(f"{ids} textarea", "\n".join(excluded))
    app.page.dispatch_event(f"{ids} textarea", "change")
    shown = app.changed()
    tree: dict[str, Any] = {
        "and": [
            {"mediaTypes": ["IMAGE"]},
            {
                "or": [
                    {"annotation": {"name": "car", "minCount": 1}},
                    {"project": {"projectId": project, "batchIds": [batch]}},
                ]
            },
            {"not": {"ids": excluded}},
        ]
    }
    assert app.sent_filters("query Panel")[-1] == tree
    assert shown == app.total(tree) > 0
    assert app.page.inner_text(f"{ids} .hint") == "3 listed"
    app.shot("nested")
    app.page.click(f"{negated} > .group-head button[aria-label='Remove Group']")
    assert app.changed() == app.total({"and": tree["and"][:2]})
    assert app.sent_filters("query Panel")[-1] == {"and": tree["and"][:2]}


def test_a_pasted_list_of_ids_or_global_keys(app: App) -> None:
    app.open()
    rows = app.graphql(KEYS, {"f": {"mediaTypes": ["TEXT"]}})["dataRows"]["nodes"][:5]
    row = app.add_condition("ids")
    pasted = ", ".join(r["id"] for r in rows) + "; not-a-row-id\n" + rows[0]["id"]
    app.page.fill(f"{row} textarea", pasted)
    app.page.dispatch_event(f"{row} textarea", "change")
    assert app.changed() == 5
    assert app.sent_filters("query Panel")[-1] == {"ids": [r["id"] for r in rows] + ["not-a-row-id"]}
    assert app.page.inner_text(f"{row} .hint") == "6 listed"
    assert app.page.locator("#grid .tile").count() == 5
    app.page.select_option(f"{row} select[aria-label='Id kind']", "globalKeys")
    app.page.fill(f"{row} textarea", "\n".join(r["globalKey"] for r in rows[:4]))
    app.page.dispatch_event(f"{row} textarea", "change")
    assert app.changed() == 4
    assert app.sent_filters("query Panel")[-1] == {"globalKeys": [r["globalKey"] for r in rows[:4]]}
    shown = {app.page.locator("#grid .tile").nth(i).get_attribute("data-id") for i in range(4)}
    assert shown == {r["id"] for r in rows[:4]}
    app.shot("ids")


def test_a_slice_saved_from_nested_groups_reads_back_unchanged(app: App) -> None:
    app.open()
    group = app.add_condition("group")
    inner = app.add_condition("mediaType", group)
    app.page.select_option(f"{inner} select[aria-label='Media type']", "VIDEO")
    inner = app.add_condition("mediaType", group)
    app.page.select_option(f"{inner} >> nth=1 >> select[aria-label='Media type']", "TEXT")
    app.page.select_option(f"{group} > .group-head select[aria-label='Group match']", "or")
    row = app.add_condition("createdAt")
    app.page.fill(f"{row} input[aria-label='From date']", "2000-01-01")
    app.page.dispatch_event(f"{row} input[aria-label='From date']", "change")
    total = app.changed()
    tree = {
        "and": [
            {"or": [{"mediaTypes": ["VIDEO"]}, {"mediaTypes": ["TEXT"]}]},
            {"createdAt": {"gte": "2000-01-01T00:00:00Z"}},
        ]
    }
    assert app.sent_filters("query Panel")[-1] == tree and total == app.total(tree) > 0
    app.page.once("dialog", lambda dialog: dialog.accept("videos or texts"))
    app.page.click("#save-slice")
    app.page.wait_for_function("document.querySelector('#scope').textContent.startsWith('Slice videos or texts')")
    assert app.changed() == total
    assert app.message() == ("Saved as slice videos or texts.", "status", SUCCESS)
    assert app.page.inner_text("#scope") == f"Slice videos or texts, {total} rows"  # not "(edited)"
    assert app.page.locator("#conditions > li[data-kind=group] > ol > li[data-kind=mediaType]").count() == 2
    assert app.page.input_value("#conditions > li[data-kind=group] select[aria-label='Group match']") == "or"
    assert app.sent_filters("query Panel")[-1] is None  # the slice is sent by id
    app.shot("slice")


def test_the_keyboard_keeps_its_place_while_the_builder_redraws(app: App) -> None:
    """Each edit redraws the builder: the control edited from the keyboard keeps the focus, in a nested group too."""
    app.open()
    group = app.add_condition("group")
    inner = app.add_condition("mediaType", group)
    app.changed()
    app.page.focus(f"{inner} select[aria-label='Media type']")
    for media in ("IMAGE", "VIDEO"):
        app.page.keyboard.press("ArrowDown")
        shown = app.changed()
        assert app.page.evaluate("document.activeElement.getAttribute('aria-label')") == "Media type"
        assert app.sent_filters("query Panel")[-1] == {"mediaTypes": [media]} and shown == app.total(
            {"mediaTypes": [media]}
        )
    app.page.keyboard.press("Shift+Tab")
    assert app.page.evaluate("document.activeElement.getAttribute('aria-label')") == "not"
    app.page.keyboard.press("Space")
    assert app.changed() == app.total({"not": {"mediaTypes": ["VIDEO"]}})
    assert app.page.evaluate("document.activeElement.getAttribute('aria-label')") == "not"


def test_a_slice_saved_through_the_api_shows_in_the_builder(app: App) -> None:
    """Several conditions in one object hold together: the builder shows them as conditions of an "all of" group,
    with a nested "any of" group and a negation, and sends the slice as saved until it is edited."""
    tree = {
        "mediaTypes": ["IMAGE"],
        "or": [{"annotation": {"name": "car", "minCount": 2}}, {"metadata": {"name": "tag", "eq": "downtown"}}],
        "not": {"annotation": {"name": "car", "minCount": 4}},
    }
    query = 'mutation($f: DataRowFilter!) { createSlice(name: "api slice", filter: $f) { id } }'
    slice_id = app.graphql(query, {"f": tree})["createSlice"]["id"]
    total = app.total(slice_id=slice_id)
    app.open()
    app.page.click("#show-slices")
    app.page.click("#slices button:has-text('api slice')")
    assert app.changed() == total > 0
    assert app.page.inner_text("#scope") == f"Slice api slice, {total} rows"
    kinds = app.page.eval_on_selector_all("#conditions > li", "items => items.map(i => i.dataset.kind)")
    assert sorted(kinds) == ["annotation", "group", "mediaType"]  # in the order the server keeps the keys
    assert app.page.is_checked("#conditions > li[data-kind=annotation] .not input")
    assert app.sent_filters("query Panel")[-1] is None  # sent by id, as saved
    inner = "#conditions > li[data-kind=group] > ol > li"
    assert app.page.eval_on_selector_all(inner, "items => items.map(i => i.dataset.kind)") == ["annotation", "metadata"]
    app.page.select_option("#conditions > li[data-kind=mediaType] select[aria-label='Media type']", "VIDEO")
    edited = app.changed()
    assert app.page.inner_text("#scope") == f"Slice api slice (edited), {edited} rows"
    sent = app.sent_filters("query Panel")[-1]
    assert {"mediaTypes": ["VIDEO"]} in sent["and"] and edited == app.total(sent)
    app.page.click("#update-slice")
    app.page.wait_for_function("document.querySelector('#message').textContent === 'Slice api slice saved.'")
    assert app.changed() == edited
    assert app.message() == ("Slice api slice saved.", "status", SUCCESS)  # still there once counted again
    assert app.page.inner_text("#scope") == f"Slice api slice, {edited} rows"  # the edits are the slice now
    saved = {s["id"]: s["filter"] for s in app.graphql("{ slices { id filter } }")["slices"]}[slice_id]
    assert app.total(saved) == edited and app.sent_filters("query Panel")[-1] is None


def test_nested_groups_fit_a_phone_screen(app: App) -> None:
    app.page.set_viewport_size({"width": 390, "height": 844})
    app.open()
    project, _, batch_name = a_batch(app)
    group = app.add_condition("group")
    inner = app.add_condition("group", group)
    row = app.add_condition("project", inner)
    app.page.select_option(f"{row} select[aria-label='Project']", project)
    app.page.select_option(f"{row} select[aria-label='Batch']", label=batch_name)
    app.add_condition("ids", inner)
    app.changed()
    app.shot("phone-groups")
    assert app.page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
