"""``blockade explore`` in a real browser: Debian's Chromium driven by Playwright.

The server is the command itself, on a free port of 127.0.0.1. The page is loaded, a run
made, a lever moved and a second run made: the headline must change the way the lever says
(no boarding teams, a smaller export decline), the paired difference must appear, a range
the config refuses must show as one line, and the screenshot must not be blank. Playwright's
own browser download is not used: ``executable_path`` is the system's Chromium, and the test
skips (saying so) only where no Chromium is installed.
"""

from __future__ import annotations

import io
import os
import re
import select
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pytest
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Chromium not found (Debian package `chromium`; .ci/run installs it as root)",
)
# Root in a closed network: no sandbox, no GPU, nothing fetched from outside.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
START_SECONDS = 180  # imports and the first workers on a busy 2-core machine
RUN_MS = 240_000
REPLICATIONS = 40  # the slider's minimum (10) and three steps of 10


def _first_line(proc: subprocess.Popen[str], timeout: float) -> str:
    """The first line the server prints (its address), or fail with what it said."""
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    if not ready:
        proc.kill()
        pytest.fail(f"blockade explore printed nothing in {timeout} s")
    line = proc.stdout.readline()
    if not line:
        err = proc.stderr.read() if proc.stderr else ""
        pytest.fail(f"blockade explore exited {proc.wait()}: {err[-2000:]}")
    return line


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [sys.executable, "-m", "sim", "explore", "--port", "0", "--workers", "2"]
    proc = subprocess.Popen(
        cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        line = _first_line(proc, START_SECONDS)
        found = re.search(r"http://127\.0\.0\.1:\d+/", line)
        assert found, line
        yield found.group(0)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _decline(text: str) -> float:
    """The mean export decline (%) at the start of the headline's value."""
    found = re.match(r"\s*(-?[0-9.]+)%", text)
    assert found, text
    return float(found.group(1))


def _press(page, handle: str, *keys: str) -> None:
    """Move a slider from the keyboard, as a person without a mouse would."""
    page.locator(handle).focus()
    for key in keys:
        page.keyboard.press(key)


def _run(page, done: str) -> str:
    """Press Run, wait for ``done`` (a selector) and return the headline's value."""
    page.locator(".explore-run button").click()
    page.locator(done).wait_for(timeout=RUN_MS)
    return page.locator(".explore-main .explore-value").inner_text()


def _not_blank(png: bytes) -> None:
    """Text, table rules and two charts' colours, not an empty or one-colour page."""
    with Image.open(io.BytesIO(png)) as img:
        rgb = np.asarray(img.convert("RGB"))
    assert rgb.shape[0] > 900 and rgb.shape[1] >= 1200
    assert len(np.unique(rgb.reshape(-1, 3), axis=0)) > 500
    assert (rgb.sum(axis=2) < 200).mean() > 0.002  # dark text and lines
    assert rgb.reshape(-1, 3).std(axis=0).min() > 10


def test_the_explorer_runs_moves_a_lever_and_shows_the_difference(url: str, tmp_path: Path) -> None:
    from playwright.sync_api import sync_playwright

    hosts: set[str] = set()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 1000})
            page.on("request", lambda r: hosts.add(urlparse(r.url).hostname or ""))
            page.goto(url)
            page.locator(".explore-run button").wait_for(timeout=RUN_MS)
            _press(page, ".explore-replications .noUi-handle", "Home", *["ArrowRight"] * 3)
            complete = f".explore-headline[data-status=complete][data-n='{REPLICATIONS}']"
            first = _run(page, complete)

            _press(page, ".lever-navy-boarding_teams .noUi-handle", "Home")  # 3 teams -> 0
            second = _run(page, f".explore-diff[data-pairs='{REPLICATIONS}']")
            page.locator(complete).wait_for(timeout=RUN_MS)
            assert second != first
            assert _decline(second) < _decline(first) - 5, (first, second)
            row = page.locator(".explore-diff tr", has_text="Export decline (%)")
            assert row.locator("td").nth(2).inner_text().startswith("-")
            charts = page.locator("img[src^='data:image/png']")
            assert charts.count() >= 2
            assert all(len(charts.nth(i).get_attribute("src") or "") > 10_000 for i in range(2))

            page.locator("select").nth(2).select_option(label="the ranges below")
            detection = ".lever-navy-detection_prob-range"
            page.locator(f"{detection} .noUi-target:not([disabled])").wait_for(timeout=RUN_MS)
            _press(page, f"{detection} .noUi-handle >> nth=1", "End")  # high above 1
            error = page.locator(".explore-error")
            error.wait_for(timeout=RUN_MS)
            message = error.inner_text()
            assert message.startswith("uncertain.navy.detection_prob: its high")
            assert "\n" not in message.strip() and "Traceback" not in page.content()

            shot = page.screenshot(path=str(tmp_path / "explore.png"), full_page=True)
        finally:
            browser.close()
    _not_blank(shot)
    assert hosts <= {"127.0.0.1", ""}, hosts  # nothing fetched from outside
