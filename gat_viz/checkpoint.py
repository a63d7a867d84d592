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
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import torch

from gat_viz.config import GATConfig
from gat_viz.data import DATASETS
from gat_viz.data import Graph as Data
from gat_viz.model import GAT
from gat_viz.train import EpochRecord, TrainResult

FORMAT = "gat_viz.checkpoint"
VERSION = 1
HISTORY_KEY = "_history"
HISTORY_COLUMNS = tuple(EpochRecord.__dataclass_fields__)
MAX_BYTES = 256 * 2**20  # far above any GAT on these graphs; refuses to read giant files
MAX_FEATURES = 10**6  # input features (Planetoid: 500 to 3703)
MAX_CLASSES = 1000  # output classes (Planetoid: 3 to 7)
_DTYPES = {torch.float32: "F32", torch.float64: "F64"}  # torch's dtype as safetensors names it
_T = TypeVar("_T")


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
    """Read and validate a checkpoint; with `data`, also check it was trained on that graph.

    Order matters for crafted files: the JSON metadata is checked first (finite numbers only,
    bounded sizes), then every tensor's name, shape and dtype against a model built on the `meta`
    device (no memory), and only then are tensors read and a model allocated."""
    path = Path(path)
    _check_file(path)
    header, shapes = _read(
        path, lambda f: (f.metadata() or {}, {k: _layout(f.get_slice(k)) for k in f.keys()})
    )
    if "gat_viz" not in header:
        raise CheckpointError(f"{path}: a safetensors file, but not a gat_viz checkpoint")
    try:
        meta = json.loads(header["gat_viz"])
    except (ValueError, RecursionError) as exc:  # JSONDecodeError is a ValueError
        why = exc.msg if isinstance(exc, json.JSONDecodeError) else _first_line(exc)
        raise CheckpointError(f"{path}: corrupt metadata ({why})") from exc
    where = _non_finite(meta)  # json reads NaN, Infinity and 1e999; no checkpoint holds them
    if where is not None:
        raise CheckpointError(f"{path}: the metadata holds a non-finite number at {where}")
    checked = _check_meta(path, meta, data)
    _check_layout(path, checked, shapes)
    tensors = _read(path, lambda f: {k: f.get_tensor(k) for k in f.keys()})
    return _build(path, checked, tensors)


def _check_file(path: Path) -> None:
    if path.is_dir():
        raise CheckpointError(f"{path}: a folder, not a checkpoint file")
    if not path.exists():
        raise CheckpointError(f"{path}: no such file")
    if not path.is_file():
        raise CheckpointError(f"{path}: not a regular file (a device, pipe or socket), not a checkpoint")
    size = path.stat().st_size
    if size == 0:
        raise CheckpointError(f"{path}: the file is empty")
    if size > MAX_BYTES:
        raise CheckpointError(f"{path}: {size} bytes is too large for a GAT checkpoint")


def _read(path: Path, what: Callable[[Any], _T]) -> _T:
    """`what(handle)` on the opened safetensors file; any error of the file is a CheckpointError."""
    from safetensors import safe_open

    try:
        with safe_open(str(path), framework="pt") as f:
            return what(f)
    except Exception as exc:  # safetensors raises its own error types for every bad file
        raise CheckpointError(f"{path}: not a readable safetensors file ({_first_line(exc)})") from exc


def _layout(tensor_slice: Any) -> tuple[tuple[int, ...], str]:
    """Shape and dtype ("F32", ...) of a tensor in the file, without reading it."""
    return tuple(tensor_slice.get_shape()), str(tensor_slice.get_dtype())


def _non_finite(meta: Any) -> str | None:
    """Where in the parsed JSON the first NaN or infinity sits ("config.lr"), or None."""
    todo: list[tuple[str, Any]] = [("", meta)]
    while todo:  # a loop, not recursion: the nesting of a crafted file is not ours to choose
        where, value = todo.pop()
        if isinstance(value, float) and not math.isfinite(value):
            return where or "the top level"
        items = (
            value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
        )
        todo += [(f"{where}.{k}" if where else str(k), v) for k, v in items]
    return None


@dataclass(frozen=True)
class _Checked:
    """The metadata, validated; nothing has been allocated from it yet."""

    meta: dict[str, Any]
    config: GATConfig
    ints: dict[str, int]  # seed, in_channels, num_classes, best_epoch
    numbers: dict[str, float]  # val_acc, test_acc, seconds
    metrics: dict[str, float]


def _check_meta(path: Path, meta: Any, data: Data | None) -> _Checked:
    def fail(why: str) -> CheckpointError:
        return CheckpointError(f"{path}: {why}")

    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise fail("not a gat_viz checkpoint")
    if meta.get("version") != VERSION:
        raise fail(f"checkpoint version {meta.get('version')!r}; this package reads {VERSION}")
    try:
        config = GATConfig.from_dict(meta.get("config"))  # bounds hidden, heads and out_heads too
    except (TypeError, ValueError) as exc:
        raise fail(f"invalid config ({exc})") from exc
    ints = {k: meta.get(k) for k in ("seed", "in_channels", "num_classes", "best_epoch")}
    for key, value in ints.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise fail(f"{key} must be a non-negative integer, got {value!r}")
    if not 1 <= ints["in_channels"] <= MAX_FEATURES or not 2 <= ints["num_classes"] <= MAX_CLASSES:
        raise fail(
            f"implausible model sizes ({ints['in_channels']} features, {ints['num_classes']} classes; "
            f"at most {MAX_FEATURES} and {MAX_CLASSES})"
        )
    dataset = meta.get("dataset")
    if not isinstance(dataset, str) or dataset not in DATASETS:
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
    return _Checked(meta, config, ints, numbers, {k: float(v) for k, v in metrics.items()})  # type: ignore[arg-type]


def _check_layout(path: Path, checked: _Checked, shapes: dict[str, tuple[tuple[int, ...], str]]) -> None:
    """Every tensor's name, shape and dtype against the model the config describes, built on the
    `meta` device: shapes only, no memory, however large the config claims to be."""

    def fail(why: str) -> CheckpointError:
        return CheckpointError(f"{path}: {why}")

    with torch.device("meta"):
        model = GAT(checked.config, checked.ints["in_channels"], checked.ints["num_classes"])
    expected = {k: (tuple(v.shape), _DTYPES[v.dtype]) for k, v in model.state_dict().items()}
    weights = {k: v for k, v in shapes.items() if k != HISTORY_KEY}
    if set(weights) != set(expected):
        missing, extra = sorted(set(expected) - set(weights)), sorted(set(weights) - set(expected))
        raise fail(f"tensors do not match the config (missing {missing}, unexpected {extra})")
    for key, (shape, dtype) in weights.items():
        if (shape, dtype) != expected[key]:
            raise fail(f"{key} has shape {shape} {dtype}, expected {expected[key][0]} {expected[key][1]}")
    history = shapes.get(HISTORY_KEY)
    if history is not None and (len(history[0]) != 2 or history[0][1] != len(HISTORY_COLUMNS)):
        raise fail(f"the training history has the wrong shape {history[0]}")
    if history is not None and history[1] != "F64":
        raise fail(f"the training history has dtype {history[1]}, expected F64")


def _build(path: Path, checked: _Checked, tensors: dict[str, torch.Tensor]) -> TrainResult:
    def fail(why: str) -> CheckpointError:
        return CheckpointError(f"{path}: {why}")

    meta, config, ints, numbers = checked.meta, checked.config, checked.ints, checked.numbers
    history = tensors.pop(HISTORY_KEY, None)
    for key, tensor in tensors.items():
        if not torch.isfinite(tensor).all():
            raise fail(f"{key} holds NaN or infinite values")
    model = GAT(config, ints["in_channels"], ints["num_classes"])
    model.load_state_dict(tensors, strict=True)
    model.eval()

    records: list[EpochRecord] = []
    if history is not None:
        if not torch.isfinite(history).all():
            raise fail("the training history holds NaN or infinite values")
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
        dataset=meta["dataset"],
        fingerprint=meta["fingerprint"],
        metrics=checked.metrics,
    )


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0][:200] if text else type(exc).__name__
