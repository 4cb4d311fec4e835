"""GraphiQL served from this server alone: the page, and its assets from an installed package (no CDN at run time).

The assets (React, ReactDOM, GraphiQL and its CSS, the explorer plugin, graphql-ws) come from the PyPI package
`graphene-django-graphiql-static`, installed with the project; it ships the files and nothing else we use (no Django
import happens). They are mounted at ASSETS_PATH; the page below names only those local routes.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

import orjson
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

ASSETS_PACKAGE = "graphene_django_graphiql_static"
ASSETS_PATH = "/graphiql/assets"
ASSET_FILES = (
    "react.production.min.js",
    "react-dom.production.min.js",
    "graphiql.min.js",
    "graphiql.min.css",
    "graphiql-plugin-explorer.umd.js",
    "style.css",
    "graphql-ws.min.js",
)

PAGE = """<!doctype html>
<html>
<head>
  <meta charset="utf-8">
  <title>catalog-export GraphiQL</title>
  <link rel="icon" href="data:,">
  <style>html, body, #graphiql { height: 100%; margin: 0; overflow: hidden; width: 100%; }</style>
  <link rel="stylesheet" href="@ASSETS@/graphiql.min.css">
  <link rel="stylesheet" href="@ASSETS@/style.css">
  <script src="@ASSETS@/react.production.min.js"></script>
  <script src="@ASSETS@/react-dom.production.min.js"></script>
  <script src="@ASSETS@/graphiql.min.js"></script>
  <script src="@ASSETS@/graphql-ws.min.js"></script>
  <script src="@ASSETS@/graphiql-plugin-explorer.umd.js"></script>
</head>
<body>
  <div id="graphiql">Loading GraphiQL…</div>
  <script>
    const url = window.location.href.split("?")[0].split("#")[0];
    const socket = new URL(url);
    socket.protocol = socket.protocol === "https:" ? "wss:" : "ws:";
    const fetcher = GraphiQL.createFetcher({ url, subscriptionUrl: socket.toString() });
    const headers = @HEADERS@;
    const shownHeaders = Object.keys(headers).length ? JSON.stringify(headers, null, 2) : undefined;
    function Page() {
      const [query, setQuery] = React.useState(@QUERY@);
      const explorer = GraphiQLPluginExplorer.useExplorerPlugin({ query, onEdit: setQuery, showAttribution: false });
      return React.createElement(GraphiQL, {
        fetcher,
        plugins: [explorer],
        query,
        onEditQuery: setQuery,
        headers: shownHeaders,
        defaultHeaders: shownHeaders,
        isHeadersEditorEnabled: true,
        shouldPersistHeaders: false,
        defaultEditorToolsVisibility: shownHeaders ? "headers" : true,
        inputValueDeprecation: true,
      });
    }
    ReactDOM.render(React.createElement(Page), document.getElementById("graphiql"));
  </script>
</body>
</html>
"""

DEFAULT_QUERY = """# Run: the play button or Ctrl-Enter.
# Fields and filters: the Explorer and Docs (left).
query FirstRows {
  dataRows(first: 5, filter: { mediaTypes: [IMAGE] }) {
    totalCount
    nodes { id globalKey rowData metadataFields { schemaName value } }
  }
}
"""


def assets_directory() -> Path:
    return Path(str(files(ASSETS_PACKAGE).joinpath("static", ASSETS_PACKAGE)))


def assets_mount() -> Mount:
    return Mount(ASSETS_PATH, StaticFiles(directory=assets_directory()), name="graphiql-assets")


def _script_json(value: object) -> str:
    """JSON safe inside a <script> element (no `</script>` can close it early)."""
    return orjson.dumps(value).decode().replace("</", "<\\/")


def graphiql_page(headers: dict[str, str]) -> str:
    """The page, with `headers` shown (and sent) in GraphiQL's Headers tab."""
    page = PAGE.replace("@ASSETS@", ASSETS_PATH).replace("@QUERY@", _script_json(DEFAULT_QUERY))
    return page.replace("@HEADERS@", _script_json(headers))
