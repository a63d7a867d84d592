"""Models for the app: an in-memory LRU over the disk cache, and training jobs that survive
widget interaction (Streamlit reruns), are shared between sessions and follow them.

A job's thread waits for its turn, then hands the training to a worker process
(`gat_viz.workers`) and relays its progress; the server's Python stays free for clicks. No
`st.*` call happens in a job thread: it only updates its `Job`, and a fragment in the page
polls it. A job belongs to the sessions that want it: when the last one asks for another
setting, a waiting job is dropped and a running one cancelled (`release`).

Server processes that share a cache folder (replicas behind a load balancer) never train the
same setting twice: a job whose turn comes takes the setting's lock (`ModelCache.claim`) before
training. If another process holds it, the job gives its turn back and waits for that process's
file ("elsewhere"); if that process lets go without one (it crashed or gave up), the job goes
back to the head of the line and trains the setting itself.
"""

from __future__ import annotations

import os
import threading
import time
import traceback
from collections import OrderedDict, deque
from collections.abc import Callable
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import TypeVar

from gat_viz.cache import POLL_S, ModelCache, entry_name
from gat_viz.checkpoint import load_checkpoint
from gat_viz.config import GATConfig
from gat_viz.data import Graph as Data
from gat_viz.explore import ModelOutputs, model_outputs
from gat_viz.i18n import N_, _
from gat_viz.train import EpochRecord, TrainingDiverged, TrainResult
from gat_viz.workers import TrainingPool

Key = tuple[str, GATConfig, int]  # dataset, config, seed
T = TypeVar("T")

MAX_TRAININGS_ENV = "GAT_VIZ_MAX_TRAININGS"


def max_trainings(env: dict[str, str] | None = None) -> tuple[int, str]:
    """How many trainings may run at once: `GAT_VIZ_MAX_TRAININGS`, else half the cores (each
    training uses one; the other half serve the pages). Returns (n, a notice if the setting
    was unusable)."""
    env = os.environ if env is None else env
    default = max(1, (os.cpu_count() or 2) // 2)
    raw = env.get(MAX_TRAININGS_ENV, "").strip()
    if not raw:
        return default, ""
    if raw.isdigit() and 1 <= int(raw) <= 64:
        return int(raw), ""
    return default, f"{MAX_TRAININGS_ENV}={raw[:20]!r} is not a whole number from 1 to 64; using {default}."


WARM_DELAY_S = 4.0  # after the first page: see ModelStore.warm


@dataclass
class Loaded:
    result: TrainResult
    outputs: ModelOutputs
    source: str  # "shipped", "disk cache" or "trained …": an N_ template, translated where shown
    source_fields: dict = field(default_factory=dict)  # the template's {fields}
    views: OrderedDict = field(default_factory=OrderedDict, repr=False)  # see `cached`
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def source_text(self) -> str:
        """Where this model came from, in the page's language."""
        return _(self.source).format(**self.source_fields)

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
    # waiting (for a turn), training, elsewhere (another server process trains it: we wait for its
    # file), done, failed, dropped (nobody wanted it any more)
    state: str = "waiting"
    history: list[EpochRecord] = field(default_factory=list)
    error: str = ""  # an N_ template, translated where shown, with its `error_fields`
    error_fields: dict = field(default_factory=dict)
    wanted: set[str] = field(default_factory=set)  # the sessions waiting for it
    cancel: threading.Event = field(default_factory=threading.Event)

    @property
    def epoch(self) -> int:
        return len(self.history)

    @property
    def running(self) -> bool:
        """Waiting for its turn, training, or waiting for another process's training: not over yet."""
        return self.state in ("waiting", "training", "elsewhere")


class ModelStore:
    """One per server process (held by `st.cache_resource`)."""

    def __init__(
        self,
        cache: ModelCache,
        max_models: int = 8,
        max_trainings: int = 1,
        notice: str = "",
    ) -> None:
        self.cache = cache
        self.notice = notice  # about the server's settings, shown on every page
        self.max_models = max_models
        self.max_trainings = max_trainings  # at once; each run is reproducible (see `train`)
        self._models: OrderedDict[Key, Loaded] = OrderedDict()
        self._jobs: dict[Key, Job] = {}
        self._lock = threading.Lock()
        self._waiting: deque[Job] = deque()  # first come, first trained
        self._running = 0
        self._turn = threading.Condition(self._lock)
        self.pool = shared_pool(max_trainings)
        self._warmed = False

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
        shipped = self.cache.shipped is not None and (self.cache.shipped / entry_name(*key)).is_file()
        source = N_("shipped") if shipped else N_("disk cache")
        return self._keep(key, Loaded(result, model_outputs(result.model, data), source))

    def has(self, key: Key) -> bool:
        """In memory or on disk: `get` would return it without training."""
        with self._lock:
            if key in self._models:
                return True
        return bool(self.cache.files(*key))

    def job(self, key: Key) -> Job | None:
        with self._lock:
            return self._jobs.get(key)

    def queue(self, job: Job) -> tuple[int, int]:
        """(trainings running, this job's place in the line: 1 = next; 0 if not waiting)."""
        with self._lock:
            place = next((i + 1 for i, j in enumerate(self._waiting) if j is job), 0)
            return self._running, place

    def start(self, key: Key, data: Data, who: str = "") -> Job:
        """The running job for this key, or a new one: two sessions share one training. `who`
        (a session id) now wants it; see `release`."""
        with self._lock:
            job = self._jobs.get(key)
            if job is None or not job.running:
                job = Job(key)
                self._jobs[key] = job
                self._waiting.append(job)
                new = True
            else:
                new = False
            if who:
                job.wanted.add(who)
        if new:
            threading.Thread(target=self._run, args=(job, data), daemon=True, name=f"train-{key[0]}").start()
        return job

    def release(self, key: Key, who: str) -> None:
        """`who` no longer waits for `key` (it asked for another setting). A job nobody else
        wants is dropped from the line, or cancelled at its next epoch if it runs."""
        with self._turn:
            job = self._jobs.get(key)
            if job is None or not job.running:
                return
            job.wanted.discard(who)
            if job.wanted:
                return
            job.cancel.set()
            if job.state == "waiting" and job in self._waiting:
                self._waiting.remove(job)
                job.state = "dropped"
                self._turn.notify_all()

    def warm(self, delay: float = WARM_DELAY_S) -> None:
        """Start the training workers in the background (each imports torch: seconds), once,
        `delay` seconds after the first page is sent, so the first slider move does not wait for
        them. Not at once: the browser is still drawing that page, and on two cores the workers'
        imports delayed the first graph by about a second (measured with tests.browser_bench)."""
        with self._lock:
            if self._warmed:
                return
            self._warmed = True
        timer = threading.Timer(delay, self._warm_now)
        timer.daemon = True
        timer.start()

    def _warm_now(self) -> None:
        try:
            self.pool.warm()
        except Exception:  # the page must not fail for it: the first training will try again
            traceback.print_exc()

    def _run(self, job: Job, data: Data) -> None:
        while True:
            if not self._take_turn(job):
                return
            claim = self.cache.claim(*job.key)
            if claim is not None:
                break
            with self._turn:  # another server process trains it: no turn is needed to wait for it
                job.state = "elsewhere"
                self._running -= 1
                self._turn.notify_all()
            if not self._await_elsewhere(job, data):
                return
        try:
            result = self._train(job, data)
            if result is None:
                job.state = "dropped"
                return
            source = N_("trained just now ({epochs} epochs in {seconds:.1f} s)")
            fields = {"epochs": result.epochs, "seconds": result.seconds}
            self._keep(job.key, Loaded(result, model_outputs(result.model, data), source, fields))
            job.state = "done"
        except TrainingDiverged as exc:
            job.state, job.error, job.error_fields = "failed", exc.template, exc.fields
        except BrokenProcessPool:
            self.pool.reset()
            job.state = "failed"
            job.error = N_("the training process stopped unexpectedly (out of memory?); try again")
        except Exception as exc:
            traceback.print_exc()
            job.state, job.error = "failed", f"training failed: {type(exc).__name__}: {exc}"
        finally:
            claim.release()  # after the file is written: a process waiting for it finds it
            with self._turn:
                self._running -= 1
                self._turn.notify_all()

    def _take_turn(self, job: Job) -> bool:
        """Wait until the job is first in line and a training may start; False if it was dropped."""
        with self._turn:
            while job.state == "waiting" and (
                self._running >= self.max_trainings or self._waiting[0] is not job
            ):
                self._turn.wait()
            if job.state == "dropped":
                return False
            self._waiting.popleft()
            self._running += 1
            job.state = "training"
            self._turn.notify_all()  # the next in line may fit too
            return True

    def _await_elsewhere(self, job: Job, data: Data) -> bool:
        """Another process holds the setting's lock: load its file when it appears (False: done,
        or dropped meanwhile). True: it let go without a file, and the job is back in line."""
        _, config, seed = job.key
        while True:
            free = self.cache.claim(*job.key)  # looked at before the file: its holder wrote first
            if free is not None:
                free.release()
            result = self.cache.get(data, config, seed)
            if result is not None:
                source = N_("trained just now by another server process")
                self._keep(job.key, Loaded(result, model_outputs(result.model, data), source))
                job.state = "done"
                return False
            with self._turn:
                if job.cancel.is_set():
                    job.state = "dropped"
                    return False
                if free is not None:
                    job.state = "waiting"
                    self._waiting.appendleft(job)  # it had its turn already
                    self._turn.notify_all()
                    return True
            time.sleep(POLL_S)

    def _train(self, job: Job, data: Data) -> TrainResult | None:
        """In a worker process; progress relayed every 0.1 s; the checkpoint comes back as a file."""
        name, config, seed = job.key
        cached = self.cache.get(data, config, seed)
        if cached is not None:
            return cached
        handle = self.pool.submit(name, config.to_dict(), seed)
        while not handle.future.done():
            handle.drain(job.history.append)
            if job.cancel.is_set():
                handle.cancel.set()
            time.sleep(0.1)
        handle.drain(job.history.append)
        status, path = handle.future.result()  # re-raises TrainingDiverged, BrokenProcessPool
        if status != "done":
            return None
        try:
            result = load_checkpoint(path, data)
        finally:
            os.remove(path)
        self.cache.put(result)
        return result

    def _keep(self, key: Key, loaded: Loaded) -> Loaded:
        with self._lock:
            self._models[key] = loaded
            self._models.move_to_end(key)
            while len(self._models) > self.max_models:
                self._models.popitem(last=False)
        return loaded


_POOLS: dict[int, TrainingPool] = {}
_POOLS_LOCK = threading.Lock()


def shared_pool(workers: int) -> TrainingPool:
    """One pool of worker processes per size, for the whole server (and the test session)."""
    with _POOLS_LOCK:
        if workers not in _POOLS:
            _POOLS[workers] = TrainingPool(workers)
        return _POOLS[workers]
