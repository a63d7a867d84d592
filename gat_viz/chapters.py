"""The guided story: seven chapters along the tutorial's arc, each a short text and the exact view
it needs, written as the link parameters that give that view (gat_viz.ui.links reads them, so a
chapter is a link and every chapter's setting is one the sliders can hold).

Every model a chapter needs ships in assets/models (the paper's GAT on Cora and its GATv2 twin),
so the tour never waits on a training. A chapter's text states no result of its own: the numbers
are in the views it opens, whose sentences are made from them. `{fields}` in a text are facts of
the dataset filled in by the page (`facts`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gat_viz.i18n import N_

# The chapter's panel: which part of the page carries its point.
PANELS = ("graph", "relu", "heads", "learns", "static", "why")
# Nodes a chapter names by rule, chosen when the chapter opens (`pick_node`).
OPENING, NEGATIVE, DYNAMIC, WRONG = "opening", "negative", "dynamic", "wrong"


@dataclass(frozen=True)
class Chapter:
    number: int
    title: str  # N_-marked: translated where shown
    text: str
    view: dict[str, str] = field(default_factory=dict)  # link parameters; the rest take their defaults
    panel: str = "graph"
    node: str = OPENING  # a rule of `pick_node`


CHAPTERS = (
    Chapter(
        1,
        N_("Cora and the task"),
        N_(
            "Cora is a citation graph: each node is a machine-learning paper, each arrow a citation, and "
            "each paper has one of {classes} topics. The GAT reads each paper's words ({features} word "
            "features) and learns from only {train} labelled papers, then predicts the topic of {test} "
            "test papers. The colours are the true topics; the centre is a test paper."
        ),
        {"dataset": "Cora", "mode": "computation graph", "colour": "true"},
    ),
    Chapter(
        2,
        N_("Attention on one node"),
        N_(
            "To predict the centre, layer 2 mixes its neighbours' messages with weights α that sum to 1 "
            "(dark arrows); layer 1 did the same one step further out (light arrows). Width grows with α. "
            "With “α × uniform” on, 1 means no preference: magenta edges get more than an even share, "
            "indigo ones less."
        ),
        {"dataset": "Cora", "mode": "computation graph", "relative": "1"},
    ),
    Chapter(
        3,
        N_("LeakyReLU against ReLU"),
        N_(
            "Each score e_ij passes through LeakyReLU before the softmax. With slope 0 (ReLU) every "
            "negative score becomes 0: those edges tie and get no gradient. The centre is the test paper "
            "with the most negative scores in head 1; the panel on the right passes them through both "
            "functions. PReLU learns one slope per head."
        ),
        {"dataset": "Cora", "mode": "one layer", "hops": "1", "layer": "1", "head": "1"},
        panel="relu",
        node=NEGATIVE,
    ),
    Chapter(
        4,
        N_("Many heads"),
        N_(
            "Layer 1 has several heads, each with its own attention over the same neighbours. The grid "
            "draws the neighbourhood once per head and once for their mean, on one width scale; the line "
            "below it says how much the heads differ."
        ),
        {"dataset": "Cora", "mode": "heads grid", "layer": "1"},
        panel="heads",
    ),
    Chapter(
        5,
        N_("Must attention be learned?"),
        N_(
            "The tutorial ends on “attention must be learnable”. Here: how far this model's attention "
            "parameters moved in training, and a table over many seeds that compares learned, frozen and "
            "uniform attention, each verdict made by a stated rule. The paper's PPI result shows where "
            "learning matters."
        ),
        {"dataset": "Cora", "mode": "computation graph"},
        panel="learns",
    ),
    Chapter(
        6,
        N_("Static against dynamic attention"),
        N_(
            "LeakyReLU only rises, so GAT ranks a node's neighbours the same way for every node that has "
            "them: static attention. GATv2 applies it before the scoring vector, so the order can change "
            "from node to node. Here: the GATv2 model, centred where its head 1 reorders shared sources "
            "most often."
        ),
        {"dataset": "Cora", "attention": "gatv2", "mode": "computation graph"},
        panel="static",
        node=DYNAMIC,
    ),
    Chapter(
        7,
        N_("Why was this node wrong?"),
        N_(
            "The centre is a test paper the model gets wrong: of those with 3–8 neighbours that one "
            "removed citation would put right, the one the model is most sure of. Its prediction is a sum "
            "of one contribution per incoming edge, and the what-ifs run the model again without an edge."
        ),
        {"dataset": "Cora", "mode": "computation graph"},
        panel="why",
        node=WRONG,
    ),
)


LEGIBLE = (3, 8)  # neighbours of a chapter's centre: a readable picture, and attention has a choice


def pick_node(rule: str, result: Any, out: Any, data: Any, opening: int) -> int:
    """The centre a chapter's rule names, for this model (`result`, its `outputs`):
    - OPENING: the app's opening node (`explore.default_node`, passed in);
    - NEGATIVE: of the test nodes with 3–8 neighbours, the one with the most incoming edges whose
      raw layer-1 score in head 1 is negative (ReLU sends them to 0);
    - DYNAMIC: of those test nodes, the one whose view in the static/dynamic panel (layer 1,
      head 1) holds the most pairs of shared sources that two targets rank in opposite orders;
    - WRONG: of the misclassified test nodes with 3–8 neighbours, those one removed edge would
      put right first, the one the model is most sure of.
    Ties go to the smallest id; `opening` when no node qualifies."""
    import torch

    deg = out.in_degree - 1  # (N,) neighbours, the self loop excluded
    legible = data.test_mask & (deg >= LEGIBLE[0]) & (deg <= LEGIBLE[1])  # (N,)
    if rule == NEGATIVE:
        trace = out.traces[0]
        negative = (trace.raw[:, 0] < 0).float()  # (E,) head 1
        count = torch.zeros(data.num_nodes).index_add_(0, trace.edge_index[1], negative)  # (N,)
        return _best(torch.where(legible, count, torch.full_like(count, -1.0)), opening)
    if rule == DYNAMIC:
        from gat_viz.ranking import rank_view

        trace = out.traces[0]
        score = torch.full((data.num_nodes,), -1.0)
        for n in legible.nonzero().view(-1).tolist():
            score[n] = rank_view(trace, n, 0).result.opposite
        return _best(score, opening)
    if rule == WRONG:
        from gat_viz import explain

        table = explain.error_table(result.model, data)
        neighbours = table["in_degree"] - 1  # in_degree counts the self loop
        pool = table[(neighbours >= LEGIBLE[0]) & (neighbours <= LEGIBLE[1])]
        fixable = pool[pool["fix_edge"] >= 0]
        pool = fixable if len(fixable) else pool
        if pool.empty:
            return opening
        return int(pool.sort_values(["confidence", "node"], ascending=[False, True]).iloc[0]["node"])
    return opening


def _best(score: Any, fallback: int) -> int:
    """The first index of the largest score (argmax keeps the first: the smallest id)."""
    best = int(score.argmax())
    return best if float(score[best]) > 0 else fallback


def chapter(number: int) -> Chapter:
    return CHAPTERS[min(max(number, 1), len(CHAPTERS)) - 1]


def facts(data: Any) -> dict[str, str]:
    """The dataset facts a chapter's text may name, counted from the graph itself."""
    return {
        "classes": str(len(data.class_names)),
        "features": f"{int(data.x.size(1)):,}",
        "train": f"{int(data.train_mask.sum()):,}",
        "test": f"{int(data.test_mask.sum()):,}",
    }
