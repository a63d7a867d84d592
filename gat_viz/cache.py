"""The model cache: each (dataset, config, seed) is trained once and kept on disk.

Lookup order: the pretrained models shipped in `assets/models/`, then the cache folder
(`$GAT_VIZ_CACHE`, default `~/.cache/gat_viz`). A corrupt entry is deleted and retrained,
never a crash. An unwritable folder is not an error: the model is still returned and
`ModelCache.writable` tells the caller that nothing will be kept.
"""

from __future__ import annotations

import os
import tempfile
import warnings
from pathlib import Path

from torch_geometric.data import Data

from gat_viz.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from gat_viz.config import GATConfig
from gat_viz.train import OnEpoch, TrainResult, train

ASSETS = Path(__file__).resolve().parent.parent / "assets" / "models"


def default_cache_dir() -> Path:
    env = os.environ.get("GAT_VIZ_CACHE")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "gat_viz"


def entry_name(dataset: str, config: GATConfig, seed: int) -> str:
    return f"{dataset}-{config.key()}-seed{seed}.safetensors"


class ModelCache:
    def __init__(self, folder: str | os.PathLike[str] | None = None, shipped: Path | None = ASSETS):
        self.folder = Path(folder) if folder is not None else default_cache_dir()
        self.shipped = shipped
        self.writable = _can_write(self.folder)
        self.notes: list[str] = []  # what went wrong quietly (corrupt entries, failed writes)

    def path(self, dataset: str, config: GATConfig, seed: int) -> Path:
        return self.folder / entry_name(dataset, config, seed)

    def files(self, dataset: str, config: GATConfig, seed: int) -> list[Path]:
        """The files that may hold this setting, shipped first (none: it must be trained)."""
        name = entry_name(dataset, config, seed)
        return [f / name for f in (self.shipped, self.folder) if f is not None and (f / name).is_file()]

    def get(self, data: Data, config: GATConfig, seed: int) -> TrainResult | None:
        """The stored model for this setting, or None. Corrupt cache entries are removed."""
        for path in self.files(str(data.name), config, seed):
            try:
                result = load_checkpoint(path, data)
            except CheckpointError as exc:
                self._note(f"discarded a bad model file: {exc}")
                if path.parent == self.folder:
                    _remove(path)
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
        """(result, was_cached). Trains and stores when the setting is not cached."""
        cached = self.get(data, config, seed)
        if cached is not None:
            return cached, True
        result = train(data, config, seed=seed, on_epoch=on_epoch)
        if result.stopped != "cancelled":  # a cut-short run is not this setting's model
            self.put(result)
        return result, False

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


def _remove(path: Path) -> None:
    try:
        path.unlink(missing_ok=True)
    except OSError:
        pass
