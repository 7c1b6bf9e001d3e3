"""GraphiQL in a real browser (Debian's Chromium): type a query, run it, read the result."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.async_api import async_playwright
from starlette.applications import Starlette

from tests.federation.test_app import gateway_app

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
QUERY_EDITOR = ".graphiql-query-editor .CodeMirror"
RESPONSE = "document.querySelector('.graphiql-response .CodeMirror').CodeMirror.getValue()"


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Starlette, str]]:
    with gateway_app() as running:
        yield running


async def test_a_query_typed_in_graphiql_runs_through_the_gateway(
    served: tuple[Starlette, str],
) -> None:
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} is missing: apt-get install -y chromium"
    base = served[1]
    requested: list[str] = []
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            context = await browser.new_context()
            context.on("request", lambda request: requested.append(request.url))
            page = await context.new_page()
            await page.goto(f"{base}/graphql")
            await page.wait_for_selector(QUERY_EDITOR, timeout=30_000)

            await page.click(QUERY_EDITOR)
            await page.keyboard.press("Control+A")
            await page.keyboard.press("Delete")
            # The editor closes brackets itself; typing the closing ones steps over them.
            await page.keyboard.type("{ person(id: 2) { name letters { subject } } }")
            await page.click(".graphiql-execute-button")
            response = page.locator(".graphiql-response .CodeMirror", has_text="Grace Hopper")
            await response.wait_for(timeout=30_000)
            shown = json.loads(await page.evaluate(RESPONSE))

            await page.click("[aria-label='Show Documentation Explorer']")
            await page.click(
                ".graphiql-doc-explorer-root-type a, a.graphiql-doc-explorer-type-name"
            )
            # The docs come from introspection through the gateway, descriptions included.
            await page.wait_for_selector("text=letterCount", timeout=30_000)
            await page.wait_for_selector("text=Department: letters.", timeout=30_000)
        finally:
            await browser.close()

    assert shown == {
        "data": {
            "person": {
                "name": "Grace Hopper",
                "letters": [{"subject": "Pension forecast"}, {"subject": "Tax code notice"}],
            }
        }
    }
    gateway_host = urlsplit(base).netloc
    elsewhere = [
        url
        for url in requested
        if urlsplit(url).scheme not in ("data", "blob") and urlsplit(url).netloc != gateway_host
    ]
    assert requested and elsewhere == []
    assert f"{base}/static/graphiql/graphiql.min.js" in requested
