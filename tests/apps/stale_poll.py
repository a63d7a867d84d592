"""A test app (tests/test_browser.py::test_a_stale_poll_cannot_undo_a_click): the explorer's
node input, with its real callback, next to a polling fragment like the training progress.
The button moves the node from the server side, as a click on the chart does."""

import streamlit as st

from gat_viz.ui.explorer import on_node_input
from gat_viz.ui.state import centre


def jump() -> None:
    centre(st.session_state, 99)
    st.session_state["seen"] = []  # what the polls find from now on


st.button("Jump to node 99", on_click=jump)
node = st.number_input("Node", 0, 200, key="node", on_change=on_node_input)
st.session_state["drawn"] = node


@st.fragment(run_every=0.25)
def poll() -> None:
    seen = st.session_state.setdefault("seen", [])
    seen.append(st.session_state["node"])
    st.write(f"Polls saw nodes {sorted(set(seen))}")


poll()
