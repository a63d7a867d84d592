"""Shared, cached resources: datasets and models, one copy per server process.

`st.cache_resource` hands the same object to every session, so nothing here may be mutated
by a view (no `.train()` on a shared model).
"""

from __future__ import annotations

import streamlit as st
from torch_geometric.data import Data

from gat_viz.cache import ModelCache
from gat_viz.config import GATConfig
from gat_viz.data import load_dataset
from gat_viz.train import TrainResult


@st.cache_resource(show_spinner="Loading the dataset…")
def dataset(name: str) -> Data:
    return load_dataset(name)


@st.cache_resource
def model_cache() -> ModelCache:
    return ModelCache()


@st.cache_resource(show_spinner="Loading the model…", max_entries=32)
def cached_model(name: str, config: GATConfig, seed: int) -> TrainResult | None:
    """A model that is already on disk (shipped or trained before), or None."""
    return model_cache().get(dataset(name), config, seed)
