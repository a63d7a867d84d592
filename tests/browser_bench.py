"""Click → redrawn graph in headless Chromium: `python -m tests.browser_bench [--clicks 20]`.

Starts the app on a free loopback port, opens Cora, then clicks drawn nodes (random ones, and
Cora's hub, node 1358) in the default view, the computation graph, and times each click until
the chart shows the new centre (`median_s`, `hub_median_s`), until the "Why this prediction?"
view below it names the new node (`why_median_s`), and until the app is idle. Then it clicks
panels of the heads grid and times the redraw with the new head selected (`heads_grid_median_s`).
Prints medians and p95 in seconds.
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
    CHART,
    FIND_JS,
    PANEL_JS,
    TITLE_JS,
    cpu_seconds,
    require_chromium,
    streamlit_server,
    wait_for_app,
)

# The "Why?" view's headline names node n.
WHY_JS = """n => [...document.querySelectorAll('[data-testid=stMarkdownContainer]')]
    .some(m => (m.textContent || '').startsWith(`Node ${n} (`))"""
SELECTED_JS = """label => [...document.querySelectorAll('[data-testid=stPlotlyChart] .annotation-text')]
    .some(a => (a.textContent || '').includes(`head ${label} (selected)`))"""


URL_NODE_JS = "() => new URLSearchParams(location.search).get('node')"


def click_and_time(page, node: int, x: float, y: float) -> tuple[float, float]:
    """(seconds until the graph shows the clicked node, until the Why view names it). On a
    crowded ring (the hub's 168 neighbours, markers 5 px apart) plotly may pick the marker next
    to the one aimed at: the node timed is the one the page centred."""
    before = page.evaluate(URL_NODE_JS)
    page.mouse.move(x, y)
    page.wait_for_timeout(100)
    start = time.perf_counter()
    page.mouse.click(x, y)
    page.wait_for_function(
        "b => new URLSearchParams(location.search).get('node') !== b", arg=before, timeout=60_000, polling=20
    )
    node = int(page.evaluate(URL_NODE_JS))
    page.wait_for_function(TITLE_JS, arg=node, timeout=60_000, polling=20)
    graph = time.perf_counter() - start
    page.wait_for_function(WHY_JS, arg=node, timeout=60_000, polling=20)
    why = time.perf_counter() - start
    wait_for_app(page)
    page.wait_for_selector(CHART)
    return graph, why


def heads_grid_clicks(page, url: str, clicks: int, node: int) -> list[float]:
    """Click → the heads grid of `node` redrawn with that head selected."""
    page.goto(f"{url}/?node={node}&mode=heads+grid")
    wait_for_app(page)
    times = []
    for i in range(clicks):
        label = str(1 + i % 8)
        if i % 8 == 0 and i:  # the first head is selected already after 8 clicks: go via the mean
            label = "mean"
        x, y = page.evaluate(PANEL_JS, label)
        page.mouse.move(x, y)
        page.wait_for_timeout(100)
        start = time.perf_counter()
        page.mouse.click(x, y)
        page.wait_for_function(SELECTED_JS, arg=label, timeout=60_000, polling=20)
        times.append(time.perf_counter() - start)
        wait_for_app(page)
    return times


# The neighbourhood chart is drawn (its title names a node).
TITLE_JS_ANY = """() => [...document.querySelectorAll('[data-testid=stPlotlyChart] .gtitle')]
    .some(t => /node \\d+:/.test(t.textContent || ''))"""


def _cold_start(page, script: str) -> tuple[float, float]:
    """(seconds from starting the server, from opening the page) until `script`'s first chart."""
    started = time.perf_counter()
    with streamlit_server(script=script) as url:
        opened = time.perf_counter()
        page.goto(url)
        page.wait_for_selector(CHART, timeout=120_000)
        done = time.perf_counter()
    return done - started, done - opened


def run(clicks: int = 20, seed: int = 0) -> dict[str, object]:
    rng = random.Random(seed)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=require_chromium(), headless=True, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        reference = _cold_start(page, "tests/apps/minimal_plotly.py")[1]  # the same machine, now
        started = time.perf_counter()
        with streamlit_server(with_pid=True) as (url, pid):
            opened = time.perf_counter()
            page.goto(url)  # cold: the server has imported nothing of torch or the model yet
            page.get_by_text("GAT Attention Explorer").first.wait_for(timeout=60_000)
            title = time.perf_counter() - opened
            page.wait_for_function(TITLE_JS_ANY, timeout=120_000, polling=20)
            cold_start = time.perf_counter() - started
            first_graph = time.perf_counter() - opened
            wait_for_app(page)
            times, hub_times, why_times, cpu = _clicks(page, url, clicks, rng, pid)
            grid_times = heads_grid_clicks(page, url, max(4, clicks // 3), 33)  # 5 neighbours
            hub_grid_times = heads_grid_clicks(page, url, max(4, clicks // 3), 1358)
        browser.close()
    every = times + hub_times

    def q95(v: list[float]) -> float:
        return sorted(v)[max(0, round(0.95 * len(v)) - 1)]

    return {
        "title_after_opening_s": round(title, 2),
        "first_graph_after_opening_s": round(first_graph, 2),
        "minimal_app_first_chart_s": round(reference, 2),
        "first_graph_ratio": round(first_graph / reference, 2),
        "cold_start_s": round(cold_start, 2),
        "clicks": len(every),
        "median_s": round(statistics.median(every), 3),
        "p95_s": round(q95(every), 3),
        "hub_clicks": len(hub_times),
        "hub_median_s": round(statistics.median(hub_times), 3) if hub_times else None,
        "why_median_s": round(statistics.median(why_times), 3),
        "why_p95_s": round(q95(why_times), 3),
        "heads_grid_clicks": len(grid_times),
        "heads_grid_median_s": round(statistics.median(grid_times), 3),
        "hub_heads_grid_median_s": round(statistics.median(hub_grid_times), 3),
        # CPU seconds per click: what one click costs the server, and the browser drawing it
        # (on a class's own machines, not the server's).
        "cpu_per_click_s": {k: round(v / len(every), 3) for k, v in cpu.items()},
    }


def _clicks(
    page, url: str, clicks: int, rng: random.Random, pid: int
) -> tuple[list[float], list[float], list[float], dict[str, float]]:
    times: list[float] = []
    hub_times: list[float] = []
    why_times: list[float] = []
    page.goto(f"{url}/?node=1358")
    wait_for_app(page)
    page.wait_for_selector(CHART)
    before = cpu_seconds(pid)
    for i in range(clicks):
        if i % 4 == 3:  # every 4th click goes back to the hub, the heaviest view
            hub = page.evaluate(FIND_JS, 1358)
            if hub:
                graph, why = click_and_time(page, 1358, hub[0][1], hub[0][2])
                hub_times.append(graph)
                why_times.append(why)
                continue
        points = [q for q in page.evaluate(FIND_JS, None) if q[3] == 1] or page.evaluate(FIND_JS, None)
        node, x, y, _ = rng.choice(points)
        graph, why = click_and_time(page, int(node), x, y)
        times.append(graph)
        why_times.append(why)
    after = cpu_seconds(pid)
    return times, hub_times, why_times, {k: after[k] - before[k] for k in ("server", "browser")}


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=20)
    args = parser.parse_args()
    print(json.dumps(run(args.clicks)))
