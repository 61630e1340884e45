"""The OBS overlay in headless Chromium against ``timao up --demo``: the demo room's events appear on the overlay
pages opened with a read-only key, the API token is nowhere in what the page loads, and a revoked key is refused
(the open page is cut off at once, and opening it again gets 403)."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, Response, sync_playwright

from tests.e2e.harness import PROJECT_ROOT, Suite

pytestmark = pytest.mark.e2e

CHROMIUM = os.environ.get("TIMAO_TEST_CHROMIUM", "/usr/bin/chromium")
DIST = PROJECT_ROOT / "frontend" / "dist"


def _rows(page: Page, selector: str) -> int:
    return int(page.eval_on_selector_all(selector, "els => els.length"))


def wait_js(page: Page, expression: str, timeout: float) -> None:
    """Poll ``expression`` from here: Playwright's wait_for_function evaluates strings with eval, which the
    overlay's Content-Security-Policy (no 'unsafe-eval') rightly refuses."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"not true in {timeout}s: {expression}")
        time.sleep(0.2)


def test_overlay_pages_show_demo_events_hold_no_token_and_refuse_a_revoked_key(tmp_path: Path) -> None:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} missing: make test installs chromium (scripts/install-test-deps.sh)")
    assert (DIST / "overlay.html").is_file(), "the UI is not built: run scripts/build-ui.sh"
    suite = Suite(tmp_path / "home", demo=True).start()
    try:
        suite.wait_running(timeout=120)
        made = httpx.post(suite.base_url + "/api/overlay/keys", headers=suite.auth, json={"name": "演示"}, timeout=10)
        assert made.status_code == 201, made.text
        key: str = made.json()["key"]
        urls: dict[str, str] = {k: v.replace(":9019", f":{suite.gateway_port}") for k, v in made.json()["urls"].items()}
        assert key != suite.token and suite.token not in str(made.json()["urls"])
        # Styles are saved with the key: a small one for this test.
        style = {"rows": 5, "fade_s": 0, "events": ["chat", "gift", "follow", "fansclub", "member"]}
        assert httpx.put(
            f"{suite.base_url}/api/overlay/keys/{key}/style", headers=suite.auth, json=style, timeout=10
        ).is_success

        loaded: list[str] = []
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True)
            try:
                page = browser.new_page(viewport={"width": 800, "height": 450})
                sockets: list[str] = []
                page.on("websocket", lambda ws: sockets.append(ws.url))

                def keep(response: Response) -> None:
                    if response.url.startswith(suite.base_url) and response.ok:
                        loaded.append(response.text())

                page.on("response", keep)

                answer = page.goto(urls["chat"])
                assert answer is not None and answer.status == 200
                # The demo room's comments (and gifts, merged by combo) appear, no more rows than the style says.
                page.wait_for_selector(".ov-row.ov-k-chat", timeout=60_000)
                wait_js(page, "document.querySelectorAll('.ov-row:not(.ov-leave)').length >= 3", 60)
                page.wait_for_selector(".ov-row.ov-k-gift", timeout=90_000)
                assert _rows(page, ".ov-row:not(.ov-leave)") <= 5
                gift_text = page.inner_text(".ov-row.ov-k-gift .ov-text")
                assert gift_text.startswith("送出 ") and "×" in gift_text
                # Transparent, so OBS shows the scene behind it.
                transparent = "getComputedStyle(document.body).backgroundColor"
                assert page.evaluate(transparent) == "rgba(0, 0, 0, 0)"
                assert page.evaluate("getComputedStyle(document.documentElement).backgroundColor") == "rgba(0, 0, 0, 0)"

                # The stats overlay shows the room's viewers.
                page.goto(urls["stats"])
                online = "document.querySelector('[data-stat=\"online\"] .ov-stat-value')"
                wait_js(page, f"!!{online} && /^[0-9.]+万?$/.test({online}.textContent)", 60)

                # The gifts ticker thanks each gift.
                page.goto(urls["gifts"])
                page.wait_for_selector(".ov-row.ov-k-gift", timeout=90_000)
                assert page.inner_text(".ov-row.ov-k-gift .ov-text").startswith("感谢 ")

                # The thank-you board thanks a gift once its combo has ended.
                page.goto(urls["thanks"])
                page.wait_for_selector(".ov-row.ov-k-thanks", timeout=90_000)
                assert page.inner_text(".ov-row.ov-k-thanks .ov-text").startswith("送出 ")

                # The API token is in nothing the overlay loaded: page, scripts, styles, socket addresses.
                everything: Any = [page.content(), *loaded, *sockets]
                assert loaded and all(suite.token not in text for text in everything)
                assert all("/overlay/ws?key=" in url for url in sockets)

                # Revoked: the open page is cut off at once, and the address is refused from then on.
                gone = httpx.delete(f"{suite.base_url}/api/overlay/keys/{key}", headers=suite.auth, timeout=10)
                assert gone.status_code == 200 and gone.json()["closed_streams"] >= 1
                wait_js(page, "document.documentElement.dataset.state === 'refused'", 10)
                assert "撤销" in page.inner_text(".ov-status")
                again = page.goto(urls["chat"])
                assert again is not None and again.status == 403
                assert page.goto(urls["chat"].split("?")[0]).status == 401  # type: ignore[union-attr]
            finally:
                browser.close()
    finally:
        suite.stop()
