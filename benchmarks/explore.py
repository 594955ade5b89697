"""How fast the explorer answers a run: one JSON object.

Figures for a run of ``--replications`` (default 200) of the reference scenario on
``--workers`` processes (default 2), each the median of ``--repeats`` runs on a warm pool:

- ``stream_seconds``: the replications alone (:func:`sim.explore.stream.stream`);
- ``page_work_seconds``: everything the page computes for the run: the stream, every step's
  headline and difference, the charts when due and at the end
  (:meth:`sim.explore.views.Steps.start`, as the page calls it); ``page_cpu_seconds``: the
  CPU time of this process in it (the workers' not counted: less sensitive to other load);
- ``browser_seconds`` (with ``--browser``): in headless Chromium, from the click on Run to
  the finished run on screen (the status says Finished; the page sends a step's charts and
  status in one message, so they are in too), the server being ``blockade explore`` itself;
  ``browser_first_seconds`` is the first run of a fresh server (what an analyst feels
  first; not in the median).

``load_average`` says how busy the machine was (every figure but the CPU time is wall time).
:func:`explore_figures` is what ``python -m benchmarks`` reports: ``explore_200_seconds`` is
``browser_seconds`` where Chromium is installed, else ``page_work_seconds`` (``explore_200_from``
says which).

    python -m benchmarks.explore [--replications N] [--workers W] [--repeats R] [--browser]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.explore.session import Choice, Session

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"]


def _median_seconds(
    work: Callable[[], object], repeats: int, clock: Callable[[], float] = time.perf_counter
) -> float:
    """Median over ``repeats`` calls of ``work`` of the time ``clock`` says it took."""
    times = []
    for _ in range(repeats):
        t0 = clock()
        work()
        times.append(clock() - t0)
    return statistics.median(times)


def _page_work(session: Session, choice: Choice) -> None:
    """The page's work for one run: every step as the page computes it."""
    from sim.explore.views import Steps

    steps = Steps.start(session, choice)
    while steps.next() is not None:
        pass


def _browser_seconds(replications: int, workers: int, repeats: int) -> list[float] | None:
    """Click on Run to the finished run, in Chromium, per run (None without Chromium)."""
    chromium = shutil.which("chromium")
    if chromium is None:
        return None
    from playwright.sync_api import sync_playwright

    cmd = [sys.executable, "-m", "sim", "explore", "--port", "0", "--workers", str(workers)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        found = re.search(r"http://\S+/", proc.stdout.readline())
        assert found, "blockade explore printed no address"
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1300, "height": 1000})
            _goto(page, found.group(0))
            page.locator(".explore-run button").wait_for(timeout=300_000)
            handle = page.locator(".explore-replications .noUi-handle")
            handle.focus()
            page.keyboard.press("Home")  # 10, then steps of 10
            for _ in range(replications // 10 - 1):
                page.keyboard.press("ArrowRight")
            times = [_click_to_finished(page, replications, k > 0) for k in range(repeats + 1)]
            browser.close()
        return times
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)


def _goto(page: Any, url: str, seconds: float = 60.0) -> None:
    """Open ``url``, again while the server is still starting to listen."""
    from playwright.sync_api import Error

    deadline = time.monotonic() + seconds
    while True:
        try:
            page.goto(url)
            return
        except Error:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def _click_to_finished(page: Any, replications: int, again: bool) -> float:
    """Seconds from a click on Run to the finished run of ``replications`` on the page."""
    t0 = time.perf_counter()
    page.locator(".explore-run button").click()
    done = f".explore-headline[data-status=complete][data-n='{replications}']"
    if again:  # the headline of the run before is complete too: wait for a new one
        page.locator(".explore-status", has_text="Running").wait_for(timeout=300_000)
    page.locator(done).wait_for(timeout=300_000)
    page.locator(".explore-status", has_text="Finished").wait_for(timeout=300_000)
    return time.perf_counter() - t0


def figures(replications: int, workers: int, repeats: int, browser: bool) -> dict[str, Any]:
    """The figures of a run of ``replications`` on ``workers`` processes (see the module)."""
    from sim.explore.session import Choice, Engine, Session
    from sim.explore.stream import stream
    from sim.explore.views import prepare

    prepare()
    engine = Engine("processes", workers)
    engine.warm()
    try:
        session = Session(engine)
        choice = Choice(replications=replications)
        cfg = session.configure(choice)
        stream_s = _median_seconds(
            lambda: list(stream(cfg, replications, engine.executor())), repeats
        )
        page_s = _median_seconds(lambda: _page_work(session, choice), repeats)
        page_cpu = _median_seconds(lambda: _page_work(session, choice), repeats, time.process_time)
    finally:
        engine.close()
    out: dict[str, Any] = {
        "replications": replications,
        "workers": workers,
        "stream_seconds": round(stream_s, 2),
        "page_work_seconds": round(page_s, 2),
        "page_cpu_seconds": round(page_cpu, 2),
    }
    if browser:
        times = _browser_seconds(replications, workers, repeats)
        out["browser_first_seconds"] = None if times is None else round(times[0], 2)
        out["browser_seconds"] = None if times is None else round(statistics.median(times[1:]), 2)
    out["load_average"] = [round(x, 2) for x in os.getloadavg()]
    out["cpus"] = os.cpu_count()
    out["python"] = platform.python_version()
    return out


def explore_figures(repeats: int) -> dict[str, Any]:
    """The explorer's figures for ``python -m benchmarks``: ``explore_200_seconds`` (the
    median click-to-finished time of a 200-replication run on 2 workers) and the rest."""
    out = figures(200, 2, repeats, browser=shutil.which("chromium") is not None)
    browser = out.get("browser_seconds")
    out["explore_200_seconds"] = browser if browser is not None else out["page_work_seconds"]
    out["explore_200_from"] = "browser" if browser is not None else "page_work"
    return out


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.explore", description=__doc__)
    parser.add_argument("--replications", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--browser", action="store_true", help="also time the page in Chromium")
    args = parser.parse_args(argv)
    out = figures(args.replications, args.workers, args.repeats, args.browser)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
