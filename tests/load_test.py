"""A classroom at once: `python -m tests.load_test [--sessions 20] [--seconds 60] [--think 0] [--ramp 0]`.

One server on loopback, one headless Chromium with one page per session. Every session opens
the app on a random node, then until the time is up clicks drawn nodes (timed until the chart
shows the new centre) and now and then moves the slope slider, which loads or trains a model
(trainings are shared and bounded). With `--think T` a session pauses 0.5 T to 1.5 T seconds
after each action, as a person reading the page does; 0 clicks back to back. With `--ramp R`
the sessions open their pages spread over R seconds, as a class arriving. Counts errors:
page errors, Streamlit exception boxes, Python tracebacks on screen, timeouts. Prints one JSON
line: click-to-redraw p50 / p95, errors, the server's peak resident memory, and the CPU
seconds of server, Chromium and driver (here all share the server's cores; in a class the
browsers run on the students' machines).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import random
import statistics
import tempfile
import threading
import time

import psutil
from playwright.async_api import TimeoutError as PlaywrightTimeout
from playwright.async_api import async_playwright

from tests.browser import (
    ARGS,
    CHART,
    FIND_JS,
    IDLE_JS,
    ROOT,
    TITLE_JS,
    cpu_seconds,
    require_chromium,
    streamlit_server,
)

# The line naming the model in use ("Model: Cora, 8×8 heads, ... · shipped"), read from the page's
# text: its markdown container holds more than the line (an earlier selector matched nothing, so
# clicks lost to a model switch were counted as errors).
MODEL_JS = """() => {
    const text = document.body.innerText, at = text.indexOf('Model: ');
    return at < 0 ? '' : text.slice(at, text.indexOf(String.fromCharCode(10), at));
}"""
# The chart shows node n, or the page swapped in another model since the click.
DONE_JS = """([n, model]) => (""" + TITLE_JS + """)(n) || (""" + MODEL_JS + """)() !== model"""

# For each [x, y]: is a drawn node the topmost thing there (not the legend, not a label)?
ON_TOP_JS = """points => points.map(([x, y]) => {
    const el = document.elementFromPoint(x, y);
    return !!el && el.matches('path.point');
})"""

# Check every 50 ms, not every animation frame (playwright's default): 20 pages polling at
# 60 Hz keep Chromium busy drawing frames and starve the pages being measured.
POLL_MS = 50


MISS_MS = 90_000  # no answer to a click this long: see whether the page moved under it
WAIT_MS = 300_000  # every page's Chromium shares this machine's two cores: waits are long here


async def wait_idle(page, timeout_ms: int) -> None:
    await page.wait_for_function(IDLE_JS, timeout=timeout_ms, polling=POLL_MS)


async def session(
    browser, url: str, clock: dict, rng: random.Random, stats: dict, think: float, delay: float = 0.0
) -> None:
    await asyncio.sleep(delay)  # a class does not open the page in the same second (--ramp)
    context = await browser.new_context(viewport={"width": 1300, "height": 950})
    page = await context.new_page()
    page.on("pageerror", lambda exc: stats["page_errors"].append(str(exc)))
    step = "open"
    try:
        await page.goto(f"{url}/?node={rng.randrange(2708)}", timeout=WAIT_MS)
        await page.wait_for_selector(CHART, timeout=WAIT_MS)
        await wait_idle(page, WAIT_MS)
        stats["loaded"].append(time.monotonic() - clock["opened"])
        await clock["go"].wait()  # the timed part starts when every session is in
        while time.monotonic() < clock["deadline"]:
            if rng.random() < 0.15:  # move the slope slider one step and back later
                step = "slider"
                slider = page.get_by_role("slider", name="LeakyReLU negative slope α")
                await slider.focus()
                await slider.press(rng.choice(["ArrowRight", "ArrowLeft"]))
                stats["slider_moves"] += 1
                # A new setting loads or trains in the background; the page keeps the current
                # model explorable meanwhile, so the session goes on clicking.
                await page.wait_for_timeout(500)
                await wait_idle(page, WAIT_MS)
                await page.wait_for_selector(CHART, timeout=WAIT_MS)
            else:
                step = "find"
                points = await page.evaluate(FIND_JS, None)
                points = [p for p in points if p[3] != 0] or points
                # Only nodes a person can click: not under the legend or a hover label.
                clickable = await page.evaluate(ON_TOP_JS, [[p[1], p[2]] for p in points])
                points = [p for p, ok in zip(points, clickable) if ok] or points
                node, x, y, _ = rng.choice(points)
                model = await page.evaluate(MODEL_JS)
                await page.mouse.move(x, y)
                start = time.perf_counter()
                await page.mouse.click(x, y)
                step = f"click {node}: title"
                try:
                    await page.wait_for_function(DONE_JS, arg=[node, model], timeout=MISS_MS, polling=POLL_MS)
                except PlaywrightTimeout:
                    # Nothing came of the click. If the node is no longer where it was clicked,
                    # the page moved under the pointer (the model line grew a line as a training
                    # finished, say): the click hit empty space, and a person clicks again.
                    now = await page.evaluate(FIND_JS, node)
                    if any(abs(q[1] - x) < 3 and abs(q[2] - y) < 3 for q in now):
                        raise  # the node is still there: a click the app lost
                    stats["lost_to_shift"] += 1
                    continue
                step = f"click {node}: idle"
                await wait_idle(page, WAIT_MS)
                if await page.evaluate(TITLE_JS, node):
                    stats["clicks"].append(time.perf_counter() - start)
                else:
                    # A newly trained model replaced the chart as it was clicked: Streamlit's
                    # chart identity includes the figure, so a click on the outgoing chart
                    # goes nowhere. The person sees the new model and clicks again.
                    stats["lost_to_switch"] += 1
            body = await page.inner_text("body")
            stats["tracebacks"] += body.count("Traceback")
            stats["exceptions"] += await page.locator('[data-testid="stException"]').count()
            if think:
                await asyncio.sleep(think * rng.uniform(0.5, 1.5))
    except Exception as exc:  # a timeout or a crash of this session is an error of the run
        stats["errors"].append(f"{step}: {type(exc).__name__}: {str(exc).splitlines()[0][:120]}")
        with contextlib.suppress(Exception):  # what the page showed, for the report
            shot = ROOT / "tests" / "artifacts" / f"load-error-{len(stats['errors'])}.png"
            await page.screenshot(path=str(shot), timeout=10_000)
        stats["loaded"].append(float("nan"))  # counts as in, so the others do not wait for it
    finally:
        await context.close()


async def drive(
    url: str, sessions: int, seconds: float, think: float, seed: int, pid: int, ramp: float = 0.0
) -> dict:
    stats: dict = {
        "clicks": [], "loaded": [], "slider_moves": 0, "page_errors": [], "errors": [], "tracebacks": 0,
        "exceptions": 0, "cpu": [], "cpu_open": [], "lost_to_switch": 0, "lost_to_shift": 0,
    }  # fmt: skip
    clock: dict = {"opened": time.monotonic(), "deadline": 0.0, "go": asyncio.Event()}

    async def start_when_all_loaded() -> None:
        stats["cpu_open"] = [cpu_seconds(pid)]
        while len(stats["loaded"]) < sessions:
            await asyncio.sleep(0.05)
        stats["cpu_open"].append(cpu_seconds(pid))
        clock["deadline"] = time.monotonic() + seconds
        stats["cpu"].append(cpu_seconds(pid))
        clock["go"].set()
        await asyncio.sleep(seconds)  # the timed part: CPU used by whom
        stats["cpu"].append(cpu_seconds(pid))

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=require_chromium(), headless=True, args=ARGS)
        starter = asyncio.create_task(start_when_all_loaded())
        await asyncio.gather(
            *(
                session(browser, url, clock, random.Random(seed + k), stats, think, ramp * k / sessions)
                for k in range(sessions)
            )
        )
        if not starter.done():
            await starter
        await browser.close()
    return stats


def run(
    sessions: int = 20, seconds: float = 60.0, think: float = 0.0, seed: int = 0, ramp: float = 0.0
) -> dict:
    cache = tempfile.mkdtemp(prefix="gat-viz-load-")
    with streamlit_server(env={"GAT_VIZ_CACHE": cache}, with_pid=True) as (url, pid):
        peak = [0]
        stop = threading.Event()

        def watch() -> None:
            proc = psutil.Process(pid)
            while not stop.is_set():
                peak[0] = max(peak[0], proc.memory_info().rss)
                stop.wait(0.5)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        started = time.monotonic()
        stats = asyncio.run(drive(url, sessions, seconds, think, seed, pid, ramp))
        stop.set()
        watcher.join()
    clicks = sorted(stats["clicks"])

    def used(cpu: list[dict]) -> dict[str, float]:
        return {k: round(cpu[1][k] - cpu[0][k], 1) for k in cpu[0]} if len(cpu) == 2 else {}

    return {
        "sessions": sessions,
        "think_s": think,
        "ramp_s": ramp,
        "seconds": round(time.monotonic() - started, 1),
        "load_all_s": round(max((t for t in stats["loaded"] if t == t), default=0.0), 1),
        "clicks": len(clicks),
        "slider_moves": stats["slider_moves"],
        "clicks_during_a_model_switch": stats["lost_to_switch"],  # see `session`
        "clicks_after_the_page_moved": stats["lost_to_shift"],  # see `session`
        "p50_s": round(statistics.median(clicks), 3) if clicks else None,
        "p95_s": round(clicks[max(0, round(0.95 * len(clicks)) - 1)], 3) if clicks else None,
        "errors": len(stats["errors"]) + len(stats["page_errors"]),
        "tracebacks": stats["tracebacks"],
        "exception_boxes": stats["exceptions"],
        "peak_rss_mb": round(peak[0] / 2**20),
        "server_cpu_per_click_s": round(used(stats["cpu"]).get("server", 0.0) / max(len(clicks), 1), 3),
        # CPU seconds each part used in the timed part: where the cores went.
        "cpu_s": used(stats["cpu"]),
        "cpu_open_s": used(stats["cpu_open"]),  # opening every page, before the timed part
        "error_samples": (stats["errors"] + stats["page_errors"])[:5],
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--think", type=float, default=0.0, help="mean pause after each action, s")
    parser.add_argument("--ramp", type=float, default=0.0, help="open the pages over this many seconds")
    args = parser.parse_args()
    print(json.dumps(run(args.sessions, args.seconds, args.think, ramp=args.ramp)))
