"""The app's model store: LRU in memory over the disk cache, shared background trainings."""

import time

from gat_viz.cache import ModelCache
from gat_viz.config import GATConfig
from gat_viz.ui.jobs import ModelStore

SMALL = GATConfig(max_epochs=8)


def wait(job, timeout=120):
    deadline = time.monotonic() + timeout
    while job.state in ("waiting", "training") and time.monotonic() < deadline:
        time.sleep(0.05)
    return job


def test_shipped_model_loads_without_training(cora):
    store = ModelStore(ModelCache())
    loaded = store.get(("Cora", GATConfig(), 0), cora)
    assert loaded is not None and loaded.source == "shipped"
    assert store.get(("Cora", GATConfig(), 0), cora) is loaded  # from memory the second time


def test_two_requests_share_one_training(cora, tmp_path):
    store = ModelStore(ModelCache(tmp_path, shipped=None))
    key = ("Cora", SMALL, 0)
    assert store.get(key, cora) is None
    first, second = store.start(key, cora), store.start(key, cora)
    assert first is second
    wait(first)
    assert first.state == "done" and first.epoch == 8
    loaded = store.get(key, cora)
    assert loaded is not None and loaded.source.startswith("trained just now")
    assert ModelCache(tmp_path, shipped=None).get(cora, SMALL, 0) is not None  # kept on disk


def test_memory_is_bounded_lru(cora, tmp_path):
    store = ModelStore(ModelCache(tmp_path, shipped=None), max_models=2)
    keys = [("Cora", SMALL.replace(negative_slope=s), 0) for s in (0.1, 0.3, 0.5)]
    for key in keys:
        wait(store.start(key, cora))
    assert list(store._models) == keys[1:]  # the oldest was evicted from memory ...
    assert store.get(keys[0], cora).source == "disk cache"  # ... and comes back from disk


def test_diverging_setting_fails_with_a_message(cora, tmp_path):
    bad = cora.clone()
    bad.x = bad.x.clone()
    bad.x[0, 0] = float("nan")
    store = ModelStore(ModelCache(tmp_path, shipped=None))
    job = wait(store.start(("Cora", SMALL, 0), bad))
    assert job.state == "failed" and "diverged" in job.error
    assert store.get(("Cora", SMALL, 0), cora) is None  # nothing broken was kept


def test_views_are_memoised(cora):
    store = ModelStore(ModelCache())
    loaded = store.get(("Cora", GATConfig(), 0), cora)
    calls = []
    make = lambda: calls.append(1) or len(calls)  # noqa: E731
    assert loaded.cached(("view", 1), make) == loaded.cached(("view", 1), make) == 1
    assert len(calls) == 1
