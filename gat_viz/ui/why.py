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

from gat_viz import explain, explainers, why_plots
from gat_viz.data import Graph as Data
from gat_viz.data import split_of
from gat_viz.i18n import N_, _, class_name, current
from gat_viz.numbers import fmt, pct
from gat_viz.ui.jobs import Loaded

UNIFORM, ALONE = "uniform attention", "features only"  # option values of the what-if pills
SCENARIOS = {UNIFORM: N_("uniform attention"), ALONE: N_("features only")}
SPLITS = {"train": N_("train"), "val": N_("val"), "test": N_("test"), "unlabelled": N_("unlabelled")}
# Column names of the explainers' table that are words (the others name methods).
METHODS = {"alpha": N_("alpha"), "effect": N_("effect")}
MAX_PILLS = 6  # neighbours offered as one-click what-ifs; the table lists every one


# --- pure helpers: the sentences ---------------------------------------------------------------


def says(names: list[str] | tuple[str, ...], probs: np.ndarray) -> str:
    """'Neural Networks, 62%': the class the probabilities pick, and its probability."""
    c = int(np.argmax(probs))
    # TRANSLATORS: a class and its probability, e.g. "Neural Networks, 62%".
    return _("{label}, {p}").format(label=class_name(names[c]), p=pct(float(probs[c])))


def headline(w: explain.Why, split: str) -> str:
    names = w.class_names
    values = dict(
        node=w.node,
        split=_(SPLITS.get(split, split)),
        label=class_name(names[w.label]),
        pred=class_name(names[w.pred]),
        p=pct(float(w.probs[w.pred])),
    )
    if w.correct:
        return _("Node {node} ({split}) is **{label}**; the model says **{pred}** ({p}): right.").format(
            **values
        )
    return _("Node {node} ({split}) is **{label}**; the model says **{pred}** ({p}): wrong.").format(**values)


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
            _(
                "No single edge changes the prediction. The largest change: without node {node} "
                "p({label}) goes from {before} to {after}."
            ).format(
                node=int(top["source"]),
                label=class_name(names[w.pred]),
                before=pct(float(w.probs[w.pred])),
                after=pct(after),
            )
        ]
    changed = changed.assign(right=changed["pred"] == w.label).sort_values(
        ["right", "effect"], ascending=[False, False]
    )
    lines = []
    for r in changed.itertuples(index=False):
        probs = drops.loc[drops["source"] == r.source, list(names)].to_numpy()[0]
        lines.append(
            _("Without node {node} the model says {says} ({outcome}).").format(
                node=int(r.source), says=says(names, probs), outcome=outcome(w, int(r.pred))
            )
        )
    return lines


def too_few(count: int) -> str:
    """The sentence for fewer than 3 neighbours, where a rank correlation says nothing."""
    if count == 1:
        return _("With {count} neighbour a rank correlation says nothing.").format(count=count)
    return _("With {count} neighbours a rank correlation says nothing.").format(count=count)


def rank_sentence(rho: float, count: int) -> str:
    """One line on whether attention and the drop-one effect agree for this node."""
    if count < 3 or math.isnan(rho):
        return too_few(count)
    if rho >= 0.5:
        text = _(
            "Spearman rank correlation of α and effect over {count} neighbours: {rho}. They agree: "
            "the edges with more attention matter more."
        )
    elif rho >= 0.2:
        text = _(
            "Spearman rank correlation of α and effect over {count} neighbours: {rho}. They agree weakly."
        )
    elif rho > -0.2:
        text = _(
            "Spearman rank correlation of α and effect over {count} neighbours: {rho}. They do not "
            "agree: attention does not tell which edges matter here."
        )
    else:
        text = _(
            "Spearman rank correlation of α and effect over {count} neighbours: {rho}. They disagree: "
            "the edges with more attention matter less, or work against the prediction."
        )
    return text.format(count=count, rho=fmt(rho, 2))


def outcome(w: explain.Why, c: int) -> str:
    """How a what-if's class relates to the prediction and to the truth, in the same words for
    every what-if: 'the prediction unchanged', 'changed; the true class', ..."""
    if c == w.pred:
        return (
            _("the prediction unchanged; the true class")
            if c == w.label
            else _("the prediction unchanged; not the true class")
        )
    return (
        _("the prediction changes; the true class")
        if c == w.label
        else _("the prediction changes; not the true class")
    )


def one_neighbour_note(w: explain.Why) -> str | None:
    rows = w.contributions
    others = rows[rows["source"] != w.node]
    if others["source"].nunique() == 1:
        j = int(others["source"].iloc[0])
        a_self = float(rows.loc[rows["source"] == w.node, "alpha"].sum())
        return _(
            "Node {node} has one neighbour (node {j}): attention has nothing to choose between "
            "neighbours. It only weighs node {j} (α = {a_j}) against the node itself (α = {a_self})."
        ).format(node=w.node, j=j, a_j=fmt(1 - a_self), a_self=fmt(a_self))
    if others.empty:
        return _("Node {node} has no neighbours: its prediction comes from its own features alone.").format(
            node=w.node
        )
    return None


def method_label(column: str) -> str:
    """A column of the explainers' table as shown: words translated, method names as they are."""
    return _(METHODS[column]) if column in METHODS else column


def _and(items: list[str]) -> str:
    """'A and B and C': tied methods, named one after the other."""
    text = items[0]
    for item in items[1:]:
        text = _("{first} and {second}").format(first=text, second=item)
    return text


def agreement_sentence(correlations: pd.DataFrame, count: int | None = None) -> str | None:
    """Which method orders the edges most like the exact drop-one effect, and which least.
    With fewer than 3 neighbours (`count`) a rank correlation says nothing, as in
    `rank_sentence`; ties for the best or the worst are named as ties."""
    if "effect" not in correlations:
        return None
    if count is not None and count < 3:
        return too_few(count)
    rho = correlations["effect"].drop("effect").dropna()
    if rho.empty:
        return None
    top, bottom = rho.max(), rho.min()
    best = [method_label(m) for m in rho.index[np.isclose(rho, top)]]
    worst = [method_label(m) for m in rho.index[np.isclose(rho, bottom)]]
    if np.isclose(top, bottom):
        return _("Ranked against the exact drop-one effect, every method agrees alike (ρ = {rho}).").format(
            rho=fmt(float(top), 2)
        )
    if len(best) == 1:
        text = _(
            "Ranked against the exact drop-one effect, {best} agrees most (ρ = {top}) and {worst} least "
            "(ρ = {bottom})."
        )
    else:
        text = _(
            "Ranked against the exact drop-one effect, {best} agree most (ρ = {top}) and {worst} least "
            "(ρ = {bottom})."
        )
    return text.format(
        best=_and(best), worst=_and(worst), top=fmt(float(top), 2), bottom=fmt(float(bottom), 2)
    )


def waterfall_caption(w: explain.Why, margin: pd.Series) -> str:
    """What the waterfall shows, in words: the colours, the largest single share, the rest."""
    names = w.class_names
    order = margin.abs().sort_values(ascending=False, kind="stable").index
    top = order[0]
    j = int(w.contributions["source"].loc[top])
    values = dict(
        pred=class_name(names[w.pred]),
        rival=class_name(names[w.rival]),
        node=j,
        share=fmt(abs(float(margin.loc[top])), 2),
        side=class_name(names[w.pred] if margin.loc[top] > 0 else names[w.rival]),
    )
    if j == w.node:
        first = _(
            "Green pushes toward {pred}, red toward {rival}. The largest share comes from its own "
            "layer-1 state (the self loop; that state already mixes in its neighbours, so it is not "
            "'its features alone'): {share} toward {side}."
        )
    else:
        first = _(
            "Green pushes toward {pred}, red toward {rival}. The largest share comes from node {node}: "
            "{share} toward {side}."
        )
    sentences = [first.format(**values)]
    rest = order[why_plots.MAX_BARS :]
    if len(rest):
        sentences.append(
            _("The {count} smaller shares add up to {total}.").format(
                count=len(rest), total=fmt(float(margin.loc[rest].sum()), 2)
            )
        )
    sentences.append(_("Shares, bias and margin are exact: layer 2 is linear in the messages it sums."))
    return " ".join(sentences)


def scenario_label(choice: str) -> str:
    """A what-if option as shown ('uniform attention', 'without node 12')."""
    if choice in SCENARIOS:
        return _(SCENARIOS[choice])
    return _("without node {node}").format(node=int(choice.rsplit(" ", 1)[-1]))


def scenario_caption(choice: str, says_text: str) -> str:
    if choice == UNIFORM:
        return _("Uniform attention: the model says {says}.").format(says=says_text)
    if choice == ALONE:
        return _("Features only: the model says {says}.").format(says=says_text)
    node = int(choice.rsplit(" ", 1)[-1])
    return _("Without node {node}: the model says {says}.").format(node=node, says=says_text)


def spearman(a: pd.Series, b: pd.Series) -> float:
    """Spearman's ρ: Pearson's r of the average ranks (what pandas' method="spearman" computes,
    without importing scipy.stats: half a second on a cold page)."""
    return float(a.rank().corr(b.rank()))


# --- the view ----------------------------------------------------------------------------------


def view(data: Data, loaded: Loaded, node: int) -> None:
    """The "Why?" view for `node`; all computation is memoised per model and node."""
    model = loaded.result.model
    out = loaded.outputs
    names = list(data.class_names)
    shown_names = [class_name(n) for n in names]
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
    fig = loaded.cached(("why figure", node, current()), lambda: why_plots.waterfall_figure(w, y, pred))
    st.plotly_chart(fig, key=f"why-waterfall-{node}", config={"displaylogo": False})
    margin = w.margin()
    if len(margin):
        st.caption(waterfall_caption(w, margin))

    st.markdown(_("##### What if?"))
    options = _scenario_options(w, drops)
    key = f"why-scenario-{node}-{abs(hash(tuple(options)))}"
    st.session_state.setdefault(key, options[0])
    choice = st.pills(
        _("Compare with"), options, key=key, width="stretch", format_func=scenario_label,
        help=_("One click runs the model again on the edit."),
    )  # fmt: skip
    choice = choice or options[0]
    cols = st.columns([1, 1.3])
    with cols[0]:
        st.markdown(_("**Which single edge flips the prediction?**"))
        for line in flip_sentences(w, drops) or [_("The node has no neighbours to remove.")]:
            st.markdown(f"- {line}")
        st.markdown(_("**Other what-ifs**"))
        line = _("With uniform attention the model says {says} ({outcome}).").format(
            says=says(names, uniform.numpy()), outcome=outcome(w, int(uniform.argmax()))
        )
        st.markdown(f"- {line}")
        line = _("From its own features alone it says {says} ({outcome}).").format(
            says=says(names, alone.numpy()), outcome=outcome(w, int(alone.argmax()))
        )
        st.markdown(f"- {line}")
    with cols[1]:
        probs = _scenario_probs(choice, uniform.numpy(), alone.numpy(), drops, names)
        st.plotly_chart(
            why_plots.what_if_figure(w.probs.numpy(), {scenario_label(choice): probs}, shown_names),
            key=f"why-whatif-{node}-{choice}",
            config={"displaylogo": False},
        )
        st.caption(scenario_caption(choice, says(names, probs)))

    if len(drops):
        st.markdown(_("##### Attention against effect"))
        table = drops[["source", "effect", "pred"]].copy()
        alpha = w.contributions[w.contributions["source"] != node].groupby("source")["alpha"].sum()
        table["alpha"] = table["source"].map(alpha)
        rho = spearman(table["alpha"], table["effect"]) if len(table) >= 3 else float("nan")
        st.markdown(rank_sentence(float(rho), len(table)))
        a, b = st.columns([1.2, 1])
        a.plotly_chart(
            why_plots.alpha_effect_figure(table, shown_names[w.pred], shown_names, y),
            key=f"why-scatter-{node}",
            config={"displaylogo": False},
        )
        with b:
            effect = _("effect")
            shown = pd.DataFrame(
                {
                    _("neighbour"): table["source"],
                    _("true label"): [shown_names[int(y[j])] for j in table["source"]],
                    "α": table["alpha"],
                    effect: table["effect"],
                    _("prediction without it"): [shown_names[int(c)] for c in table["pred"]],
                }
            ).sort_values(effect, ascending=False)
            st.dataframe(
                shown,
                hide_index=True,
                height=300,
                column_config={
                    "α": st.column_config.NumberColumn(format="%.3f"),
                    effect: st.column_config.NumberColumn(
                        format="%.3f", help=_(explainers.DESCRIPTIONS["effect"])
                    ),
                },
            )
        _explainers_panel(data, loaded, node)


def _scenario_options(w: explain.Why, drops: pd.DataFrame) -> list[str]:
    ordered = drops.assign(flip=drops["pred"] != w.pred, size=drops["effect"].abs())
    ordered = ordered.sort_values(["flip", "size"], ascending=[False, False]).head(MAX_PILLS)
    return [UNIFORM, ALONE] + [f"without node {int(j)}" for j in ordered["source"]]  # values, not labels


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
    st.markdown(_("##### Explainers from the ecosystem, side by side"))
    r = loaded.result
    asked = st.session_state.setdefault("why-explainers", set())
    mine = (data.name, r.config.key(), r.seed, node)
    if mine not in asked:
        st.caption(
            _(
                "PyG's GNNExplainer, AttentionExplainer and Captum's Integrated Gradients on this node's "
                "incoming edges, next to α and the exact drop-one effect. Takes a few seconds (longer for "
                "hubs)."
            )
        )
        st.button(
            _("Run the explainers"),
            icon=":material/play_arrow:",
            key=f"why-run-{node}",
            on_click=asked.add,
            args=(mine,),
        )
        return
    bar = st.progress(0.0, text=_("Starting the explainers"))

    def progress(done: int, total: int, what: str) -> None:
        if what == "done":
            text = _("Done")
        else:
            text = _("Running {method} ({step} of {total})").format(method=what, step=done + 1, total=total)
        bar.progress(done / total, text=text)

    comparison = loaded.cached(
        ("explainers", node), lambda: explainers.compare(r.model, data, node, on_progress=progress)
    )
    bar.empty()
    labels = {c: method_label(c) for c in comparison.columns}
    table = comparison.table.rename(columns={"source": _("neighbour"), **labels})
    st.dataframe(
        table,
        hide_index=True,
        column_config={labels[c]: st.column_config.NumberColumn(format="%.4f") for c in comparison.columns},
    )
    line = agreement_sentence(comparison.correlations, int((comparison.table["source"] != node).sum()))
    if line:
        st.markdown(line)
    st.markdown(_("Spearman rank correlations between the columns (1: same order, -1: reversed):"))
    st.dataframe(comparison.correlations.round(2).rename(index=labels, columns=labels))
    seconds = ", ".join(f"{method_label(m)} {s:.1f} s" for m, s in comparison.seconds.items())
    for column in comparison.columns:
        # TRANSLATORS: a column of the explainers' table and what it measures.
        st.caption(
            _("**{name}**: {description}").format(
                name=labels[column], description=_(explainers.DESCRIPTIONS[column])
            )
        )
    st.caption(_("Time on this machine: {seconds}.").format(seconds=seconds))
