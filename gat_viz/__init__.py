"""gat_viz: see what a Graph Attention Network learns.

A GAT faithful to PyG's `GATConv` and fast on CPU, with checkpoints, a model cache and a
command line (`python -m gat_viz`). The Streamlit app lives in `gat_viz.ui` and `app.py`.
"""

from gat_viz.cache import ModelCache
from gat_viz.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from gat_viz.config import GATConfig
from gat_viz.data import DatasetUnavailable, load_dataset
from gat_viz.layers import AttentionGraph, AttentionTrace, GATLayer
from gat_viz.model import GAT
from gat_viz.train import EpochRecord, TrainingDiverged, TrainResult, evaluate, train

__version__ = "0.1.0"

__all__ = [
    "GAT",
    "AttentionGraph",
    "AttentionTrace",
    "CheckpointError",
    "DatasetUnavailable",
    "EpochRecord",
    "GATConfig",
    "GATLayer",
    "ModelCache",
    "TrainResult",
    "TrainingDiverged",
    "evaluate",
    "load_checkpoint",
    "load_dataset",
    "save_checkpoint",
    "train",
]
