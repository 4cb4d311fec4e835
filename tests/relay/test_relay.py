"""Relay's pagination accepts our connections: relay-compiler 18 compiles @connection fragments on dataRows and on
every listing against the committed schema.graphql, and PageInfo's four fields say where a page sits."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import httpx

from tests.factory.filters import build_catalog
from tests.utils.node_tools import ROOT, node_tool

LISTINGS = ("datasets", "projects", "models", "metadataSchemas", "ontologies")


def fragment(name: str, field: str, selection: str) -> str:
    return f"""
export const {name} = graphql`
  fragment App_{name} on Query
  @argumentDefinitions(count: {{ type: "Int", defaultValue: 20 }}, cursor: {{ type: "String" }})
  @refetchable(queryName: "{name}PaginationQuery") {{
    {field}(first: $count, after: $cursor) @connection(key: "App_{name}") {{
      edges {{ cursor node {{ {selection} }} }}
    }}
  }}
`;"""


def test_relay_compiler_accepts_connection_on_data_rows_and_listings(tmp_path: Path) -> None:
    compiler = node_tool("relay-compiler", "18", "relay-compiler")
    (tmp_path / "src").mkdir()
    (tmp_path / "generated").mkdir()
    parts = [fragment("dataRows", "dataRows", "id globalKey")]
    parts += [fragment(name, name, "id") for name in LISTINGS]
    (tmp_path / "src" / "App.js").write_text('import { graphql } from "react-relay";\n' + "\n".join(parts))
    config = {"src": "./src", "schema": str(ROOT / "schema.graphql"), "language": "javascript"}
    (tmp_path / "relay.config.json").write_text(json.dumps(config | {"artifactDirectory": "./generated"}))
    done = subprocess.run([str(compiler)], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    made = sorted(p.name for p in (tmp_path / "generated").iterdir())
    assert "dataRowsPaginationQuery.graphql.js" in made and len(made) == 2 * (1 + len(LISTINGS))


PAGE = """query($after: String) {
  dataRows(first: 50, after: $after) {
    edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""
LISTING = """query($after: String) {
  datasets(first: 1, after: $after) {
    edges { cursor node { id } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""


async def pages(client: httpx.AsyncClient, query: str, field: str) -> list[dict]:
    out, after = [], None
    while True:
        body = (await client.post("/graphql", json={"query": query, "variables": {"after": after}})).json()
        page = body["data"][field]
        out.append(page)
        if not page["pageInfo"]["hasNextPage"]:
            return out
        after = page["pageInfo"]["endCursor"]


async def test_page_info_start_and_end_are_the_edges_cursors(client: httpx.AsyncClient, engine, org_id: str) -> None:
    await build_catalog(engine, org_id)
    for query, field, count in ((PAGE, "dataRows", 3), (LISTING, "datasets", None)):
        got = await pages(client, query, field)
        if count is not None:
            assert len(got) == count
        assert len(got) > 1
        for i, page in enumerate(got):
            info, cursors = page["pageInfo"], [e["cursor"] for e in page["edges"]]
            assert info["hasPreviousPage"] is (i > 0)
            assert (info["startCursor"], info["endCursor"]) == (cursors[0], cursors[-1])
        ids = [e["node"]["id"] for page in got for e in page["edges"]]
        assert len(ids) == len(set(ids))
