"""Models for the app: an in-memory LRU over the disk cache, and training jobs in background
threads that survive widget interaction (Streamlit reruns) and are shared between sessions.

No `st.*` call happens in a worker thread: the thread only updates its `Job`, and a fragment
in the page polls it.
"""

from __future__ import annotations

import threading
import traceback
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from torch_geometric.data import Data

from gat_viz.cache import ModelCache
from gat_viz.config import GATConfig
from gat_viz.explore import ModelOutputs, model_outputs
from gat_viz.train import EpochRecord, TrainingDiverged, TrainResult

Key = tuple[str, GATConfig, int]  # dataset, config, seed
T = TypeVar("T")


@dataclass
class Loaded:
    result: TrainResult
    outputs: ModelOutputs
    source: str  # "shipped", "disk cache" or "trained ..."
    views: OrderedDict = field(default_factory=OrderedDict, repr=False)  # see `cached`
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def cached(self, key: tuple, make: Callable[[], T], limit: int = 256) -> T:
        """An LRU memo per model: node views and figures by (node, hops, layer, head, ...).

        Shared by every session's script thread, hence the lock; `make` runs outside it."""
        with self._lock:
            if key in self.views:
                self.views.move_to_end(key)
                return self.views[key]
        value = make()
        with self._lock:
            self.views[key] = value
            while len(self.views) > limit:
                self.views.popitem(last=False)
        return value


@dataclass
class Job:
    key: Key
    state: str = "waiting"  # waiting, training, done, failed
    history: list[EpochRecord] = field(default_factory=list)
    error: str = ""

    @property
    def epoch(self) -> int:
        return len(self.history)


class ModelStore:
    """One per server process (held by `st.cache_resource`)."""

    def __init__(self, cache: ModelCache, max_models: int = 8, max_trainings: int = 1) -> None:
        self.cache = cache
        self.max_models = max_models
        self._models: OrderedDict[Key, Loaded] = OrderedDict()
        self._jobs: dict[Key, Job] = {}
        self._lock = threading.Lock()
        # Trainings at once. One keeps runs reproducible: torch's global RNG is shared.
        self._slots = threading.Semaphore(max_trainings)

    def get(self, key: Key, data: Data) -> Loaded | None:
        """In memory, else on disk (shipped or cached), else None."""
        with self._lock:
            if key in self._models:
                self._models.move_to_end(key)
                return self._models[key]
        _, config, seed = key
        result = self.cache.get(data, config, seed)
        if result is None:
            return None
        shipped = self.cache.shipped is not None and (self.cache.shipped / _entry(key)).is_file()
        return self._keep(
            key, Loaded(result, model_outputs(result.model, data), "shipped" if shipped else "disk cache")
        )

    def job(self, key: Key) -> Job | None:
        with self._lock:
            return self._jobs.get(key)

    def start(self, key: Key, data: Data) -> Job:
        """The running job for this key, or a new one: two sessions share one training."""
        with self._lock:
            job = self._jobs.get(key)
            if job is not None and job.state in ("waiting", "training"):
                return job
            job = Job(key)
            self._jobs[key] = job
        threading.Thread(target=self._run, args=(job, data), daemon=True, name=f"train-{key[0]}").start()
        return job

    def _run(self, job: Job, data: Data) -> None:
        with self._slots:
            job.state = "training"
            _, config, seed = job.key

            try:
                result, _ = self.cache.get_or_train(data, config, seed, on_epoch=job.history.append)
                source = f"trained just now ({result.epochs} epochs in {result.seconds:.1f} s)"
                self._keep(job.key, Loaded(result, model_outputs(result.model, data), source))
                job.state = "done"
            except TrainingDiverged as exc:
                job.state, job.error = "failed", str(exc)
            except Exception as exc:
                traceback.print_exc()
                job.state, job.error = "failed", f"training failed: {type(exc).__name__}: {exc}"

    def _keep(self, key: Key, loaded: Loaded) -> Loaded:
        with self._lock:
            self._models[key] = loaded
            self._models.move_to_end(key)
            while len(self._models) > self.max_models:
                self._models.popitem(last=False)
        return loaded


def _entry(key: Key) -> str:
    from gat_viz.cache import entry_name

    return entry_name(*key)
