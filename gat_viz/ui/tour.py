"""The guided tour: a chapter's card (text, Back / Next, leave), entering a chapter, and the nodes
chapters pick by rule. The chapters themselves are data (gat_viz.chapters)."""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import TYPE_CHECKING, Any

import streamlit as st

from gat_viz import i18n
from gat_viz.chapters import CHAPTERS, OPENING, Chapter, chapter, facts, pick_node
from gat_viz.i18n import _
from gat_viz.ui import links

if TYPE_CHECKING:
    from gat_viz.ui.jobs import Loaded

# The parameters a chapter sets: the model and the view. Language and presenter mode stay.
CHAPTER_KEYS = tuple(p.key for p in links.PARAMS if p.name not in ("lang", "chapter", "present"))
SIDE_TAB_RELU = "ReLU vs LeakyReLU"  # the side tab's label (translated where drawn)


def enter(state: MutableMapping[str, Any], number: int | None) -> None:
    """Open chapter `number` (None leaves the tour, keeping the view): every model and view
    setting goes to the chapter's (the rest to its default). A callback or a link's first run."""
    if number is None:
        state["last_chapter"] = state.get("chapter")
        state["chapter"] = None
        return
    state["chapter"] = number
    ch = chapter(number)
    values, _notes = links.read(ch.view)  # a chapter's view is a link (tests: no notices)
    for p in links.PARAMS:
        if p.key in CHAPTER_KEYS:
            state[p.key] = values.get(p.key, p.default)
    state["chapter_node"] = ch.node
    if ch.panel == "relu":  # open the side tab: its state is its label, in the page's language
        with i18n.using(state.get("lang") or i18n.DEFAULT):
            state["side_tab"] = _(SIDE_TAB_RELU)


def current(state: MutableMapping[str, Any]) -> Chapter | None:
    number = state.get("chapter")
    return chapter(number) if number else None


def start_node(state: MutableMapping[str, Any], data: Any, loaded: Loaded, opening: int) -> int:
    """The node a view opens on: the chapter's rule (`chapters.pick_node`), or the opening node."""
    rule = state.get("chapter_node", OPENING) if state.get("chapter") else OPENING
    if rule == OPENING:
        return opening
    return loaded.cached(
        ("chapter node", rule), lambda: pick_node(rule, loaded.result, loaded.outputs, data, opening)
    )


def card(data: Any, ch: Chapter) -> None:
    """The chapter's title and text, and the buttons that move through the story."""
    box = st.container(border=True, key="chapter_card")
    with box:
        box.caption(_("Guided tour · chapter {n} of {total}").format(n=ch.number, total=len(CHAPTERS)))
        box.markdown(f"##### {_(ch.title)}")
        box.markdown(_(ch.text).format(**facts(data)))
        back, nxt = box.columns(2)
        back.button(
            _("Back"), icon=":material/arrow_back:", disabled=ch.number == 1, width="stretch",
            on_click=enter, args=(st.session_state, ch.number - 1), key="tour_back",
        )  # fmt: skip
        nxt.button(
            _("Next"), icon=":material/arrow_forward:", type="primary", disabled=ch.number == len(CHAPTERS),
            width="stretch", on_click=enter, args=(st.session_state, ch.number + 1), key="tour_next",
        )  # fmt: skip
        box.button(
            _("Leave the tour, keep this view"), icon=":material/explore:", type="tertiary", key="tour_leave",
            on_click=enter, args=(st.session_state, None),
            help=_("Explore freely from here; the sidebar's Guided tour button returns to this chapter."),
        )  # fmt: skip


def start_button() -> None:
    """In the sidebar: open the tour (at the chapter last left, else chapter 1)."""
    if st.session_state.get("chapter"):
        return
    st.sidebar.button(
        _("Guided tour"), icon=":material/school:", width="stretch", key="tour_start",
        on_click=enter, args=(st.session_state, st.session_state.get("last_chapter") or 1),
        help=_("Seven chapters through what a GAT learns, each opening the view it needs."),
    )  # fmt: skip
