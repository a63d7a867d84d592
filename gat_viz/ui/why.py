"""The "Why?" view: why the model predicts what it does for one node, and what would change it.

Layout only: the numbers come from `gat_viz.explain` and `gat_viz.explainers`, the charts from
`gat_viz.why_plots`, and every sentence is built by a small pure function below from the
numbers shown next to it (tests/test_why_ui.py checks them).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import streamlit as st
from torch_geometric.data import Data

from gat_viz import explain, explainers, why_plots
from gat_viz.data import split_of
from gat_viz.numbers import fmt, pct
from gat_viz.ui.jobs import Loaded

UNIFORM, ALONE = "uniform attention", "features only"
MAX_PILLS = 6  # neighbours offered as one-click what-ifs; the table lists every one


# --- pure helpers: the sentences ---------------------------------------------------------------


def says(names: list[str] | tuple[str, ...], probs: np.ndarray) -> str:
    """'Neural_Networks, 62%': the class the probabilities pick, and its probability."""
    c = int(np.argmax(probs))
    return f"{names[c]}, {pct(float(probs[c]))}"


def headline(w: explain.Why, split: str) -> str:
    names = w.class_names
    verdict = "right" if w.correct else "wrong"
    return (
        f"Node {w.node} ({split}) is **{names[w.label]}**; the model says **{names[w.pred]}** "
        f"({pct(float(w.probs[w.pred]))}): {verdict}."
    )


def flip_sentences(w: explain.Why, drops: pd.DataFrame) -> list[str]:
    """Which single edges change the prediction, named in words, right ones first."""
    names = w.class_names
    changed = drops[drops["pred"] != w.pred]
    if changed.empty:
        if drops.empty:
            return []
        top = drops.loc[drops["effect"].abs().idxmax()]
        after = float(top[names[w.pred]])
        return [
            f"No single edge changes the prediction. The largest change: without node {int(top['source'])} "
            f"p({names[w.pred]}) goes from {pct(float(w.probs[w.pred]))} to {pct(after)}."
        ]
    changed = changed.assign(right=changed["pred"] == w.label).sort_values(
        ["right", "effect"], ascending=[False, False]
    )
    lines = []
    for r in changed.itertuples(index=False):
        probs = drops.loc[drops["source"] == r.source, list(names)].to_numpy()[0]
        lines.append(
            f"Without node {int(r.source)} the model says {says(names, probs)} ({outcome(w, int(r.pred))})."
        )
    return lines


def rank_sentence(rho: float, count: int) -> str:
    """One line on whether attention and the drop-one effect agree for this node."""
    if count < 3 or math.isnan(rho):
        return f"With {count} neighbour{'s' if count != 1 else ''} a rank correlation says nothing."
    if rho >= 0.5:
        verdict = "agree: the edges with more attention matter more"
    elif rho >= 0.2:
        verdict = "agree weakly"
    elif rho > -0.2:
        verdict = "do not agree: attention does not tell which edges matter here"
    else:
        verdict = "disagree: the edges with more attention matter less, or work against the prediction"
    return (
        f"Spearman rank correlation of α and effect over {count} neighbours: {fmt(rho, 2)}. They {verdict}."
    )


def outcome(w: explain.Why, c: int) -> str:
    """How a what-if's class relates to the prediction and to the truth, in the same words for
    every what-if: 'the prediction unchanged', 'changed; the true class', ..."""
    change = "the prediction unchanged" if c == w.pred else "the prediction changes"
    truth = "the true class" if c == w.label else "not the true class"
    return f"{change}; {truth}"


def one_neighbour_note(w: explain.Why) -> str | None:
    rows = w.contributions
    others = rows[rows["source"] != w.node]
    if others["source"].nunique() == 1:
        j = int(others["source"].iloc[0])
        a_self = float(rows.loc[rows["source"] == w.node, "alpha"].sum())
        return (
            f"Node {w.node} has one neighbour (node {j}): attention has nothing to choose between "
            f"neighbours. It only weighs node {j} (α = {fmt(1 - a_self)}) against the node itself "
            f"(α = {fmt(a_self)})."
        )
    if others.empty:
        return f"Node {w.node} has no neighbours: its prediction comes from its own features alone."
    return None


def agreement_sentence(correlations: pd.DataFrame, count: int | None = None) -> str | None:
    """Which method orders the edges most like the exact drop-one effect, and which least.
    With fewer than 3 neighbours (`count`) a rank correlation says nothing, as in
    `rank_sentence`; ties for the best or the worst are named as ties."""
    if "effect" not in correlations:
        return None
    if count is not None and count < 3:
        return f"With {count} neighbour{'s' if count != 1 else ''} a rank correlation says nothing."
    rho = correlations["effect"].drop("effect").dropna()
    if rho.empty:
        return None
    top, bottom = rho.max(), rho.min()
    best = " and ".join(rho.index[np.isclose(rho, top)])
    worst = " and ".join(rho.index[np.isclose(rho, bottom)])
    if np.isclose(top, bottom):
        return (
            f"Ranked against the exact drop-one effect, every method agrees alike (ρ = {fmt(float(top), 2)})."
        )
    return (
        f"Ranked against the exact drop-one effect, {best} agree{'s' if ' and ' not in best else ''} most "
        f"(ρ = {fmt(float(top), 2)}) and {worst} least (ρ = {fmt(float(bottom), 2)})."
    )


def waterfall_caption(w: explain.Why, margin: pd.Series) -> str:
    """What the waterfall shows, in words: the colours, the largest single share, the rest."""
    names = w.class_names
    order = margin.abs().sort_values(ascending=False, kind="stable").index
    top = order[0]
    j = int(w.contributions["source"].loc[top])
    who = (
        "its own layer-1 state (the self loop; that state already mixes in its neighbours, so it is "
        "not 'its features alone')"
        if j == w.node
        else f"node {j}"
    )
    side = names[w.pred] if margin.loc[top] > 0 else names[w.rival]
    text = (
        f"Green pushes toward {names[w.pred]}, red toward {names[w.rival]}. The largest share comes from "
        f"{who}: {fmt(abs(float(margin.loc[top])), 2)} toward {side}."
    )
    rest = order[why_plots.MAX_BARS :]
    if len(rest):
        text += f" The {len(rest)} smaller shares add up to {fmt(float(margin.loc[rest].sum()), 2)}."
    return text + " Shares, bias and margin are exact: layer 2 is linear in the messages it sums."


# --- the view ----------------------------------------------------------------------------------


def view(data: Data, loaded: Loaded, node: int) -> None:
    """The "Why?" view for `node`; all computation is memoised per model and node."""
    model = loaded.result.model
    out = loaded.outputs
    names = list(data.class_names)
    w = loaded.cached(("why", node), lambda: explain.why(model, data, node))
    drops = loaded.cached(("drop_one", node), lambda: explain.drop_one(model, data, node))
    uniform = loaded.cached(
        ("uniform", node), lambda: explain.what_if(model, data, node, attention="uniform")
    )
    alone = loaded.cached(("alone", node), lambda: explain.what_if(model, data, node, drop="all"))
    y, pred = data.y.numpy(), out.pred.numpy()
    st.markdown(headline(w, split_of(data, node)))
    note = one_neighbour_note(w)
    if note:
        st.info(note, icon=":material/info:")
    fig = loaded.cached(("why figure", node), lambda: why_plots.waterfall_figure(w, y, pred))
    st.plotly_chart(fig, key=f"why-waterfall-{node}", config={"displaylogo": False})
    margin = w.margin()
    if len(margin):
        st.caption(waterfall_caption(w, margin))

    st.markdown("##### What if?")
    options = _scenario_options(w, drops)
    key = f"why-scenario-{node}-{abs(hash(tuple(options)))}"
    st.session_state.setdefault(key, options[0])
    choice = st.pills(
        "Compare with", options, key=key, width="stretch", help="One click runs the model again on the edit."
    )
    choice = choice or options[0]
    cols = st.columns([1, 1.3])
    with cols[0]:
        st.markdown("**Which single edge flips the prediction?**")
        for line in flip_sentences(w, drops) or ["The node has no neighbours to remove."]:
            st.markdown(f"- {line}")
        st.markdown("**Other what-ifs**")
        tag = outcome(w, int(uniform.argmax()))
        st.markdown(f"- With uniform attention the model says {says(names, uniform.numpy())} ({tag}).")
        tag = outcome(w, int(alone.argmax()))
        st.markdown(f"- From its own features alone it says {says(names, alone.numpy())} ({tag}).")
    with cols[1]:
        probs = _scenario_probs(choice, uniform.numpy(), alone.numpy(), drops, names)
        st.plotly_chart(
            why_plots.what_if_figure(w.probs.numpy(), {choice: probs}, names),
            key=f"why-whatif-{node}-{choice}",
            config={"displaylogo": False},
        )
        st.caption(f"{choice.capitalize()}: the model says {says(names, probs)}.")

    if len(drops):
        st.markdown("##### Attention against effect")
        table = drops[["source", "effect", "pred"]].copy()
        alpha = w.contributions[w.contributions["source"] != node].groupby("source")["alpha"].sum()
        table["alpha"] = table["source"].map(alpha)
        rho = table["alpha"].corr(table["effect"], method="spearman") if len(table) >= 3 else float("nan")
        st.markdown(rank_sentence(float(rho), len(table)))
        a, b = st.columns([1.2, 1])
        a.plotly_chart(
            why_plots.alpha_effect_figure(table, names[w.pred], names, y),
            key=f"why-scatter-{node}",
            config={"displaylogo": False},
        )
        with b:
            shown = pd.DataFrame(
                {
                    "neighbour": table["source"],
                    "true label": [names[int(y[j])] for j in table["source"]],
                    "α": table["alpha"],
                    "effect": table["effect"],
                    "prediction without it": [names[int(c)] for c in table["pred"]],
                }
            ).sort_values("effect", ascending=False)
            st.dataframe(
                shown,
                hide_index=True,
                height=300,
                column_config={
                    "α": st.column_config.NumberColumn(format="%.3f"),
                    "effect": st.column_config.NumberColumn(
                        format="%.3f", help=explainers.DESCRIPTIONS["effect"]
                    ),
                },
            )
        _explainers_panel(data, loaded, node)


def _scenario_options(w: explain.Why, drops: pd.DataFrame) -> list[str]:
    ordered = drops.assign(flip=drops["pred"] != w.pred, size=drops["effect"].abs())
    ordered = ordered.sort_values(["flip", "size"], ascending=[False, False]).head(MAX_PILLS)
    return [UNIFORM, ALONE] + [f"without node {int(j)}" for j in ordered["source"]]


def _scenario_probs(
    choice: str, uniform: np.ndarray, alone: np.ndarray, drops: pd.DataFrame, names: list[str]
) -> np.ndarray:
    if choice == UNIFORM:
        return uniform
    if choice == ALONE:
        return alone
    j = int(choice.rsplit(" ", 1)[-1])
    return drops.loc[drops["source"] == j, names].to_numpy()[0]


def _explainers_panel(data: Data, loaded: Loaded, node: int) -> None:
    st.markdown("##### Explainers from the ecosystem, side by side")
    r = loaded.result
    asked = st.session_state.setdefault("why-explainers", set())
    mine = (data.name, r.config.key(), r.seed, node)
    if mine not in asked:
        st.caption(
            "PyG's GNNExplainer, AttentionExplainer and Captum's Integrated Gradients on this node's "
            "incoming edges, next to α and the exact drop-one effect. Takes a few seconds (longer for hubs)."
        )
        st.button(
            "Run the explainers",
            icon=":material/play_arrow:",
            key=f"why-run-{node}",
            on_click=asked.add,
            args=(mine,),
        )
        return
    bar = st.progress(0.0, text="Starting the explainers")

    def progress(done: int, total: int, what: str) -> None:
        text = "Done" if what == "done" else f"Running {what} ({done + 1} of {total})"
        bar.progress(done / total, text=text)

    comparison = loaded.cached(
        ("explainers", node), lambda: explainers.compare(r.model, data, node, on_progress=progress)
    )
    bar.empty()
    table = comparison.table.rename(columns={"source": "neighbour"})
    st.dataframe(
        table,
        hide_index=True,
        column_config={c: st.column_config.NumberColumn(format="%.4f") for c in comparison.columns},
    )
    line = agreement_sentence(comparison.correlations, int((comparison.table["source"] != node).sum()))
    if line:
        st.markdown(line)
    st.markdown("Spearman rank correlations between the columns (1: same order, -1: reversed):")
    st.dataframe(comparison.correlations.round(2))
    seconds = ", ".join(f"{m} {s:.1f} s" for m, s in comparison.seconds.items())
    for column in comparison.columns:
        st.caption(f"**{column}**: {explainers.DESCRIPTIONS[column]}")
    st.caption(f"Time on this machine: {seconds}.")
