"""The page's frame, drawn before anything heavy is imported: page settings, a compact style,
the title and a "loading" line. Imports streamlit only, so the browser shows the title within
a second of opening the page while torch and PyG load (`app.py`)."""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

TITLE = "GAT Attention Explorer"
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


def start() -> DeltaGenerator:
    """Draw the frame; returns the model line's slot, which says "loading" until the page
    replaces it with the model in use."""
    st.set_page_config(page_title=TITLE, page_icon=":material/hub:", layout="wide")
    st.html(COMPACT_CSS)
    st.markdown(f"#### {TITLE}")
    slot = st.container(key="model_line").empty()
    slot.caption(":material/hourglass_top: Loading the model…")
    return slot
