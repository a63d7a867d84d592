"""The app's model store: LRU in memory over the disk cache, shared background trainings."""

import time

from gat_viz.cache import ModelCache
from gat_viz.config import GATConfig
from gat_viz.train import train
from gat_viz.ui.jobs import ModelStore, max_trainings

SMALL = GATConfig(max_epochs=8)


def wait(job, timeout=120):
    deadline = time.monotonic() + timeout
    while job.running and time.monotonic() < deadline:
        time.sleep(0.05)
    return job


def until(condition, timeout=60):
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


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
    store = ModelStore(ModelCache(tmp_path, shipped=None))
    key = ("Cora", GATConfig(lr=1.0), 0)  # no NaN: the loss climbs into the hundreds
    job = wait(store.start(key, cora))
    assert job.state == "failed" and "diverged" in job.error and "smaller learning rate" in job.error
    assert store.get(key, cora) is None  # nothing broken was kept, in memory or on disk


def test_trainings_at_once_are_bounded_first_come_first_served(cora, tmp_path):
    store = ModelStore(ModelCache(tmp_path, shipped=None), max_trainings=2)
    jobs = [
        store.start(("Cora", GATConfig(max_epochs=30, negative_slope=s), 0), cora)
        for s in (0.1, 0.3, 0.5, 0.7)
    ]
    running_seen, places = set(), []
    while any(j.running for j in jobs):
        running, place = store.queue(jobs[3])
        running_seen.add(running)
        places.append(place)
        assert sum(j.state == "training" for j in jobs) <= 2
        time.sleep(0.005)
    assert max(running_seen) == 2 and all(j.state == "done" for j in jobs)
    assert places[0] == 2 and places[-1] == 0  # third and fourth waited; the fourth was 2nd in line
    assert places == sorted(places, reverse=True)  # the line only moves forward
    assert jobs[2].history and jobs[3].history


def test_max_trainings_setting():
    default, note = max_trainings({})
    assert default >= 1 and note == ""
    assert max_trainings({"GAT_VIZ_MAX_TRAININGS": " 3 "}) == (3, "")
    for bad in ("0", "-1", "two", "2.5", "65", "<b>9</b>"):
        n, note = max_trainings({"GAT_VIZ_MAX_TRAININGS": bad})
        assert n == default and "GAT_VIZ_MAX_TRAININGS" in note and "using" in note


def test_views_are_memoised(cora):
    store = ModelStore(ModelCache())
    loaded = store.get(("Cora", GATConfig(), 0), cora)
    calls = []
    make = lambda: calls.append(1) or len(calls)  # noqa: E731
    assert loaded.cached(("view", 1), make) == loaded.cached(("view", 1), make) == 1
    assert len(calls) == 1


def test_a_newer_setting_supersedes_the_older(cora, tmp_path):
    """One session moves a slider ten times: the trainings nobody waits for any more are
    dropped (waiting) or cancelled (running); only the last setting is trained and kept."""
    store = ModelStore(ModelCache(tmp_path, shipped=None), max_trainings=1)
    keys = [("Cora", GATConfig(max_epochs=200, dropout=round(0.1 + 0.05 * k, 2)), 0) for k in range(10)]
    jobs = []
    for k, key in enumerate(keys):
        if k:
            store.release(keys[k - 1], "me")
        jobs.append(store.start(key, cora, who="me"))
        time.sleep(0.05)
    wait(jobs[-1], timeout=300)
    for job in jobs[:-1]:
        wait(job)
    assert jobs[-1].state == "done"
    assert all(j.state == "dropped" for j in jobs[:-1]), [j.state for j in jobs]
    kept = sorted(p.name for p in tmp_path.glob("*.safetensors"))
    assert len(kept) == 1  # only the last setting reached the cache


def test_a_setting_another_session_waits_for_keeps_training(cora, tmp_path):
    store = ModelStore(ModelCache(tmp_path, shipped=None), max_trainings=1)
    key = ("Cora", SMALL.replace(dropout=0.55), 0)
    job = store.start(key, cora, who="a")
    assert store.start(key, cora, who="b") is job
    store.release(key, "a")  # b still waits for it
    assert wait(job).state == "done"


def test_training_runs_in_a_worker_process(cora, tmp_path):
    import os

    store = ModelStore(ModelCache(tmp_path, shipped=None))
    assert store.pool is not None
    job = wait(store.start(("Cora", SMALL.replace(dropout=0.45), 0), cora))
    assert job.state == "done" and job.epoch == 8  # progress came back record by record
    pids = {w for w in store.pool._pool._processes}  # the pool's worker processes
    assert pids and os.getpid() not in pids


def test_a_crashed_worker_is_reported_and_the_next_request_works(cora, tmp_path):
    import os
    import signal

    store = ModelStore(ModelCache(tmp_path, shipped=None))
    job = store.start(("Cora", GATConfig(max_epochs=400, dropout=0.35), 0), cora)
    deadline = time.monotonic() + 120
    while job.state != "training" or not job.history:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    for pid in list(store.pool._pool._processes):
        os.kill(pid, signal.SIGKILL)
    assert wait(job).state == "failed" and "stopped unexpectedly" in job.error
    again = wait(store.start(("Cora", SMALL.replace(dropout=0.4), 0), cora))
    assert again.state == "done"


def test_a_setting_another_process_trains_is_loaded_not_trained(cora, tmp_path):
    """Another server process sharing the cache holds the setting's lock (a second claim in this
    process stands in for it: flock locks open files). The job gives its turn back, so another
    setting trains meanwhile, and loads the other's file when it appears."""
    other = ModelCache(tmp_path, shipped=None)
    key = ("Cora", SMALL.replace(dropout=0.65), 0)
    claim = other.claim(*key)
    store = ModelStore(ModelCache(tmp_path, shipped=None), max_trainings=1)
    job = store.start(key, cora)
    until(lambda: job.state == "elsewhere")
    assert job.running and store.queue(job) == (0, 0)
    assert wait(store.start(("Cora", SMALL.replace(dropout=0.7), 0), cora)).state == "done"
    result = train(cora, key[1])
    other.put(result)
    claim.release()
    assert wait(job).state == "done" and job.history == []  # nothing trained here
    loaded = store.get(key, cora)
    assert "another server process" in loaded.source and loaded.result.test_acc == result.test_acc


def test_when_the_other_process_gives_up_the_job_trains_it(cora, tmp_path):
    """The lock's holder lets go without a file (it crashed, or its users left): the job goes
    back into line and trains the setting itself."""
    key = ("Cora", SMALL.replace(dropout=0.75), 0)
    claim = ModelCache(tmp_path, shipped=None).claim(*key)
    store = ModelStore(ModelCache(tmp_path, shipped=None), max_trainings=1)
    job = store.start(key, cora)
    until(lambda: job.state == "elsewhere")
    claim.release()
    assert wait(job).state == "done" and job.epoch == 8
    assert ModelCache(tmp_path, shipped=None).get(cora, key[1], 0) is not None


def test_a_job_waiting_for_another_process_is_dropped_when_nobody_wants_it(cora, tmp_path):
    key = ("Cora", SMALL.replace(dropout=0.8), 0)
    claim = ModelCache(tmp_path, shipped=None).claim(*key)
    store = ModelStore(ModelCache(tmp_path, shipped=None))
    job = store.start(key, cora, who="a")
    until(lambda: job.state == "elsewhere")
    store.release(key, "a")
    assert wait(job).state == "dropped"
    claim.release()
