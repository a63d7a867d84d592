r"""The lessons table: what holds over many seeds, and the one rule that turns it into sentences.

`assets/lessons.json` holds, per dataset and variant (the paper's GAT, ReLU, slope 1, PReLU, frozen
attention, uniform attention, GATv2), the test accuracy of the weights early stopping kept over
`seeds` seeds (mean and sample standard deviation), the layer-1 attention entropy as a share of the
uniform entropy, and the share of raw scores below 0. It is reproduced by one command (`COMMAND`,
see `gat_viz.bench.lessons_table`). This module only reads JSON: no torch, cheap for the app.

The sentence rule. Two variants A and B with means m, sample standard deviations s and n seeds each:

.. math::
    d = m_A - m_B, \qquad \mathrm{SE}(d) = \sqrt{s_A^2 / n_A + s_B^2 / n_B}

If |d| ≤ 2·SE(d), the sentence reads "no measurable difference on <dataset> (<n> seeds)"; otherwise
it names the higher variant and the difference in points, with the same "(n seeds)". Two standard
errors is roughly a 95% band for the difference of two means; no sentence claims more than that.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gat_viz.i18n import N_, _

ASSET = Path(__file__).resolve().parent.parent / "assets" / "lessons.json"
COMMAND = (
    "python -m gat_viz bench --variants gat,relu,slope1,prelu,frozen,uniform,gatv2 --seeds 10 "
    "--datasets Cora CiteSeer --out assets/lessons.json"
)
FORMAT = "gat_viz.lessons"
# The variant labels `gat_viz.bench.LESSON_VARIANTS` writes into the table, marked for translation:
# sentences show a row's label through `_()` (a label not listed here is shown as the table has it).
LABELS = (
    N_("GAT (LeakyReLU 0.2, the paper's)"), N_("ReLU (slope 0)"), N_("slope 1 (no nonlinearity)"),
    N_("PReLU (learned slope per head)"), N_("attention frozen at initialisation"),
    N_("uniform attention (Const-GAT)"), N_("GATv2"),
)  # fmt: skip

# The GAT paper's PPI results (micro-F1, mean ± std over 10 runs; Veličković et al., 2018, Table 3):
# the setting in which learned attention clearly beats constant attention.
PPI = {"gat": (0.973, 0.002), "uniform": (0.934, 0.006)}


class LessonsError(ValueError):
    """The table file is missing or not a lessons table."""


@dataclass(frozen=True)
class Row:
    """One variant on one dataset, over `n` seeds. Accuracies in percent."""

    dataset: str
    variant: str
    label: str
    n: int
    mean: float
    std: float  # sample standard deviation (n − 1)
    entropy_share: float | None  # layer-1 mean entropy / mean log(in-degree); 1 = uniform
    entropy_gap: float | None  # nats below uniform, mean over nodes with a choice
    dead_share: float | None  # layer-1 raw scores < 0 (None where there is no such score)
    accs: tuple[float, ...]

    @property
    def se(self) -> float:
        """Standard error of the mean."""
        return self.std / math.sqrt(self.n) if self.n else math.inf

    def accuracy(self) -> str:
        return f"{self.mean:.1f} ± {self.std:.1f}%"


def compare(a: Row, b: Row) -> str:
    """The rule (see the module docstring) as one sentence about A against B."""
    if a.dataset != b.dataset:
        raise ValueError("compare rows of the same dataset")
    d = a.mean - b.mean
    se = math.sqrt(a.se**2 + b.se**2)
    label_a, label_b = _(a.label), _(b.label)
    fields = dict(
        A=_cap(label_a), a=label_a, b=label_b, dataset=a.dataset, n=a.n, n_a=a.n, n_b=b.n,
        acc_a=a.accuracy(), acc_b=b.accuracy(), hi=label_a if d > 0 else label_b, d=abs(d), se=se,
    )  # fmt: skip
    if abs(d) <= 2 * se:
        if a.n == b.n:
            template = _(
                "{A} vs {b}: no measurable difference on {dataset} ({n} seeds): {a} {acc_a}, {b} {acc_b}."
            )
        else:
            template = _(
                "{A} vs {b}: no measurable difference on {dataset} ({n_a} and {n_b} seeds): "
                "{a} {acc_a}, {b} {acc_b}."
            )
    elif a.n == b.n:
        template = _(
            "{A} vs {b}: {hi} is {d:.1f} points higher on {dataset} ({n} seeds), more than twice the "
            "standard error of the difference ({se:.2f}): {a} {acc_a}, {b} {acc_b}."
        )
    else:
        template = _(
            "{A} vs {b}: {hi} is {d:.1f} points higher on {dataset} ({n_a} and {n_b} seeds), more than "
            "twice the standard error of the difference ({se:.2f}): {a} {acc_a}, {b} {acc_b}."
        )
    return template.format(**fields)


def verdict(a: Row, b: Row) -> str:
    """A against B by the rule: "same", "higher" or "lower"."""
    d = a.mean - b.mean
    if abs(d) <= 2 * math.sqrt(a.se**2 + b.se**2):
        return "same"
    return "higher" if d > 0 else "lower"


class Lessons:
    """The table, read from JSON (`load`) or from `gat_viz.bench.lessons_table`'s dict."""

    def __init__(self, table: dict[str, Any]) -> None:
        if not isinstance(table, dict) or table.get("format") != FORMAT:
            raise LessonsError("not a gat_viz lessons table")
        self.table = table
        self.seeds = int(table.get("seeds", 0))
        self.command = str(table.get("command", COMMAND))
        self.labels = {k: str(v.get("label", k)) for k, v in table.get("variants", {}).items()}
        # Version 2 tables hold accuracies as fractions, version 1 (the first shipped) in percent.
        self.to_percent = 100.0 if table.get("version") == 2 else 1.0

    @classmethod
    def load(cls, path: str | Path = ASSET) -> Lessons:
        path = Path(path)
        try:
            return cls(json.loads(path.read_text()))
        except FileNotFoundError as exc:
            raise LessonsError(f"{path}: no lessons table; make it with: {COMMAND}") from exc
        except json.JSONDecodeError as exc:
            raise LessonsError(f"{path}: corrupt JSON ({exc.msg})") from exc

    @property
    def datasets(self) -> list[str]:
        return list(self.table.get("rows", {}))

    def variants(self, dataset: str) -> list[str]:
        return list(self.table.get("rows", {}).get(dataset, {}))

    def row(self, dataset: str, variant: str) -> Row | None:
        raw = self.table.get("rows", {}).get(dataset, {}).get(variant)
        if raw is None:
            return None
        return Row(
            dataset=dataset, variant=variant, label=self.labels.get(variant, variant), n=int(raw["n"]),
            mean=float(raw["test_acc_mean"]) * self.to_percent,
            std=float(raw["test_acc_std"]) * self.to_percent,
            entropy_share=raw.get("entropy_share_mean"), entropy_gap=raw.get("entropy_gap_mean"),
            dead_share=raw.get("dead_share_mean"),
            accs=tuple(float(r["test_acc"]) * self.to_percent for r in raw.get("runs", [])),
        )  # fmt: skip

    def sentence(self, dataset: str, a: str, b: str) -> str | None:
        """The rule's sentence for variants a and b on `dataset`, or None if either is missing."""
        ra, rb = self.row(dataset, a), self.row(dataset, b)
        return None if ra is None or rb is None else compare(ra, rb)

    def summary(self) -> str:
        """A plain-text table, one line per dataset and variant."""
        lines = [f"Test accuracy at best validation, mean ± std over {self.seeds} seeds; layer-1 attention:"]
        for dataset in self.datasets:
            for variant in self.variants(dataset):
                r = self.row(dataset, variant)
                assert r is not None
                ent = "" if r.entropy_share is None else f"  entropy {r.entropy_share:.2%} of uniform"
                dead = "" if r.dead_share is None else f"  raw<0 {r.dead_share:.1%}"
                lines.append(f"  {dataset:9} {variant:8} {r.accuracy():>14}{ent}{dead}")
        return "\n".join(lines)


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


# --- Reading the table for the teaching views ----------------------------------------------------------


def variant_of(config: Any) -> str | None:
    """The table's name for a `GATConfig`, if it is one of the table's variants (everything else at
    the paper's values), else None."""
    from gat_viz.config import GATConfig

    paper = GATConfig()
    # The same as gat_viz.bench.LESSON_VARIANTS, without importing torch.
    changes = {
        "gat": {}, "relu": {"activation": "relu"}, "slope1": {"negative_slope": 1.0},
        "prelu": {"activation": "prelu"}, "frozen": {"attention": "frozen"},
        "uniform": {"attention": "uniform"}, "gatv2": {"layer": "gatv2"},
    }  # fmt: skip
    for name, change in changes.items():
        if config == paper.replace(**change):
            return name
    return None


def table_sentence(lessons: Lessons | None, dataset: str, a: str, b: str) -> str:
    """The rule's sentence for variants a and b, or a plain note of why there is none."""
    if lessons is None:
        return _("No many-seed table is installed; make it with `{command}`.").format(command=COMMAND)
    text = lessons.sentence(dataset, a, b)
    if text is None:
        return _("The table has no {dataset} rows for {a} and {b}.").format(dataset=dataset, a=a, b=b)
    return text


def learns_story(lessons: Lessons | None, dataset: str) -> list[str]:
    """The "attention learns" view's closing lesson as paragraphs, every comparison from the table."""
    out = [
        _(
            "**The tutorial's closing example, on this graph.** A text classifier that *averages its word "
            "vectors* gives every word the same weight: that is uniform attention, α_ij = 1/|N(i)| (the "
            "paper's Const-GAT). One that scores each word with a *learned vector* — an `nn.Parameter` in "
            "the loss's computation graph, so the gradient reaches it and moves it — is GAT: a_src and "
            "a_dst are those parameters (the curves above are their gradient and their distance travelled)."
        ),
        _(
            "There are two ways of *not* learning the scoring vector: **frozen** (a_src, a_dst stay at "
            "their random initial values: a fixed, arbitrary weighting) and **uniform** (a = 0: the plain "
            "average)."
        ),
    ]
    if lessons is None:
        out.append(_("No many-seed table is installed; make it with `{command}`.").format(command=COMMAND))
        return out
    gat, frozen, uniform = (lessons.row(dataset, v) for v in ("gat", "frozen", "uniform"))
    if gat is None or frozen is None or uniform is None:
        out.append(_("The table has no {dataset} rows for gat, frozen and uniform.").format(dataset=dataset))
        return out
    costs = _(
        "What each costs on {dataset} ({n} seeds, test accuracy mean ± std): learned {learned}, "
        "frozen {frozen}, uniform {uniform}."
    ).format(
        dataset=dataset, n=gat.n, learned=gat.accuracy(), frozen=frozen.accuracy(), uniform=uniform.accuracy()
    )
    out.append(f"{costs}  \n{compare(gat, frozen)}  \n{compare(gat, uniform)}")
    if gat.entropy_share is not None and gat.entropy_gap is not None:
        out.append(
            _(
                "Why so little: learned attention on {dataset} keeps {share:.2%} of the uniform entropy in "
                "layer 1 ({gap:.1e} nats below it on average, mean over {n} seeds): the trained scoring "
                "vector hardly tells neighbours apart, so the model is close to an average already. "
                "Neighbours in a citation graph mostly share the node's class, so weighting them evenly "
                "loses little."
            ).format(dataset=dataset, share=gat.entropy_share, gap=gat.entropy_gap, n=gat.n)
        )
    g, c = PPI["gat"], PPI["uniform"]
    out.append(
        _(
            "Where learning the scores matters, in the paper: on PPI (protein interactions, inductive, 121 "
            "labels) GAT reaches micro-F1 {gat:.3f} ± {gat_std:.3f} against {uniform:.3f} ± "
            "{uniform_std:.3f} for Const-GAT (Veličković et al., 2018, Table 3): there, neighbours differ in "
            "what they tell."
        ).format(gat=g[0], gat_std=g[1], uniform=c[0], uniform_std=c[1])
    )
    return out
