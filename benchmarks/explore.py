"""How fast the explorer answers a run: one JSON object.

Three figures for a run of ``--replications`` (default 200) of the reference scenario on
``--workers`` processes (default 2), each the median of ``--repeats`` runs on a warm pool:

- ``stream_seconds``: the replications alone (:func:`sim.explore.stream.stream`);
- ``page_work_seconds``: everything the page computes for the run: the stream, every step's
  headline and difference, the charts every two seconds and at the end
  (:class:`sim.explore.views.Steps`, as the page calls it);
- ``browser_seconds`` (with ``--browser``): in headless Chromium, from the click on Run to
  the finished headline, the server being ``blockade explore`` itself.

``load_average`` says how busy the machine was (every figure is wall time).

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

from sim.explore.session import Choice, Engine, Session
from sim.explore.stream import stream
from sim.explore.views import Steps, prepare

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run"]


def _median_seconds(work: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        work()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _page_work(session: Session, choice: Choice) -> None:
    """The page's work for one run: every step as the page computes it."""
    steps = Steps.start(session, choice)
    while steps.next() is not None:
        pass


def _browser_seconds(replications: int, workers: int, repeats: int) -> float | None:
    """Click on Run to the finished headline, in Chromium (None without Chromium)."""
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
            page.goto(found.group(0))
            page.locator(".explore-run button").wait_for(timeout=300_000)
            handle = page.locator(".explore-replications .noUi-handle")
            handle.focus()
            page.keyboard.press("Home")  # 10, then steps of 10
            for _ in range(replications // 10 - 1):
                page.keyboard.press("ArrowRight")
            times = []
            for k in range(repeats):
                t0 = time.perf_counter()
                page.locator(".explore-run button").click()
                done = f".explore-headline[data-status=complete][data-n='{replications}']"
                if k:  # the headline of the run before is complete too: wait for a new one
                    page.locator(".explore-status", has_text="Running").wait_for(timeout=300_000)
                page.locator(done).wait_for(timeout=300_000)
                page.locator(".explore-status", has_text="Finished").wait_for(timeout=300_000)
                times.append(time.perf_counter() - t0)
            browser.close()
        return statistics.median(times)
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.explore", description=__doc__)
    parser.add_argument("--replications", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--browser", action="store_true", help="also time the page in Chromium")
    args = parser.parse_args(argv)
    prepare()
    engine = Engine("processes", args.workers)
    engine.warm()
    try:
        session = Session(engine)
        choice = Choice(replications=args.replications)
        cfg = session.configure(choice)
        stream_s = _median_seconds(
            lambda: list(stream(cfg, args.replications, engine.executor(), every=0.3)),
            args.repeats,
        )
        page_s = _median_seconds(lambda: _page_work(session, choice), args.repeats)
    finally:
        engine.close()
    figures: dict[str, object] = {
        "replications": args.replications,
        "workers": args.workers,
        "stream_seconds": round(stream_s, 2),
        "page_work_seconds": round(page_s, 2),
    }
    if args.browser:
        browser_s = _browser_seconds(args.replications, args.workers, args.repeats)
        figures["browser_seconds"] = None if browser_s is None else round(browser_s, 2)
    figures["load_average"] = [round(x, 2) for x in os.getloadavg()]
    figures["cpus"] = os.cpu_count()
    figures["python"] = platform.python_version()
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
