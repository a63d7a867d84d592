"""The benchmark behind `python -m gat_viz bench`: speed against PyG's own loop, and accuracy.

Speed: PyG's `examples/gat.py` loop (dense input dropout, two `GATConv`, one step plus one
evaluation per epoch) and `gat_viz.train` run the same configuration on the same data in one
process, alternating in rounds so that drifts of the machine hit both. Each epoch is timed on
its own; the report gives medians and their ratio. `gat_viz.train` is timed through its
`on_epoch` callback, i.e. the real training function with everything it does per epoch.

Accuracy: test accuracy at the best-validation epoch, mean ± std over seeds, per dataset,
beside the paper's figures.
"""

from __future__ import annotations

import itertools
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch_geometric.data import Data

from gat_viz.config import GATConfig
from gat_viz.train import train


class PyGExampleGAT(torch.nn.Module):
    """The model of PyG's examples/gat.py, verbatim in substance."""

    def __init__(self, in_channels: int, hidden_channels: int, out_channels: int, heads: int):
        from torch_geometric.nn import GATConv

        super().__init__()
        self.conv1 = GATConv(in_channels, hidden_channels, heads, dropout=0.6)
        self.conv2 = GATConv(hidden_channels * heads, out_channels, heads=1, concat=False, dropout=0.6)

    def forward(self, x: torch.Tensor, edge_index: torch.Tensor) -> torch.Tensor:
        x = F.dropout(x, p=0.6, training=self.training)
        x = F.elu(self.conv1(x, edge_index))
        x = F.dropout(x, p=0.6, training=self.training)
        return self.conv2(x, edge_index)


class PyGExampleGATv2(PyGExampleGAT):
    """PyG's examples/gat.py model with `GATv2Conv` in place of `GATConv` (same sizes, dropout)."""

    def __init__(self, in_channels: int, hidden_channels: int, out_channels: int, heads: int):
        from torch_geometric.nn import GATv2Conv

        torch.nn.Module.__init__(self)
        self.conv1 = GATv2Conv(in_channels, hidden_channels, heads, dropout=0.6)
        self.conv2 = GATv2Conv(hidden_channels * heads, out_channels, heads=1, concat=False, dropout=0.6)


def pyg_example_epochs(data: Data, epochs: int, seed: int = 0, layer: str = "gat") -> list[float]:
    """Seconds per epoch of PyG's example loop: train() then test(), as in examples/gat.py; with
    `layer="gatv2"` the same loop with `GATv2Conv`."""
    torch.manual_seed(seed)
    model_cls = PyGExampleGATv2 if layer == "gatv2" else PyGExampleGAT
    model = model_cls(data.num_features, 8, int(data.y.max()) + 1, heads=8)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.005, weight_decay=5e-4)

    def train_step() -> float:
        model.train()
        optimizer.zero_grad()
        out = model(data.x, data.edge_index)
        loss = F.cross_entropy(out[data.train_mask], data.y[data.train_mask])
        loss.backward()
        optimizer.step()
        return loss.item()  # the example has float(loss), which torch 2.13 warns about

    @torch.no_grad()
    def test() -> list[float]:
        model.eval()
        pred = model(data.x, data.edge_index).argmax(dim=-1)
        masks = (data.train_mask, data.val_mask, data.test_mask)
        return [int((pred[m] == data.y[m]).sum()) / int(m.sum()) for m in masks]

    times = []
    for _ in range(epochs):
        start = time.perf_counter()
        train_step()
        test()
        times.append(time.perf_counter() - start)
    return times


def gat_viz_epochs(data: Data, epochs: int, seed: int = 0, layer: str = "gat") -> list[float]:
    """Seconds per epoch of `gat_viz.train` on the paper configuration (`layer` "gat" or
    "gatv2"), no early stop.

    Timed between consecutive `on_epoch` calls, so the first epoch (which also pays for the
    setup: sparse structures, model) is not among the epochs - 1 values returned.
    """
    stamps: list[float] = []
    config = GATConfig(layer=layer, max_epochs=epochs, patience=epochs)
    train(data, config, seed=seed, on_epoch=lambda _record: stamps.append(time.perf_counter()))
    return [b - a for a, b in itertools.pairwise(stamps)]


@dataclass
class SpeedReport:
    pyg_ms: float  # median per-epoch time of PyG's example loop
    ours_ms: float  # median per-epoch time of gat_viz.train
    pyg_mean_ms: float
    ours_mean_ms: float
    epochs: int  # timed epochs per implementation
    rounds: int
    threads: int

    @property
    def ratio(self) -> float:
        return self.pyg_ms / self.ours_ms


def speed(data: Data, epochs: int = 100, rounds: int = 3, warmup: int = 5,
          progress: Callable[[str], None] | None = None, layer: str = "gat") -> SpeedReport:  # fmt: skip
    """Alternate the two loops `rounds` times, `epochs` timed epochs each per round: PyG's
    example loop (with GATConv, or GATv2Conv for `layer="gatv2"`) against `gat_viz.train`."""
    pyg: list[float] = []
    ours: list[float] = []
    conv = "GATv2Conv" if layer == "gatv2" else "GATConv"
    for r in range(rounds):
        if progress:
            progress(f"round {r + 1}/{rounds}: PyG example loop with {conv}")
        pyg += pyg_example_epochs(data, epochs + warmup, seed=r, layer=layer)[warmup:]
        if progress:
            progress(f"round {r + 1}/{rounds}: gat_viz.train, layer={layer}")
        ours += gat_viz_epochs(data, epochs + warmup, seed=r, layer=layer)[warmup - 1 :]
    return SpeedReport(
        pyg_ms=statistics.median(pyg) * 1e3,
        ours_ms=statistics.median(ours) * 1e3,
        pyg_mean_ms=statistics.fmean(pyg) * 1e3,
        ours_mean_ms=statistics.fmean(ours) * 1e3,
        epochs=len(ours),
        rounds=rounds,
        threads=torch.get_num_threads(),
    )


@dataclass
class AccuracyReport:
    dataset: str
    seeds: list[int]
    test_accs: list[float]  # fractions (0.83 is 83%)
    epochs: list[int]
    seconds: float

    @property
    def mean(self) -> float:
        return statistics.fmean(self.test_accs)

    @property
    def std(self) -> float:
        return statistics.pstdev(self.test_accs) if len(self.test_accs) > 1 else 0.0


def accuracy(data: Data, seeds: int, config: GATConfig | None = None,
             progress: Callable[[str], None] | None = None) -> AccuracyReport:  # fmt: skip
    accs, epochs = [], []
    start = time.perf_counter()
    for seed in range(seeds):
        result = train(data, config or GATConfig(), seed=seed)
        accs.append(result.test_acc)
        epochs.append(result.epochs)
        if progress:
            progress(f"{data.name} seed {seed}: {accs[-1]:.1%} ({result.epochs} epochs)")
    return AccuracyReport(str(data.name), list(range(seeds)), accs, epochs, time.perf_counter() - start)


# --- "Why?" speed: explain.why + every drop-one what-if, and attention_effect ------------------------

WHY_TARGET_S = 0.3  # why + all drop-one what-ifs of a 10-neighbour node (issue 12)
EFFECT_TARGET_S = 1.0  # attention_effect on the test split


@dataclass
class WhyReport:
    node: int  # the 10-neighbour test node timed
    typical_s: float  # median seconds of why + drop_one for `node`
    hub_s: float  # the same for the hub (1358 on Cora)
    hub: int
    hub_neighbours: int
    effect_s: float  # median seconds of attention_effect on the test split
    fixed: int
    broken: int
    repeats: int
    threads: int
    best_s: tuple[float, float, float]  # fastest run of each: typical, hub, effect (less noise)

    @property
    def typical_ratio(self) -> float:
        """Time over target: below 1 meets it."""
        return self.typical_s / WHY_TARGET_S

    @property
    def effect_ratio(self) -> float:
        return self.effect_s / EFFECT_TARGET_S


def why_speed(data: Data, model: torch.nn.Module, hub: int = 1358, repeats: int = 11) -> WhyReport:
    """Median over `repeats` runs (after one warm-up) of what the "Why?" view computes per click,
    and the fastest run: on a shared machine the median moves with the neighbours' load."""
    from gat_viz import explain

    degree = torch.bincount(data.edge_index[1], minlength=data.num_nodes)
    tens = ((degree == 10) & data.test_mask).nonzero().view(-1)
    if tens.numel() == 0:
        raise ValueError(f"{data.name} has no test node with 10 neighbours")
    node = int(tens[0])

    best: list[float] = []

    def timed(fn: Callable[[], object]) -> float:
        fn()
        runs = []
        for _ in range(repeats):
            start = time.perf_counter()
            fn()
            runs.append(time.perf_counter() - start)
        best.append(min(runs))
        return statistics.median(runs)

    def explain_node(i: int) -> Callable[[], object]:
        return lambda: (explain.why(model, data, i), explain.drop_one(model, data, i))

    fixed, broken = explain.attention_effect(model, data, "test")
    typical_s, hub_s = timed(explain_node(node)), timed(explain_node(hub))
    effect_s = timed(lambda: explain.attention_effect(model, data, "test"))
    return WhyReport(
        node=node,
        typical_s=typical_s,
        hub_s=hub_s,
        hub=hub,
        hub_neighbours=int(degree[hub]),
        effect_s=effect_s,
        fixed=fixed,
        broken=broken,
        repeats=repeats,
        threads=torch.get_num_threads(),
        best_s=(best[0], best[1], best[2]),
    )


# --- The lessons table: variants × datasets × seeds (issue 13) ---------------------------------------

# The variants the teaching views compare, each one setting away from the paper's GAT.
LESSON_VARIANTS: dict[str, tuple[str, dict[str, object]]] = {
    "gat": ("GAT (LeakyReLU 0.2, the paper's)", {}),
    "relu": ("ReLU (slope 0)", {"activation": "relu"}),
    "slope1": ("slope 1 (no nonlinearity)", {"negative_slope": 1.0}),
    "prelu": ("PReLU (learned slope per head)", {"activation": "prelu"}),
    "frozen": ("attention frozen at initialisation", {"attention": "frozen"}),
    "uniform": ("uniform attention (Const-GAT)", {"attention": "uniform"}),
    "gatv2": ("GATv2", {"layer": "gatv2"}),
}
LESSONS_COMMAND = (
    "python -m gat_viz bench --variants gat,relu,slope1,prelu,frozen,uniform,gatv2 --seeds 10 "
    "--datasets Cora CiteSeer --out assets/lessons.json"
)


def variant_config(name: str) -> GATConfig:
    if name not in LESSON_VARIANTS:
        raise ValueError(f"unknown variant {name!r}: choose from {', '.join(LESSON_VARIANTS)}")
    return GATConfig().replace(**LESSON_VARIANTS[name][1])


@torch.no_grad()
def attention_stats(model: torch.nn.Module, data: Data) -> dict[str, float | None]:
    """Per trained model, from its layer-1 attention in eval mode, over nodes with more than one
    incoming edge (the others have no choice):
    - entropy_share: mean entropy / mean log(in-degree), as `teaching.uniformity_sentence` (1 = uniform)
    - entropy_gap: mean (log(in-degree) − entropy) in nats
    - dead_share: the share of layer-1 raw scores a_srcᵀWh_j + a_dstᵀWh_i below 0, the scores ReLU
      sends to 0 (None for GATv2, whose score has no such scalar, and for uniform attention)."""
    from gat_viz.attention import entropy, in_degree

    model.eval()
    first = model.trace(data.x, data.edge_index)[0]
    n = data.num_nodes
    ent = entropy(first.edge_index, first.alpha, n).mean(1).double()  # (N,) mean over heads
    uniform = torch.log(in_degree(first.edge_index, n).double().clamp_min(1))  # (N,)
    choice = uniform > 1e-9
    config = model.config
    dead = None
    if config.layer == "gat" and config.attention != "uniform":
        dead = float((first.raw < 0).double().mean())
    return {
        "entropy_share": float(ent[choice].mean() / uniform[choice].mean()),
        "entropy_gap": float((uniform[choice] - ent[choice]).mean()),
        "dead_share": dead,
    }


def lessons_table(
    datasets: dict[str, Data], variants: list[str], seeds: int,
    progress: Callable[[str], None] | None = None,
) -> dict[str, object]:  # fmt: skip
    """Train every variant on every dataset with seeds 0..seeds-1 (test accuracy at the kept
    best-validation weights) and return the table `gat_viz.lessons` reads. Runs one training at a
    time; the number of intra-op threads is recorded (results are reproducible for a given one)."""
    from gat_viz import __version__

    start = time.perf_counter()
    rows: dict[str, dict[str, dict[str, object]]] = {}
    for name, data in datasets.items():
        rows[name] = {}
        for variant in variants:
            config = variant_config(variant)
            runs = []
            for seed in range(seeds):
                result = train(data, config, seed=seed)
                runs.append({
                    "seed": seed, "test_acc": round(result.test_acc, 4),
                    "val_acc": round(result.val_acc, 4), "best_epoch": result.best_epoch,
                    "epochs": result.epochs, "seconds": round(result.seconds, 2),
                    **{k: (None if v is None else round(v, 5))
                       for k, v in attention_stats(result.model, data).items()},
                })  # fmt: skip
                if progress:
                    acc, epochs = runs[-1]["test_acc"], result.epochs
                    progress(f"{name} {variant} seed {seed}: {acc:.1%} ({epochs} epochs)")
            rows[name][variant] = _summarise(runs)
    return {
        "format": "gat_viz.lessons",
        "version": 2,  # 2: accuracies as fractions (version 1 had percent)
        "command": LESSONS_COMMAND,
        "package_version": __version__,
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "seeds": seeds,
        "seconds": round(time.perf_counter() - start, 1),
        "metric": "test accuracy (a fraction) of the weights kept by early stopping (best validation), "
        "standard split",
        "variants": {
            v: {"label": LESSON_VARIANTS[v][0], "config": variant_config(v).to_dict()} for v in variants
        },
        "rows": rows,
    }


def _summarise(runs: list[dict[str, object]]) -> dict[str, object]:
    """Mean and sample standard deviation (n − 1) over seeds of each number, plus the runs."""

    def stats(key: str) -> tuple[float | None, float | None]:
        values = [float(r[key]) for r in runs if r[key] is not None]  # type: ignore[arg-type]
        if not values:
            return None, None
        std = statistics.stdev(values) if len(values) > 1 else 0.0
        digits = 4 if key == "test_acc" else 5  # accuracies: fractions to 4 decimals, as everywhere
        return round(statistics.fmean(values), digits), round(std, digits)

    out: dict[str, object] = {"n": len(runs)}
    for key in ("test_acc", "entropy_share", "entropy_gap", "dead_share", "epochs"):
        out[f"{key}_mean"], out[f"{key}_std"] = stats(key)
    out["runs"] = runs
    return out
