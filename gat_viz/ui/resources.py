"""Shared, cached resources: one copy per server process.

`st.cache_resource` hands the same object to every session, so nothing here may be mutated
by a view (no `.train()` on a shared model).
"""

from __future__ import annotations

import gc
import sys

import streamlit as st
import torch

from gat_viz.cache import ModelCache
from gat_viz.data import Graph, load_dataset, split_of
from gat_viz.ui.jobs import ModelStore, max_trainings


@st.cache_resource(show_spinner=False)
def dataset(name: str) -> Graph:
    return load_dataset(name)


@st.cache_resource(show_spinner=False)
def splits(name: str) -> list[str]:
    data = dataset(name)
    return [split_of(data, i) for i in range(data.num_nodes)]


@st.cache_resource
def store() -> ModelStore:
    # Streamlit runs scripts and our training jobs in threads other than the main one, where
    # torch's OpenMP pool costs more than it gives on these small graphs (measured: a training
    # thread with 1 intra-op thread is ~1.4× faster than with 2); one also suits many sessions.
    torch.set_num_threads(1)
    n, notice = max_trainings()
    if notice:
        print(notice, file=sys.stderr)
    store = ModelStore(ModelCache(), max_trainings=n, notice=notice)
    # torch, plotly and streamlit leave ~270k long-lived objects (~410k with PyG): a full
    # collection scans them all (~0.2 s holding the GIL, measured with PyG). Frozen, the collector
    # skips them.
    gc.freeze()
    return store
