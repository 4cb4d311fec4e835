"""The GraphiQL page names only local assets, every one of them is served, and `/` leads to it."""

from __future__ import annotations

import re

import httpx

from server.graphiql import ASSET_FILES, ASSETS_PATH

HTML = {"accept": "text/html"}


async def test_the_page_loads_nothing_from_another_host(client: httpx.AsyncClient) -> None:
    page = (await client.get("/graphql", headers=HTML)).text
    assert re.findall(r"https?://", page) == []
    named = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sorted(named) == sorted([f"{ASSETS_PATH}/{name}" for name in ASSET_FILES] + ["data:,"])


async def test_every_asset_is_served_from_the_installed_package(client: httpx.AsyncClient) -> None:
    for name in ASSET_FILES:
        response = await client.get(f"{ASSETS_PATH}/{name}")
        assert response.status_code == 200, name
        assert len(response.content) > 500, name
    react = (await client.get(f"{ASSETS_PATH}/react.production.min.js")).headers["content-type"]
    assert react.startswith(("text/javascript", "application/javascript"))


async def test_an_unknown_asset_is_a_coded_404(client: httpx.AsyncClient) -> None:
    response = await client.get(f"{ASSETS_PATH}/nope.js")
    assert response.status_code == 404
    assert response.json()["errors"][0]["extensions"] == {"code": "NOT_FOUND"}


async def test_the_root_is_the_catalog_and_leads_to_graphiql(client: httpx.AsyncClient) -> None:
    response = await client.get("/", headers=HTML)
    assert response.status_code == 200 and "<title>Catalog</title>" in response.text
    assert '<a href="/graphql">GraphiQL</a>' in response.text
