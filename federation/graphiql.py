"""The GraphiQL page: a plain HTML template over the vendored build in `static/`."""

from __future__ import annotations

import html
import json
from pathlib import Path
from string import Template

STATIC_DIR = Path(__file__).parent / "static"

_PAGE = Template("""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>$title</title>
  <link rel="stylesheet" href="$assets/graphiql.min.css">
  <style>
    html, body { height: 100%; margin: 0; }
    #graphiql { height: 100vh; }
  </style>
</head>
<body>
  <div id="graphiql">Loading GraphiQL…</div>
  <script src="$assets/react.production.min.js"></script>
  <script src="$assets/react-dom.production.min.js"></script>
  <script src="$assets/graphiql.min.js"></script>
  <script>
    const config = $config;
    const fetcher = GraphiQL.createFetcher({ url: config.endpoint });
    const root = ReactDOM.createRoot(document.getElementById("graphiql"));
    root.render(
      React.createElement(GraphiQL, {
        fetcher,
        defaultQuery: config.defaultQuery,
        defaultEditorToolsVisibility: true,
      }),
    );
  </script>
</body>
</html>
""")

DEFAULT_QUERY = """# The Joined-up gateway.
# The docs (top left) show each field's
# department and data category.
"""


def graphiql_page(
    *,
    endpoint: str,
    assets: str,
    title: str = "Joined-up GraphQL",
    default_query: str = DEFAULT_QUERY,
) -> str:
    """The HTML page that runs GraphiQL against `endpoint`, loading its files from `assets`."""
    config = {"endpoint": endpoint, "defaultQuery": default_query}
    # `</` inside the inline script would end it early.
    script_config = json.dumps(config).replace("</", "<\\/")
    return _PAGE.substitute(
        title=html.escape(title), assets=html.escape(assets), config=script_config
    )
