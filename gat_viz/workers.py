"""Trainings in worker processes: the app's server keeps its Python (and its GIL) for clicks.

A `TrainingPool` holds a `ProcessPoolExecutor` of spawned workers, each with torch, PyG and
the datasets imported once (`_warm`); `submit` runs `train()` there and streams every epoch's
record back through a queue, so the page can draw progress, and a shared event cancels it.
The worker writes the finished model as a safetensors checkpoint to a temporary file; the
server loads it (no pickle of tensors crosses the process boundary, only small records).

A worker that dies (killed, out of memory) breaks the pool: the job fails with a sentence and
the next submit builds a new pool.
"""

from __future__ import annotations

import atexit
import multiprocessing
import os
import queue
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing.managers import SyncManager
from pathlib import Path
from typing import Any

_DATA: dict[str, Any] = {}  # in a worker: datasets by name, loaded once
NICE = 5  # workers' priority below the server's (see _warm)


def _exit_with_parent() -> None:
    """In a worker or the manager: leave when the server that started us is gone (a killed
    server runs no clean-up; orphaned workers would hold memory and cores for ever)."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=watch, daemon=True, name="exit-with-parent").start()


def _warm(root: str | None) -> None:
    """Worker initialiser: import the heavy modules and pin one thread (the server's other
    trainings and page work share the cores). A little lower priority than the server: on a
    busy machine a click is drawn before an epoch is trained (idle, nothing changes)."""
    _exit_with_parent()
    try:
        os.nice(NICE)
    except OSError:  # not allowed here: train at the server's priority
        pass
    import torch

    torch.set_num_threads(1)
    if root is not None:
        os.environ["GAT_VIZ_DATA"] = root
    from gat_viz import train as _train  # noqa: F401  (torch and the model code)


def _dataset(name: str) -> Any:
    from gat_viz.data import load_dataset

    if name not in _DATA:
        _DATA[name] = load_dataset(name)
    return _DATA[name]


def _train_in_worker(
    name: str, config: dict[str, Any], seed: int, progress: Any, cancel: Any, folder: str
) -> tuple[str, str]:
    """Runs in a worker: ("done", checkpoint path) or ("cancelled", "") or raises."""
    from gat_viz.checkpoint import save_checkpoint
    from gat_viz.config import GATConfig
    from gat_viz.train import train

    data = _dataset(name)

    def on_epoch(record: Any) -> bool:
        progress.put(record)
        return not cancel.is_set()

    result = train(data, GATConfig.from_dict(config), seed=seed, on_epoch=on_epoch)
    if result.stopped == "cancelled":
        return "cancelled", ""
    fd, path = tempfile.mkstemp(suffix=".safetensors", dir=folder)
    os.close(fd)
    save_checkpoint(path, result)
    return "done", path


@dataclass
class Handle:
    """One submitted training: its future, its progress queue and its cancel switch."""

    future: Future
    progress: Any  # a manager Queue of EpochRecord
    cancel: Any  # a manager Event

    def drain(self, sink: Callable[[Any], None]) -> None:
        """Pass every record received so far to `sink`."""
        while True:
            try:
                sink(self.progress.get_nowait())
            except queue.Empty:
                return
            except (EOFError, OSError, BrokenPipeError):  # the manager is gone
                return


class TrainingPool:
    def __init__(self, workers: int) -> None:
        self.workers = workers
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._manager: Any = None
        self.folder = Path(tempfile.mkdtemp(prefix="gat_viz-trained-"))
        atexit.register(self.close)

    def _ensure(self) -> ProcessPoolExecutor:
        with self._lock:
            if self._pool is None:
                ctx = multiprocessing.get_context("spawn")  # never fork a threaded server
                if self._manager is None:
                    self._manager = SyncManager(ctx=ctx)
                    self._manager.start(_exit_with_parent)
                self._pool = ProcessPoolExecutor(
                    max_workers=self.workers, mp_context=ctx, initializer=_warm,
                    initargs=(os.environ.get("GAT_VIZ_DATA"),),
                )  # fmt: skip
            return self._pool

    def warm(self) -> None:
        """Start the workers now (each imports torch and PyG: seconds), not at the first training."""
        pool = self._ensure()
        for _ in range(self.workers):
            pool.submit(_noop)

    def submit(self, name: str, config: dict[str, Any], seed: int) -> Handle:
        pool = self._ensure()
        progress, cancel = self._manager.Queue(), self._manager.Event()
        try:
            future = pool.submit(_train_in_worker, name, config, seed, progress, cancel, str(self.folder))
        except BrokenProcessPool:
            self.reset()
            pool = self._ensure()
            future = pool.submit(_train_in_worker, name, config, seed, progress, cancel, str(self.folder))
        return Handle(future, progress, cancel)

    def reset(self) -> None:
        """Forget a broken pool; the next submit starts new workers."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        self.reset()
        if self._manager is not None:
            self._manager.shutdown()
            self._manager = None
        shutil.rmtree(self.folder, ignore_errors=True)


def _noop() -> None:
    return None
