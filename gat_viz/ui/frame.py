"""The page's frame, drawn before anything heavy is imported: page settings, a compact style,
the title and a "loading" line. Imports streamlit only, so the browser shows the title within
a second of opening the page while torch and PyG load (`app.py`)."""

from __future__ import annotations

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
    slot = st.container(key="model_line").empty()
    slot.caption(_(":material/hourglass_top: Loading the model…"))
    return slot
