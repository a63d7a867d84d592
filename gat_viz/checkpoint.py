"""Checkpoints: weights as safetensors, everything else as JSON in the same file's header.

No pickle anywhere: `safetensors` stores raw tensors, and the metadata is validated (schema,
config, tensor names, shapes and dtypes) before a model is built from it. A file that fails
any check raises `CheckpointError` with a one-line reason.

Layout of one `.safetensors` file:
  tensors   the model's state_dict, plus `_history` (epochs, len(HISTORY_COLUMNS)) float64
  metadata  {"gat_viz": JSON} with format, version, config, seed, dataset, fingerprint,
            sizes, metrics and training facts
"""

from __future__ import annotations

import json
import math
import os
import tempfile
from pathlib import Path
from typing import Any

import torch
from torch_geometric.data import Data

from gat_viz.config import GATConfig
from gat_viz.data import DATASETS
from gat_viz.model import GAT
from gat_viz.train import EpochRecord, TrainResult

FORMAT = "gat_viz.checkpoint"
VERSION = 1
HISTORY_KEY = "_history"
HISTORY_COLUMNS = tuple(EpochRecord.__dataclass_fields__)
MAX_BYTES = 256 * 2**20  # far above any GAT on these graphs; refuses to read giant files


class CheckpointError(ValueError):
    """A file that is not a valid gat_viz checkpoint, or not one for this data."""


def save_checkpoint(path: str | os.PathLike[str], result: TrainResult) -> Path:
    """Write `result` atomically (a temporary file renamed into place); returns the path."""
    from safetensors.torch import save_file

    from gat_viz import __version__

    path = Path(path)
    model = result.model
    tensors = {k: v.detach().contiguous().clone() for k, v in model.state_dict().items()}
    rows = [[float(getattr(r, c)) for c in HISTORY_COLUMNS] for r in result.history]
    tensors[HISTORY_KEY] = torch.tensor(rows, dtype=torch.float64).reshape(-1, len(HISTORY_COLUMNS))
    meta = {
        "format": FORMAT,
        "version": VERSION,
        "package_version": __version__,
        "config": result.config.to_dict(),
        "seed": result.seed,
        "dataset": result.dataset,
        "fingerprint": result.fingerprint,
        "in_channels": model.in_channels,
        "num_classes": model.num_classes,
        "val_acc": result.val_acc,
        "test_acc": result.test_acc,
        "best_epoch": result.best_epoch,
        "seconds": result.seconds,
        "stopped": result.stopped,
        "metrics": result.metrics,
        "history_columns": list(HISTORY_COLUMNS),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        save_file(tensors, tmp, metadata={"gat_viz": json.dumps(meta)})
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a model file is not a secret
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    return path


def load_checkpoint(path: str | os.PathLike[str], data: Data | None = None) -> TrainResult:
    """Read and validate a checkpoint; with `data`, also check it was trained on that graph."""
    from safetensors import safe_open

    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such file")
    size = path.stat().st_size
    if size == 0:
        raise CheckpointError(f"{path}: the file is empty")
    if size > MAX_BYTES:
        raise CheckpointError(f"{path}: {size} bytes is too large for a GAT checkpoint")
    try:
        with safe_open(str(path), framework="pt") as f:
            header = f.metadata() or {}
            tensors = {k: f.get_tensor(k) for k in f.keys()}
    except Exception as exc:  # safetensors raises its own error types for every bad file
        raise CheckpointError(f"{path}: not a readable safetensors file ({_first_line(exc)})") from exc
    if "gat_viz" not in header:
        raise CheckpointError(f"{path}: a safetensors file, but not a gat_viz checkpoint")
    try:
        meta = json.loads(header["gat_viz"])
    except json.JSONDecodeError as exc:
        raise CheckpointError(f"{path}: corrupt metadata ({exc.msg})") from exc
    return _build(path, meta, tensors, data)


def _build(path: Path, meta: Any, tensors: dict[str, torch.Tensor], data: Data | None) -> TrainResult:
    def fail(why: str) -> CheckpointError:
        return CheckpointError(f"{path}: {why}")

    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise fail("not a gat_viz checkpoint")
    if meta.get("version") != VERSION:
        raise fail(f"checkpoint version {meta.get('version')!r}; this package reads {VERSION}")
    try:
        config = GATConfig.from_dict(meta.get("config"))
    except (TypeError, ValueError) as exc:
        raise fail(f"invalid config ({exc})") from exc
    ints = {k: meta.get(k) for k in ("seed", "in_channels", "num_classes", "best_epoch")}
    for key, value in ints.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise fail(f"{key} must be a non-negative integer, got {value!r}")
    if ints["in_channels"] < 1 or ints["num_classes"] < 2 or ints["in_channels"] > 10**6:
        raise fail("implausible model sizes")
    dataset = meta.get("dataset")
    if dataset not in DATASETS:
        raise fail(f"unknown dataset {dataset!r}")
    numbers = {k: meta.get(k) for k in ("val_acc", "test_acc", "seconds")}
    for key, value in numbers.items():
        if not isinstance(value, (int, float)) or isinstance(value, bool) or not math.isfinite(value):
            raise fail(f"{key} must be a finite number, got {value!r}")
    if not isinstance(meta.get("fingerprint"), str) or not isinstance(meta.get("stopped"), str):
        raise fail("fingerprint and stopped must be strings")
    metrics = meta.get("metrics", {})
    if not isinstance(metrics, dict) or not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in metrics.values()
    ):
        raise fail("metrics must map names to numbers")

    if data is not None:
        name = str(getattr(data, "name", ""))
        if name and dataset != name:
            raise fail(f"trained on {dataset}, not {name}")
        if getattr(data, "fingerprint", meta["fingerprint"]) != meta["fingerprint"]:
            raise fail(f"trained on a different {dataset} graph (fingerprint {meta['fingerprint']})")
        if data.num_features != ints["in_channels"] or int(data.y.max()) + 1 != ints["num_classes"]:
            raise fail("its input or output size does not match this dataset")

    model = GAT(config, ints["in_channels"], ints["num_classes"])
    expected = model.state_dict()
    history = tensors.pop(HISTORY_KEY, None)
    if set(tensors) != set(expected):
        missing, extra = sorted(set(expected) - set(tensors)), sorted(set(tensors) - set(expected))
        raise fail(f"tensors do not match the config (missing {missing}, unexpected {extra})")
    for key, tensor in tensors.items():
        if tensor.shape != expected[key].shape or tensor.dtype != expected[key].dtype:
            raise fail(
                f"{key} has shape {tuple(tensor.shape)} {tensor.dtype}, "
                f"expected {tuple(expected[key].shape)} {expected[key].dtype}"
            )
        if not torch.isfinite(tensor).all():
            raise fail(f"{key} holds NaN or infinite values")
    model.load_state_dict(tensors, strict=True)
    model.eval()

    records: list[EpochRecord] = []
    if history is not None:
        if history.dim() != 2 or history.size(1) != len(HISTORY_COLUMNS):
            raise fail("the training history has the wrong shape")
        for row in history.tolist():
            values = dict(zip(HISTORY_COLUMNS, row))
            values["epoch"] = int(values["epoch"])
            records.append(EpochRecord(**values))
    return TrainResult(
        model=model,
        history=records,
        val_acc=float(numbers["val_acc"]),
        test_acc=float(numbers["test_acc"]),
        best_epoch=ints["best_epoch"],
        seconds=float(numbers["seconds"]),
        config=config,
        seed=ints["seed"],
        stopped=meta["stopped"],
        dataset=dataset,
        fingerprint=meta["fingerprint"],
        metrics={k: float(v) for k, v in metrics.items()},
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
