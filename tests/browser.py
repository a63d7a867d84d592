"""Helpers for tests in a real browser: a Streamlit server on a free loopback port, and
Debian's chromium driven by playwright (never `playwright install`)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("GAT_VIZ_CHROMIUM", "/usr/bin/chromium")
ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
    "--disable-dev-shm-usage",
]  # fmt: skip

# A drawn chart (the frame's hidden preload chart excluded: gat_viz/ui/frame.py).
CHART = '[data-testid="stPlotlyChart"] .main-svg >> visible=true'
# The drawn nodes of the neighbourhood chart: [[id, x, y, hop], ...] on screen (scrolled into
# view), all of them for `null`, or those of one node id.
FIND_JS = """want => {
    const gd = [...document.querySelectorAll('[data-testid=stPlotlyChart] .js-plotly-plot')]
        .find(g => g.data.some(t => t.customdata));  // the neighbourhood, not another chart
    gd.scrollIntoView({block: 'center'});
    const traces = gd.querySelectorAll('g.scatterlayer g.trace.scatter');
    const found = [];
    for (let t = 0; t < gd.data.length; t++) {
        const custom = gd.data[t].customdata;
        if (!custom) continue;
        const points = traces[t].querySelectorAll('path.point');
        for (let k = 0; k < custom.length; k++) {
            const r = points[k].getBoundingClientRect();
            found.push([custom[k][0], r.x + r.width / 2, r.y + r.height / 2, custom[k][7]]);
        }
    }
    return want === null ? found : found.filter(p => p[0] === want);
}"""
# A hop-1 node in the heads grid's panel for head `label` (customdata [label, id, hop]): its
# centre on screen.
PANEL_JS = """label => {
    const gd = [...document.querySelectorAll('[data-testid=stPlotlyChart] .js-plotly-plot')]
        .find(g => g.data.some(t => t.customdata && typeof t.customdata[0][0] === 'string'));
    gd.scrollIntoView({block: 'center'});
    const traces = gd.querySelectorAll('g.scatterlayer g.trace.scatter');
    for (let t = 0; t < gd.data.length; t++) {
        const custom = gd.data[t].customdata;
        if (!custom || typeof custom[0][0] !== 'string') continue;
        const points = traces[t].querySelectorAll('path.point');
        for (let k = 0; k < custom.length; k++) {
            if (custom[k][0] !== label || custom[k][2] !== 1) continue;
            const r = points[k].getBoundingClientRect();
            return [r.x + r.width / 2, r.y + r.height / 2];
        }
    }
    return null;
}"""
# The neighbourhood chart's title names node n. (Any chart's: the training curve in the sidebar
# comes first in the page while a model trains.)
TITLE_JS = """n => [...document.querySelectorAll('[data-testid=stPlotlyChart] .gtitle')]
    .some(t => (t.textContent || '').includes(`node ${n}:`))"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def streamlit_server(
    env: dict[str, str] | None = None, timeout: float = 90.0, with_pid: bool = False, script: str = "app.py"
):
    """Start `streamlit run app.py` (or another script) on loopback; yield its URL (and PID); stop it."""
    port = free_port()
    (ROOT / "tests" / "artifacts").mkdir(exist_ok=True)  # git-ignored; absent in a fresh clone
    log = open(ROOT / "tests" / "artifacts" / f"server-{port}.log", "w")
    proc = subprocess.Popen(
        [
            sys.executable, "-m", "streamlit", "run", str(ROOT / script),
            "--server.headless", "true", "--server.address", "127.0.0.1",
            "--server.port", str(port), "--server.fileWatcherType", "none",
            "--browser.gatherUsageStats", "false",
        ],
        cwd=ROOT, env={**os.environ, **(env or {})}, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited with {proc.returncode}; see {log.name}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                    if r.read().decode().strip() == "ok":
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"streamlit did not become healthy in {timeout} s; see {log.name}")
            time.sleep(0.25)
        yield (url, proc.pid) if with_pid else url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def require_chromium() -> str:
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        pytest.fail(
            f"chromium not found at {CHROMIUM}: install Debian's package (apt-get install -y "
            "chromium); the browser tests must run, not skip",
            pytrace=False,
        )
    return CHROMIUM


# The script run is over and nothing is stale or still a placeholder (see the Streamlit playbook).
IDLE_JS = """() => document.querySelector('[data-testid="stApp"]')?.getAttribute('data-test-script-state')
    === 'notRunning' && !document.querySelector(
        '[data-testid="stSkeleton"], [data-testid="stAppSkeleton"], '
        + '[data-testid="stSkeletonElement"], [data-stale="true"]')"""


def wait_for_app(page, timeout_ms: int = 60_000) -> None:
    """Until the app is idle (`IDLE_JS`)."""
    page.wait_for_function(IDLE_JS, timeout=timeout_ms)


def cpu_seconds(pid: int) -> dict[str, float]:
    """CPU time so far of the server, of every Chromium process, and of this driver."""

    def used(p: psutil.Process) -> float:
        try:
            t = p.cpu_times()
            return t.user + t.system
        except psutil.Error:
            return 0.0

    browser = sum(used(p) for p in psutil.process_iter(["name"]) if "chrom" in (p.info["name"] or ""))
    return {"server": used(psutil.Process(pid)), "browser": browser, "driver": used(psutil.Process())}
