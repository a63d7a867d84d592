"""Shared fixtures. Tests that need Cora fail (never skip) when the raw files are missing."""

from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("GOMP_SPINCOUNT", "10000")  # before torch loads: see gat_viz/__init__.py

import pytest
import torch

from gat_viz.data import data_root, raw_files

ROOT = Path(__file__).resolve().parent.parent


def _require_planetoid(name: str) -> None:
    folder = data_root() / name / "raw"
    missing = [f for f in raw_files(name) if not (folder / f).is_file()]
    if missing:
        pytest.fail(
            f"{name} raw files missing in {folder} (GAT_VIZ_DATA={os.environ.get('GAT_VIZ_DATA')!r}). "
            "Point GAT_VIZ_DATA at the Planetoid folder, e.g. ../shared/data/planetoid.",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def cora():
    from gat_viz.data import load_dataset

    _require_planetoid("Cora")
    return load_dataset("Cora")


@pytest.fixture(scope="session")
def citeseer():
    from gat_viz.data import load_dataset

    _require_planetoid("CiteSeer")
    return load_dataset("CiteSeer")


@pytest.fixture(scope="session")
def cora_result(cora):
    """A short but real training run on Cora, shared by tests that need a trained model."""
    from gat_viz.config import GATConfig
    from gat_viz.train import train

    return train(cora, GATConfig(max_epochs=60), seed=0)


@pytest.fixture
def tiny_graph():
    """6 nodes with an isolated node (5), a duplicate edge (0→1 twice) and existing self loops
    (2→2, 3→3), in an order that is not sorted by target."""
    edge_index = torch.tensor(
        [[0, 1, 2, 0, 3, 4, 2, 1, 0, 3], [1, 0, 2, 2, 3, 3, 1, 2, 1, 4]], dtype=torch.long
    )
    x = torch.randn(6, 5, generator=torch.Generator().manual_seed(1))
    return x, edge_index


@pytest.fixture(autouse=True)
def _english():
    """Every test starts and ends in English (the language is per thread: gat_viz.i18n)."""
    from gat_viz import i18n

    i18n.use("en")
    yield
    i18n.use("en")


@pytest.fixture(autouse=True)
def _isolated_cache(tmp_path_factory, monkeypatch):
    """Tests never touch the user's ~/.cache/gat_viz."""
    monkeypatch.setenv("GAT_VIZ_CACHE", str(tmp_path_factory.mktemp("cache")))


_SERVER_CACHES: dict[str, str] = {}


def app_server_cache(url: str) -> str:
    """The model cache folder of the `app_server` at `url`."""
    return _SERVER_CACHES[url]


@pytest.fixture(scope="session")
def app_server(tmp_path_factory):
    """One Streamlit server for the browser tests, with its own model cache."""
    from tests.browser import streamlit_server

    cache = tmp_path_factory.mktemp("server-cache")
    with streamlit_server(env={"GAT_VIZ_CACHE": str(cache)}) as url:
        _SERVER_CACHES[url] = str(cache)
        yield url


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    from tests.browser import ARGS, require_chromium

    path = require_chromium()
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=path, headless=True, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors  # type: ignore[attr-defined]
    yield page
    context.close()
