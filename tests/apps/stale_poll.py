"""A test app (tests/test_browser.py::test_a_stale_poll_cannot_undo_a_click): the explorer's
node input, with its real key rule and callback, next to a polling fragment like the training
progress. The button moves the node from the server side, as a click on the chart does."""

import streamlit as st

from gat_viz.ui.state import centre, node_input_key, node_typed

state = st.session_state
state.setdefault("node", 0)


def jump() -> None:
    centre(state, 99)
    state["seen"] = []  # what the polls find from now on


st.button("Jump to node 99", on_click=jump)
key = node_input_key(state)
st.number_input("Node", 0, 200, value=int(state["node"]), key=key, on_change=node_typed, args=(state, key))


@st.fragment(run_every=0.25)
def poll() -> None:
    seen = state.setdefault("seen", [])
    seen.append(state["node"])
    st.write(f"Polls saw nodes {sorted(set(seen))}")


poll()
