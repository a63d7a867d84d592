"""The model cache: each (dataset, config, seed) is trained once and kept on disk.

Lookup order: the pretrained models shipped in `assets/models/` (`data.assets_dir()`), then
the cache folder (`$GAT_VIZ_CACHE`, default `~/.cache/gat_viz`). A corrupt entry is deleted and
retrained, never a crash. An unwritable folder is not an error: the model is still returned and
`ModelCache.writable` tells the caller that nothing will be kept.

Several processes may share one folder (app replicas, `pretrain` beside them). Each setting has
a lock file next to its model file, `<name>.lock`: whoever is about to train the setting takes
it (`claim`) and keeps it until the model file is written, so the others wait for that file
instead of training the same setting again. Files are written to a temporary name and renamed
into place (`save_checkpoint`), so a reader sees no file or a whole one, never a half. The lock
is an OS lock (flock) on the open file: it dies with its process, so a crashed trainer leaves a
lock file that blocks nobody.
"""

from __future__ import annotations

import os
import tempfile
import time
import warnings
from pathlib import Path
from typing import Protocol

from filelock import FileLock, Timeout

from gat_viz.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from gat_viz.config import GATConfig
from gat_viz.data import Graph as Data
from gat_viz.data import assets_dir
from gat_viz.train import OnEpoch, TrainResult, train

ASSETS = assets_dir() / "models"  # gat_viz/assets/models once installed, assets/models in a checkout
POLL_S = 0.2  # how often a process waiting for another's training looks for the file


def default_cache_dir() -> Path:
    env = os.environ.get("GAT_VIZ_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "gat_viz"


def entry_name(dataset: str, config: GATConfig, seed: int) -> str:
    return f"{dataset}-{config.key()}-seed{seed}.safetensors"


class Claim(Protocol):
    """The right to train one setting and store it; `release` once the file is written (or not)."""

    def release(self) -> None: ...


class _Unlocked:
    """The claim on an unwritable folder: nothing can be locked there, nor stored."""

    def release(self) -> None:
        pass


class ModelCache:
    def __init__(self, folder: str | os.PathLike[str] | None = None, shipped: Path | None = ASSETS):
        self.folder = Path(folder) if folder is not None else default_cache_dir()
        self.shipped = shipped
        self.writable = _can_write(self.folder)
        self.notes: list[str] = []  # what went wrong quietly (corrupt entries, failed writes)

    def path(self, dataset: str, config: GATConfig, seed: int) -> Path:
        return self.folder / entry_name(dataset, config, seed)

    def lock_path(self, dataset: str, config: GATConfig, seed: int) -> Path:
        return self.path(dataset, config, seed).with_suffix(".lock")

    def claim(self, dataset: str, config: GATConfig, seed: int) -> Claim | None:
        """This setting's lock, or None when another process (or thread) holds it: that one is
        training the setting and will store it before letting go. Never waits."""
        if not self.writable:
            return _Unlocked()
        lock = FileLock(self.lock_path(dataset, config, seed), thread_local=False)
        try:
            lock.acquire(timeout=0)
        except Timeout:
            return None
        except OSError as exc:  # the folder stopped being writable: nobody can store it either
            self.writable = _can_write(self.folder)
            self._note(f"could not lock {lock.lock_file}: {exc.strerror or exc}")
            return _Unlocked()
        return lock

    def files(self, dataset: str, config: GATConfig, seed: int) -> list[Path]:
        """The files that may hold this setting, shipped first (none: it must be trained)."""
        name = entry_name(dataset, config, seed)
        return [f / name for f in (self.shipped, self.folder) if f is not None and (f / name).is_file()]

    def get(self, data: Data, config: GATConfig, seed: int) -> TrainResult | None:
        """The stored model for this setting, or None. Corrupt cache entries are removed."""
        for path in self.files(str(data.name), config, seed):
            seen = _identity(path)
            try:
                result = load_checkpoint(path, data)
            except CheckpointError as exc:
                self._note(f"discarded a bad model file: {exc}")
                if path.parent == self.folder:
                    _remove(path, seen)
                continue
            if result.config == config and result.seed == seed:
                return result
            self._note(f"{path} holds another setting; ignored")
        return None

    def put(self, result: TrainResult) -> Path | None:
        """Store a trained model; None (and a note) when the folder cannot be written."""
        if not self.writable:
            return None
        target = self.path(result.dataset, result.config, result.seed)
        try:
            return save_checkpoint(target, result)
        except OSError as exc:
            self.writable = _can_write(self.folder)
            self._note(f"could not write {target}: {exc.strerror or exc}")
            return None

    def get_or_train(
        self, data: Data, config: GATConfig, seed: int = 0, on_epoch: OnEpoch | None = None
    ) -> tuple[TrainResult, bool]:
        """(result, was_cached). Trains and stores when the setting is not cached; while another
        process trains it (holds its lock), waits for its file instead."""
        while True:
            cached = self.get(data, config, seed)
            if cached is not None:
                return cached, True
            claim = self.claim(str(data.name), config, seed)
            if claim is not None:
                break
            time.sleep(POLL_S)  # its file appears before its lock is let go; or it died: ours next
        try:
            cached = self.get(data, config, seed)  # stored between our look and our claim
            if cached is not None:
                return cached, True
            result = train(data, config, seed=seed, on_epoch=on_epoch)
            if result.stopped != "cancelled":  # a cut-short run is not this setting's model
                self.put(result)
            return result, False
        finally:
            claim.release()

    def _note(self, text: str) -> None:
        self.notes.append(text)
        warnings.warn(text, stacklevel=3)


def _can_write(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=folder, prefix=".probe-"):
            pass
        return True
    except OSError:
        return False


def _identity(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return st.st_ino, st.st_mtime_ns


def _remove(path: Path, seen: tuple[int, int] | None) -> None:
    """Delete the bad file we read, not a good one another process has renamed into its place."""
    try:
        if seen is not None and _identity(path) == seen:
            path.unlink(missing_ok=True)
    except OSError:
        pass
