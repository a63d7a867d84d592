"""A test app (tests/test_why_ui.py): the error finder and the "Why?" view on the shipped Cora
model, with the node held in session state as the explorer holds it."""

import streamlit as st

from gat_viz.cache import ASSETS, entry_name
from gat_viz.checkpoint import load_checkpoint
from gat_viz.config import GATConfig
from gat_viz.data import load_dataset
from gat_viz.explore import model_outputs
from gat_viz.ui import errors, why
from gat_viz.ui.jobs import Loaded


@st.cache_resource
def setup():
    data = load_dataset("Cora")
    result = load_checkpoint(ASSETS / entry_name("Cora", GATConfig(), 0), data)
    return data, Loaded(result, model_outputs(result.model, data), "shipped")


def pick(node: int) -> None:
    st.session_state["node"] = node


st.set_page_config(layout="wide")
data, loaded = setup()
st.session_state.setdefault("node", int(st.query_params.get("node", 1842)))
errors.view(data, loaded, pick)
why.view(data, loaded, int(st.session_state["node"]))
