"""The GraphiQL page: a plain HTML template over the vendored build in `static/`."""

from __future__ import annotations

import base64
import hashlib
import html
import json
from dataclasses import dataclass
from pathlib import Path
from string import Template

STATIC_DIR = Path(__file__).parent / "static"

_SCRIPT = Template("""
    const config = $config;
    const send = GraphiQL.createFetcher({ url: config.endpoint });
    // Ask for the explanation of every decision; a token without the `explain`
    // scope gets a note instead, so nothing is revealed that it may not see.
    const fetcher = (params, options) =>
      send({ ...params, extensions: { ...(params.extensions || {}), explain: true } }, options);
    const root = ReactDOM.createRoot(document.getElementById("graphiql"));
    root.render(
      React.createElement(GraphiQL, {
        fetcher,
        defaultQuery: config.defaultQuery,
        defaultHeaders: config.defaultHeaders,
        defaultEditorToolsVisibility: true,
      }),
    );
""")

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
  <script>$script</script>
</body>
</html>
""")

DEFAULT_QUERY = """# The Joined-up gateway.
# The docs (top left) show each field's
# department and data category.
#
# Every request names a client and a purpose:
# paste a token into the Headers tab below
# (joinedup token --client universal-credit-service --explain).
# The response's extensions explain each decision.
"""

DEFAULT_HEADERS = """{
  "authorization": "Bearer <token>",
  "joinedup-purpose": "universal-credit-assessment"
}"""


@dataclass(frozen=True)
class Page:
    """The page and the Content-Security-Policy that lets it reach only its own origin."""

    html: str
    content_security_policy: str


def graphiql_page(
    *,
    endpoint: str,
    assets: str,
    title: str = "Joined-up GraphQL",
    default_query: str = DEFAULT_QUERY,
    default_headers: str = DEFAULT_HEADERS,
) -> Page:
    """GraphiQL running against `endpoint`, loading its files from `assets` (same origin)."""
    config = {
        "endpoint": endpoint,
        "defaultQuery": default_query,
        "defaultHeaders": default_headers,
    }
    # `</` inside the inline script would end it early.
    script = _SCRIPT.substitute(config=json.dumps(config).replace("</", "<\\/"))
    page = _PAGE.substitute(title=html.escape(title), assets=html.escape(assets), script=script)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    policy = "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' 'sha256-{digest}'",
            # GraphiQL sets inline styles on its panes.
            "style-src 'self' 'unsafe-inline'",
            "img-src 'self' data:",
            "font-src 'self' data:",
            "connect-src 'self'",
            "frame-ancestors 'none'",
        ]
    )
    return Page(page, policy)
