"""The page's frame, drawn before anything heavy is imported: page settings, a compact style,
the title and a "loading" line. Imports streamlit only, so the browser shows the title within
a second of opening the page while torch and PyG load (`app.py`)."""

from __future__ import annotations

import threading

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from gat_viz import i18n
from gat_viz.i18n import N_, _
from gat_viz.ui import state

TITLE = N_("GAT Attention Explorer")
# A compact page, so that the graph fits a 1280×720 projector without scrolling: less padding
# above the first element and between elements.
COMPACT_CSS = """<style>
.block-container, [data-testid="stMainBlockContainer"] {padding-top: 3rem; padding-bottom: 1rem;}
[data-testid="stMainBlockContainer"] [data-testid="stVerticalBlock"] {gap: 0.45rem;}
[data-testid="stMainBlockContainer"] h4 {padding: 0 0 0.1rem 0;}
/* two lines kept for the model line, so that a longer one (a training) moves nothing below it */
.st-key-model_line {min-height: 3rem;}
.st-key-preload {display: none;}
/* a phone's header bar is taller: keep the title clear of it */
@media (max-width: 640px) {
  .block-container, [data-testid="stMainBlockContainer"] {padding-top: 4.2rem;}
}
</style>"""


# Presenter mode (`?present=1`): a projector at the back of a room. Larger text and controls;
# the sidebar starts collapsed. The layout is the same, so the graph still fits 1280×720.
PRESENT_CSS = """<style>
.block-container, [data-testid="stMainBlockContainer"] {padding-top: 3.6rem;}
[data-testid="stMainBlockContainer"] {font-size: 1.12rem;}
[data-testid="stMainBlockContainer"] [data-testid="stMarkdownContainer"] p {
  font-size: 1.12rem; line-height: 1.45;
}
[data-testid="stMainBlockContainer"] [data-testid="stCaptionContainer"] p {font-size: 0.98rem;}
.st-key-chapter_card h5 {font-size: 1.5rem;}
</style>"""


_FIRST_IMPORTS = threading.Lock()
PRELOAD = {"data": [{"type": "scatter", "x": [0], "y": [0]}], "layout": {"height": 10}}


def start() -> DeltaGenerator:
    """Draw the frame; returns the model line's slot, which says "loading" until the page
    replaces it with the model in use. The link is read first: it names the language and
    whether to present."""
    session = st.session_state
    state.open_link(session, st.query_params, st.context.locale)
    state.defaults(session)
    i18n.use(session["lang"])
    present = bool(session.get("present"))
    st.set_page_config(
        page_title=_(TITLE), page_icon=":material/hub:", layout="wide",
        initial_sidebar_state="collapsed" if present else "auto",
    )  # fmt: skip
    st.html(COMPACT_CSS + (PRESENT_CSS if present else ""))
    st.markdown(f"#### {_(TITLE)}")
    # A hidden one-point chart, first thing: the browser fetches and compiles the plotly chunk
    # (megabytes of JavaScript, loaded with a page's first chart) while the server imports torch,
    # instead of after the real graph arrives. First graph on a cold page: 4.8 → 3.3 s (measured).
    with st.container(key="preload"), _FIRST_IMPORTS:
        # Under a lock: the chart imports plotly, numpy and pandas, and sessions that open at once
        # (a class) would import them in parallel threads, where Python can hand one of them a
        # half-initialised module ("partially initialized module 'numpy'": seen in the load test).
        import pandas  # noqa: F401
        import plotly.graph_objects  # noqa: F401

        st.plotly_chart(PRELOAD, key="preload_chart", config={"staticPlot": True})
    slot = st.container(key="model_line").empty()
    slot.caption(_(":material/hourglass_top: Loading the model…"))
    return slot
