"""The report in a real browser: headless Chromium (the system's package; Playwright drives
it and downloads nothing) opens the page from a file, as a mail attachment would be opened.

It must load without a console error or a single network request, show every metric with its
value and status, draw its charts, fit a phone's width, and print. Without Chromium the tests
skip locally and fail in CI (the CI variable set), where `.ci/run` installs it."""

from __future__ import annotations

import io
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from metricsmith.present.report import render_report
from metricsmith.present.report.readings import metric_rows
from report_views import monthly_view

#: Chromium's switches for a quiet, private run: no GPU, no QUIC, no first-run screens and
#: none of the background traffic (updates, sync, component downloads) a browser starts alone.
SWITCHES = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1200, "height": 900}
PHONE = {"width": 390, "height": 844}


def _unavailable(reason: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI must run the browser tests: .ci/run installs Chromium)")
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        _unavailable("Chromium is not installed; on Debian: apt-get install chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("Playwright is not installed: pip install -e '.[test]'")
    profile = tmp_path_factory.mktemp("chromium-profile")
    with sync_playwright() as driver:
        context = driver.chromium.launch_persistent_context(
            str(profile), executable_path=chromium, headless=True, args=SWITCHES
        )
        yield context
        context.close()


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    view = monthly_view()
    path = tmp_path_factory.mktemp("report") / "report.html"
    path.write_text(render_report(view), encoding="utf-8")
    return view, path


class Visit:
    """A page opened at a window size, with what it logged and what it asked the network."""

    def __init__(self, browser: Any, path: Path, size: dict[str, int]) -> None:
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page = browser.new_page()
        self.page.set_viewport_size(size)
        self.page.on("console", self._console)
        self.page.on("pageerror", lambda error: self.errors.append(str(error)))
        self.page.on("request", lambda request: self.requests.append(request.url))
        self.page.goto(path.as_uri(), wait_until="load")

    def _console(self, message: Any) -> None:
        if message.type in ("error", "warning"):
            self.errors.append(f"{message.type}: {message.text}")

    def rows(self) -> list[list[str]]:
        return self.page.evaluate(
            "[...document.querySelectorAll('tbody tr')]"
            ".map(r => [...r.cells].map(c => c.innerText.trim()))"
        )

    def overflow(self) -> int:
        """How many pixels wider than the window the page is (0: it fits)."""
        return self.page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )


def _pixels_vary(png: bytes) -> tuple[int, float]:
    """The number of colours in a screenshot, and the share of pixels not the background's."""
    from PIL import Image

    image = Image.open(io.BytesIO(png)).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 20) or []
    background = max(colours)[1] if colours else None
    inked = sum(count for count, colour in colours if colour != background)
    return len(colours), inked / (image.width * image.height)


def test_the_report_loads_offline_and_shows_every_metric(browser, report):
    view, path = report
    visit = Visit(browser, path, DESKTOP)
    assert visit.errors == []
    assert visit.requests == [path.as_uri()]  # the page itself, and nothing else
    shown = {r[0].split("\n")[0]: r for r in visit.rows()}
    names = [name for section in view.sections for name in section.metrics]
    for row in metric_rows(view, names):
        cells = shown[row.metric.label]
        assert row.metric.formatted(row.value) in cells and row.status_text in cells
    assert len(shown) == len(names)
    images = visit.page.evaluate("[...document.images].map(i => i.complete && i.naturalWidth > 0)")
    assert images == [True, True, True]
    assert visit.overflow() == 0
    screenshot = visit.page.screenshot(full_page=True)
    colours, inked = _pixels_vary(screenshot)
    assert colours > 100 and inked > 0.2, (colours, inked)  # text, tables and charts drawn
    visit.page.close()


def test_the_report_fits_a_phone(browser, report):
    _, path = report
    visit = Visit(browser, path, PHONE)
    assert visit.errors == []
    assert visit.overflow() == 0  # wide tables scroll inside their section, not the page
    colours, inked = _pixels_vary(visit.page.screenshot())
    assert colours > 50 and inked > 0.2, (colours, inked)
    visit.page.close()


def test_the_report_prints(browser, report):
    _, path = report
    visit = Visit(browser, path, DESKTOP)
    pdf = visit.page.pdf(prefer_css_page_size=True, print_background=True)
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page\n") + pdf.count(b"/Type/Page") > 0
    visit.page.emulate_media(media="print")
    assert visit.overflow() == 0
    visit.page.close()
