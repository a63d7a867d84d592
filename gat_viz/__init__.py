"""gat_viz: see what a Graph Attention Network learns.

A GAT faithful to PyG's `GATConv` and fast on CPU, with checkpoints, a model cache and a
command line (`python -m gat_viz`). The Streamlit app lives in `gat_viz.ui` and `app.py`.

The names below load on first use (PEP 562), so `import gat_viz` and the command line's
`--help` do not pay for torch and torch_geometric (several seconds) until something needs them.
"""

from __future__ import annotations

import importlib
import os
import sys
import types
from typing import TYPE_CHECKING, Any

# How long torch's idle OpenMP threads spin before they sleep (libgomp reads it when torch loads,
# so it is set here, before any torch import of ours). Measured on Cora, 2 cores, ms per epoch
# (GAT / GATv2):
#   alone:            default spin (300000) 13 / 14, 10000 10 / 14, never spin (PASSIVE) 20 / 29;
#   two trainings:    default 610 / 1040,    10000 41 / 65,   never spin 13-20 / 21.
# A short spin keeps a lone training (the CLI, the benchmark) fast and bounds what spinning threads
# steal from each other when the cores are shared. The app's server and training workers use one
# intra-op thread each, so they never wait this way.
os.environ.setdefault("GOMP_SPINCOUNT", "10000")

__version__ = "0.1.0"

_EXPORTS = {  # public name -> the module that defines it
    "GAT": "model",
    "AttentionGraph": "layers",
    "AttentionTrace": "layers",
    "CheckpointError": "checkpoint",
    "DatasetUnavailable": "data",
    "EpochRecord": "train",
    "GATConfig": "config",
    "GATLayer": "layers",
    "GATv2Layer": "layers_v2",
    "Why": "explain",
    "ModelCache": "cache",
    "TrainResult": "train",
    "TrainingDiverged": "train",
    "evaluate": "train",
    "load_checkpoint": "checkpoint",
    "load_dataset": "data",
    "save_checkpoint": "checkpoint",
    "train": "train",
    "why": "explain",
    "what_if": "explain",
    "drop_one": "explain",
    "attention_effect": "explain",
    "ranking_disagreement": "ranking",
}
__all__ = [
    "GAT",
    "AttentionGraph",
    "AttentionTrace",
    "CheckpointError",
    "DatasetUnavailable",
    "EpochRecord",
    "GATConfig",
    "GATLayer",
    "GATv2Layer",
    "ModelCache",
    "TrainResult",
    "TrainingDiverged",
    "Why",
    "attention_effect",
    "drop_one",
    "evaluate",
    "load_checkpoint",
    "load_dataset",
    "ranking_disagreement",
    "save_checkpoint",
    "train",
    "what_if",
    "why",
]  # the keys of _EXPORTS (tests/test_package.py checks), spelt out for linters and type checkers

if TYPE_CHECKING:
    from gat_viz.cache import ModelCache
    from gat_viz.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
    from gat_viz.config import GATConfig
    from gat_viz.data import DatasetUnavailable, load_dataset
    from gat_viz.explain import Why, attention_effect, drop_one, what_if, why
    from gat_viz.layers import AttentionGraph, AttentionTrace, GATLayer
    from gat_viz.layers_v2 import GATv2Layer
    from gat_viz.model import GAT
    from gat_viz.ranking import ranking_disagreement
    from gat_viz.train import EpochRecord, TrainingDiverged, TrainResult, evaluate, train


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'gat_viz' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"gat_viz.{_EXPORTS[name]}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})


class _Package(types.ModuleType):
    """`gat_viz.train` is the function `train`, as it always was. Python binds a submodule on its
    package when it first loads it; this keeps the submodule `gat_viz.train` (still importable by
    its full name) from taking the function's place."""

    def __setattr__(self, name: str, value: Any) -> None:
        if name == "train" and isinstance(value, types.ModuleType):
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
