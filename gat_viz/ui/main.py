"""The page frame: configuration, sidebar, and the views."""

from __future__ import annotations

import streamlit as st

from gat_viz.bench import PAPER
from gat_viz.config import GATConfig
from gat_viz.data import DATASETS, DatasetUnavailable
from gat_viz.ui import resources

TITLE = "GAT Attention Explorer"


def main() -> None:
    st.set_page_config(page_title=TITLE, page_icon="🕸️", layout="wide")
    st.title(TITLE)
    st.caption("What a Graph Attention Network learns on citation graphs.")
    name = st.sidebar.selectbox("Dataset", [d for d in DATASETS if d != "PubMed"], key="dataset")
    try:
        data = resources.dataset(name)
    except DatasetUnavailable as exc:
        st.error(f"The {name} data is not available: {exc}")
        return
    config, seed = GATConfig(), 0
    result = resources.cached_model(name, config, seed)
    st.write(
        f"**{name}**: {data.num_nodes:,} nodes, {data.edge_index.size(1):,} directed edges, "
        f"{data.num_features:,} features, {len(data.class_names)} classes."
    )
    if result is None:
        st.info("No pretrained model for this setting yet.")
        return
    mean, std = PAPER[name]
    st.metric(
        "Test accuracy at best validation (one run)",
        f"{result.test_acc:.1%}",
        help=f"{config.label()}, seed {seed}, best epoch {result.best_epoch}",
    )
    st.caption(f"Model: {config.label()}, seed {seed}. Paper: {mean} ± {std} (mean ± std of 100 runs).")
    st.info("The attention explorer is under construction: neighbourhoods drawn by attention come next.")
