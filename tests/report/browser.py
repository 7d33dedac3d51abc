"""The report opened from file:// in Debian's headless Chromium (no browser download), recording
console errors and every request the page makes. Shared by the browser test,
`python -m tests.report.screenshots` and `bench/bench_report.py`."""

from __future__ import annotations

import contextlib
import io
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image
from playwright.sync_api import Page, sync_playwright

CHROMIUM = "/usr/bin/chromium"
# Chromium without its phoning home (updates, sync, field trials), so that every request left is the page's.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
WIDTH = 1200


@dataclass
class OpenedReport:
    page: Page
    console_errors: list[str] = field(default_factory=list)
    outside_requests: list[str] = field(default_factory=list)


@contextlib.contextmanager
def open_report(path: Path, height: int = 900) -> Iterator[OpenedReport]:
    """The report at `path` loaded (every chart drawn) in a fresh Chromium profile."""
    url = path.resolve().as_uri()
    with sync_playwright() as playwright, tempfile.TemporaryDirectory(prefix="chromium_profile_") as profile:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": WIDTH, "height": height},
        )
        try:
            page = context.pages[0] if context.pages else context.new_page()
            opened = OpenedReport(page)
            page.on("console", lambda m: opened.console_errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda error: opened.console_errors.append(str(error)))
            page.on(
                "request",
                lambda r: (
                    None
                    if r.url == url or r.url.startswith(("data:", "blob:"))
                    else opened.outside_requests.append(r.url)
                ),
            )
            page.goto(url, wait_until="load")
            # every figure element has become a drawn Plotly chart
            page.wait_for_function(
                "Array.from(document.querySelectorAll('script[data-figure]')).every("
                "s => document.getElementById(s.dataset.figure)._fullLayout)",
                timeout=60_000,
            )
            yield opened
        finally:
            context.close()


def distinct_colours(png: bytes) -> int:
    """How many colours a screenshot holds (a blank or single-colour area has one or two)."""
    image = Image.open(io.BytesIO(png)).convert("RGB")
    return len(image.getcolors(maxcolors=image.width * image.height))
