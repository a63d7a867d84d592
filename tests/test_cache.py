import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time

import pytest

from gat_viz.cache import ASSETS, ModelCache, entry_name
from gat_viz.checkpoint import CheckpointError, load_checkpoint
from gat_viz.config import GATConfig
from gat_viz.train import train

SMALL = GATConfig(max_epochs=5)


def test_trains_once_then_loads(cora, tmp_path):
    cache = ModelCache(tmp_path, shipped=None)
    calls = []
    first, cached = cache.get_or_train(cora, SMALL, seed=1, on_epoch=calls.append)
    assert not cached and len(calls) == 5
    assert cache.path("Cora", SMALL, 1).is_file()
    second, cached = cache.get_or_train(cora, SMALL, seed=1, on_epoch=calls.append)
    assert cached and len(calls) == 5 and second.test_acc == first.test_acc


def test_key_separates_settings(cora, tmp_path):
    cache = ModelCache(tmp_path, shipped=None)
    cache.get_or_train(cora, SMALL, seed=0)
    assert cache.get(cora, SMALL.replace(negative_slope=0.1), 0) is None
    assert cache.get(cora, SMALL, 1) is None
    assert cache.get(cora, SMALL, 0) is not None


def test_corrupt_entry_is_discarded_and_retrained(cora, tmp_path):
    cache = ModelCache(tmp_path, shipped=None)
    path = cache.path("Cora", SMALL, 0)
    path.write_bytes(b"\x00garbage")
    with pytest.warns(UserWarning, match="discarded"):
        result, cached = cache.get_or_train(cora, SMALL, seed=0)
    assert not cached and result.epochs == 5
    assert ModelCache(tmp_path, shipped=None).get(cora, SMALL, 0) is not None  # rewritten, valid


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere; see the monkeypatched twin below")
def test_unwritable_folder_still_trains(cora, tmp_path):
    tmp_path.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        cache = ModelCache(tmp_path / "sub", shipped=None)
        assert not cache.writable
        result, cached = cache.get_or_train(cora, SMALL)
        assert not cached and result.epochs == 5
    finally:
        tmp_path.chmod(stat.S_IRWXU)


def test_unwritable_folder_still_trains_even_as_root(cora, tmp_path, monkeypatch):
    import gat_viz.cache as cache_module

    monkeypatch.setattr(cache_module, "_can_write", lambda folder: False)
    cache = ModelCache(tmp_path, shipped=None)
    assert not cache.writable
    result, cached = cache.get_or_train(cora, SMALL)
    assert not cached and result.epochs == 5 and list(tmp_path.iterdir()) == []


def test_write_failure_is_noted_not_raised(cora, tmp_path, monkeypatch):
    import gat_viz.cache as cache_module

    def full_disk(*_a, **_k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cache_module, "save_checkpoint", full_disk)
    cache = ModelCache(tmp_path, shipped=None)
    with pytest.warns(UserWarning, match="No space left"):
        result, _ = cache.get_or_train(cora, SMALL)
    assert result.epochs == 5


def test_cancelled_runs_are_not_cached(cora, tmp_path):
    cache = ModelCache(tmp_path, shipped=None)
    cache.get_or_train(cora, SMALL, on_epoch=lambda rec: rec.epoch < 2)
    assert not cache.path("Cora", SMALL, 0).exists()


def test_cache_folder_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("GAT_VIZ_CACHE", str(tmp_path / "c"))
    assert ModelCache().folder == tmp_path / "c"


@pytest.mark.parametrize("name", ["Cora", "CiteSeer"])
def test_shipped_pretrained_models_load(name, request):
    data = request.getfixturevalue(name.lower())
    path = ASSETS / entry_name(name, GATConfig(), 0)
    assert path.is_file(), f"missing {path}: see README, 'Pretrained models'"
    result = ModelCache(shipped=ASSETS).get(data, GATConfig(), 0)
    assert result is not None and result.dataset == name
    from gat_viz.train import evaluate

    assert evaluate(result.model, data)["test_acc"] == pytest.approx(result.test_acc)
    assert result.test_acc > {"Cora": 0.80, "CiteSeer": 0.68}[name]


def test_a_claimed_setting_is_not_claimed_twice(tmp_path):
    """Two claims on one setting, even from one process (flock locks open files, not processes)."""
    first, second = ModelCache(tmp_path, shipped=None), ModelCache(tmp_path, shipped=None)
    held = first.claim("Cora", SMALL, 0)
    assert held is not None and first.lock_path("Cora", SMALL, 0).name.endswith("seed0.lock")
    assert second.claim("Cora", SMALL, 0) is None
    assert second.claim("Cora", SMALL, 1) is not None  # another seed, another lock
    held.release()
    assert second.claim("Cora", SMALL, 0) is not None


def test_get_or_train_waits_for_the_holders_file(cora, tmp_path):
    """While another holds the lock, get_or_train trains nothing and returns the holder's model."""
    holder = ModelCache(tmp_path, shipped=None)
    claim = holder.claim("Cora", SMALL, 0)
    out = []
    waiter = threading.Thread(
        target=lambda: out.append(ModelCache(tmp_path, shipped=None).get_or_train(cora, SMALL))
    )
    waiter.start()
    time.sleep(0.5)
    assert waiter.is_alive()  # waiting: the setting is claimed and not stored yet
    result = train(cora, SMALL)
    holder.put(result)
    claim.release()
    waiter.join(30)
    ((loaded, cached),) = out
    assert cached and loaded.test_acc == result.test_acc


# One process of the tests below: train (or wait for) one setting in the cache folder argv[1] once
# argv[3] processes are ready (files in argv[2]); print what happened as JSON.
CONTENDER = """
import hashlib, json, os, sys, time
from pathlib import Path
from gat_viz.cache import ModelCache
from gat_viz.config import GATConfig
from gat_viz.data import load_dataset

folder, ready, n, epochs = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
data, config = load_dataset("Cora"), GATConfig(max_epochs=epochs, patience=epochs)  # = contended()
(ready / str(os.getpid())).touch()
while len(list(ready.iterdir())) < n:
    time.sleep(0.005)
trained = []
def on_epoch(record):
    trained.append(record.epoch)
    print("epoch", record.epoch, flush=True)
result, cached = ModelCache(folder, shipped=None).get_or_train(data, config, on_epoch=on_epoch)
weights = b"".join(t.numpy().tobytes() for t in result.model.state_dict().values())
print(json.dumps({"cached": cached, "epochs": len(trained), "sha": hashlib.sha256(weights).hexdigest()}))
"""


def contended(epochs):
    """The setting a CONTENDER trains: exactly `epochs` epochs."""
    return GATConfig(max_epochs=epochs, patience=epochs)


def contender(tmp_path, n, epochs):
    ready = tmp_path / "ready"
    ready.mkdir(exist_ok=True)
    command = [sys.executable, "-c", CONTENDER, str(tmp_path / "cache"), str(ready), str(n), str(epochs)]
    return subprocess.Popen(command, stdout=subprocess.PIPE, text=True)


def test_two_processes_train_a_setting_once_and_readers_never_see_half_a_file(cora, tmp_path):
    """Two processes ask for one uncached setting at the same moment: one trains, the other
    waits for its file; both end with the same weights. Meanwhile this process reads the file
    as fast as it can: it is missing, then whole, never half written."""
    epochs = 40  # ~0.6 s of training: the two would overlap without the lock
    procs = [contender(tmp_path, 2, epochs) for _ in range(2)]
    target = ModelCache(tmp_path / "cache", shipped=None).path("Cora", contended(epochs), 0)
    reads = []
    while len(list((tmp_path / "ready").glob("*"))) < 2 and all(p.poll() is None for p in procs):
        time.sleep(0.05)  # leave the cores to their imports
    while any(p.poll() is None for p in procs):
        try:
            load_checkpoint(target, cora)
            reads.append("whole")
        except CheckpointError as exc:
            reads.append("missing" if "no such file" in str(exc) else str(exc))
    outs = [json.loads(p.communicate(timeout=60)[0].splitlines()[-1]) for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert sorted(o["cached"] for o in outs) == [False, True]  # exactly one trained ...
    assert sorted(o["epochs"] for o in outs) == [0, epochs]  # ... and the other trained nothing
    assert outs[0]["sha"] == outs[1]["sha"]
    assert set(reads) <= {"missing", "whole"}, [r for r in reads if r not in ("missing", "whole")][:3]
    assert "whole" in reads and reads.index("whole") > 0 and "missing" not in reads[reads.index("whole") :]
    assert len(list(target.parent.glob("*.safetensors"))) == 1  # no temporary file left behind


def test_a_slow_writer_is_never_read_half_way(cora, tmp_path, monkeypatch):
    """safetensors writes a small file in one go, so the test above rarely sees a write happen;
    here the bytes trickle out over ~0.3 s while a reader keeps loading the target."""
    import safetensors.torch

    def slow_save_file(tensors, filename, metadata=None):
        blob = safetensors.torch.save(tensors, metadata=metadata)
        with open(filename, "wb") as f:
            for start in range(0, len(blob), len(blob) // 20 + 1):
                f.write(blob[start : start + len(blob) // 20 + 1])
                f.flush()
                time.sleep(0.015)

    monkeypatch.setattr(safetensors.torch, "save_file", slow_save_file)
    cache = ModelCache(tmp_path, shipped=None)
    result = train(cora, SMALL)
    target, reads, done = cache.path("Cora", SMALL, 0), [], threading.Event()

    def reader():
        while not done.is_set():
            try:
                reads.append(load_checkpoint(target, cora).test_acc)
            except CheckpointError as exc:
                reads.append("missing" if "no such file" in str(exc) else str(exc))

    thread = threading.Thread(target=reader)
    thread.start()
    try:
        time.sleep(0.05)
        assert cache.put(result) == target
        time.sleep(0.05)
    finally:
        done.set()
        thread.join()
    assert set(reads) == {"missing", result.test_acc}, {r for r in reads if r != "missing"}


def test_a_crashed_trainer_does_not_block_the_setting(tmp_path):
    """A process killed while training leaves its lock file, but the OS has let go of the lock:
    the setting can be claimed (and trained) at once."""
    cache, setting = ModelCache(tmp_path / "cache", shipped=None), ("Cora", contended(10_000), 0)
    proc = contender(tmp_path, 1, 10_000)
    try:
        assert proc.stdout.readline().startswith("epoch")  # it holds the lock and trains
        assert cache.claim(*setting) is None
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
    assert cache.lock_path(*setting).exists() and not cache.path(*setting).exists()
    claim = cache.claim(*setting)
    assert claim is not None
    claim.release()


def test_an_unwritable_folder_cannot_be_locked_and_every_caller_trains(tmp_path, monkeypatch):
    import gat_viz.cache as cache_module

    monkeypatch.setattr(cache_module, "_can_write", lambda folder: False)
    cache = ModelCache(tmp_path, shipped=None)
    assert cache.claim("Cora", SMALL, 0) is not None and cache.claim("Cora", SMALL, 0) is not None
    assert list(tmp_path.iterdir()) == []
