"""Click → redrawn graph in headless Chromium: `python -m tests.browser_bench [--clicks 20]`.

Starts the app on a free loopback port, opens Cora, then clicks drawn nodes (random ones, and
Cora's hub, node 1358, with its 2-hop neighbourhood of 426 nodes) and times each click until
the chart shows the new centre and the app is idle. Prints median and p95 in seconds.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import time

from playwright.sync_api import sync_playwright

from tests.browser import (
    ARGS,
    FIND_JS,
    TITLE_JS,
    cpu_seconds,
    require_chromium,
    streamlit_server,
    wait_for_app,
)


def click_and_time(page, node: int, x: float, y: float) -> float:
    page.mouse.move(x, y)
    page.wait_for_timeout(100)
    start = time.perf_counter()
    page.mouse.click(x, y)
    page.wait_for_function(TITLE_JS, arg=node, timeout=60_000)
    wait_for_app(page)
    page.wait_for_selector('[data-testid="stPlotlyChart"] .main-svg')
    return time.perf_counter() - start


def run(clicks: int = 20, seed: int = 0) -> dict[str, object]:
    rng = random.Random(seed)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=require_chromium(), headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        started = time.perf_counter()
        with streamlit_server(with_pid=True) as (url, pid):
            page.goto(url)  # cold: the server has imported nothing of torch or the model yet
            wait_for_app(page)
            page.wait_for_selector('[data-testid="stPlotlyChart"] .main-svg')
            cold_start = time.perf_counter() - started
            times, hub_times, cpu = _clicks(page, url, clicks, rng, pid)
        browser.close()
    every = times + hub_times

    def q95(v: list[float]) -> float:
        return sorted(v)[max(0, round(0.95 * len(v)) - 1)]

    return {
        "cold_start_s": round(cold_start, 2),
        "clicks": len(every),
        "median_s": round(statistics.median(every), 3),
        "p95_s": round(q95(every), 3),
        "hub_clicks": len(hub_times),
        "hub_median_s": round(statistics.median(hub_times), 3) if hub_times else None,
        # CPU seconds per click: what one click costs the server, and the browser drawing it
        # (on a class's own machines, not the server's).
        "cpu_per_click_s": {k: round(v / len(every), 3) for k, v in cpu.items()},
    }


def _clicks(
    page, url: str, clicks: int, rng: random.Random, pid: int
) -> tuple[list[float], list[float], dict[str, float]]:
    times: list[float] = []
    hub_times: list[float] = []
    page.goto(f"{url}/?node=1358&hops=2")
    wait_for_app(page)
    page.wait_for_selector('[data-testid="stPlotlyChart"] .main-svg')
    before = cpu_seconds(pid)
    for i in range(clicks):
        if i % 4 == 3:  # every 4th click goes back to the hub, the heaviest view
            hub = page.evaluate(FIND_JS, 1358)
            if hub:
                hub_times.append(click_and_time(page, 1358, hub[0][1], hub[0][2]))
                continue
        points = [q for q in page.evaluate(FIND_JS, None) if q[3] == 1] or page.evaluate(FIND_JS, None)
        node, x, y, _ = rng.choice(points)
        times.append(click_and_time(page, int(node), x, y))
    after = cpu_seconds(pid)
    return times, hub_times, {k: after[k] - before[k] for k in ("server", "browser")}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=20)
    args = parser.parse_args()
    print(json.dumps(run(args.clicks)))
