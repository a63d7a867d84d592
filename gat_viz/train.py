"""train(): the paper's training loop, seeded, early-stopped, cancellable, and fast on CPU.

One epoch = one Adam step on the training nodes plus one evaluation forward for the
validation and test accuracy, as in PyG's `examples/gat.py`. Early stopping follows the
paper's code: an epoch that improves neither validation loss nor validation accuracy counts
towards the patience; the weights kept are those of the last epoch that improved both, and
`test_acc` is the test accuracy of those weights. Dropout in training follows the paper's code as
well: on each layer's input, on α_ij, and on the transformed features W h_j before aggregation (the
last is not in PyG's GATConv; see `gat_viz.model._MessageDropout` for the 10-seed figures that
chose it on validation accuracy).

The speed comes from three places (see `python -m gat_viz bench`): the sparse input and its
dropout (`SparseFeatures`), attention as CSR kernels (`HeadBlocks`), and flushing denormal
floats, which otherwise slow the late epochs down by about half.
"""

from __future__ import annotations

import contextlib
import math
import operator
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field

import torch
import torch.nn.functional as F

from gat_viz.config import GATConfig
from gat_viz.data import Graph as Data
from gat_viz.i18n import N_
from gat_viz.layers import AttentionGraph
from gat_viz.model import GAT, attention_parameters
from gat_viz.sparse import SparseFeatures, dropout_generator


class TrainingDiverged(RuntimeError):
    """The loss blew up (see `DIVERGENCE`) or became NaN or infinite; no model is returned.
    `template` and `fields` give the message again for a page in another language (gat_viz.i18n)."""

    def __init__(self, template: str, fields: dict[str, object]) -> None:
        super().__init__(template.format(**fields))
        self.template, self.fields = template, fields

    def __reduce__(self) -> tuple:  # raised in a training worker, re-raised in the server
        return (TrainingDiverged, (self.template, self.fields))


# A training loss this many times that of guessing uniformly, log(K), means the steps overshoot
# and training has diverged. Measured on Cora (seed 0, with the paper's message dropout): the peak
# loss is 1.1 × log(K) at learning rate 0.1 (test accuracy 80%), 23 × log(K) at 0.2 (66%) and
# 54 × log(K) at 0.5 (15%, without ever reaching NaN), so 10 separates them with room on both sides.
DIVERGENCE = 10.0

# Model initialisation draws from torch's global generator; trainings in other threads must
# not draw from it in between (see `train`).
_INIT_LOCK = threading.Lock()


@dataclass(frozen=True)
class EpochRecord:
    epoch: int  # 1-based
    loss: float  # training loss (with dropout) before this epoch's step
    train_acc: float  # accuracies of the weights after the step, in eval mode
    val_loss: float
    val_acc: float
    test_acc: float
    att_grad_norm: float  # ‖∂L/∂(att_src, att_dst)‖ (GATv2: ‖∂L/∂att‖) over both layers: attention learns
    att_change: float  # ‖(att_src, att_dst) − their initial values‖ after the step (GATv2: att)

    def to_dict(self) -> dict[str, float]:
        return asdict(self)


@dataclass
class TrainResult:
    model: GAT  # best-validation weights, eval mode
    history: list[EpochRecord]
    val_acc: float  # of the kept weights
    test_acc: float  # of the kept weights: the number to report
    best_epoch: int
    seconds: float
    config: GATConfig
    seed: int
    stopped: str  # "early stopping", "max epochs" or "cancelled"
    dataset: str = ""
    fingerprint: str = ""
    metrics: dict[str, float] = field(default_factory=dict)

    @property
    def epochs(self) -> int:
        return len(self.history)


@dataclass
class Patience:
    """The paper's early-stopping rule (Veličković et al.'s code): the count of epochs without
    improvement restarts when validation loss or accuracy improves; the weights are kept when
    both do. `train` stops when `waited` reaches the patience; the app's progress bar replays it."""

    best_acc: float = -math.inf
    best_loss: float = math.inf
    waited: int = 0

    def update(self, record: EpochRecord) -> bool:
        """Count `record` in; True when both validation scores improved (keep the weights)."""
        acc_up, loss_down = record.val_acc >= self.best_acc, record.val_loss <= self.best_loss
        if acc_up or loss_down:
            self.best_acc = max(self.best_acc, record.val_acc)
            self.best_loss = min(self.best_loss, record.val_loss)
            self.waited = 0
        else:
            self.waited += 1
        return acc_up and loss_down


OnEpoch = Callable[[EpochRecord], "bool | None"]


def train(
    data: Data, config: GATConfig | None = None, seed: int = 0, on_epoch: OnEpoch | None = None
) -> TrainResult:
    """Train a GAT on `data`'s training nodes; see the module docstring for the rules.

    `on_epoch(record)` is called after every epoch; returning False stops training, and the
    result still holds the best weights so far. Same seed and config give the same history
    and weights on CPU with the same number of intra-op threads, also with other trainings
    running at once in other threads. Raises `TrainingDiverged` when the loss blows up (see
    `DIVERGENCE`) or is NaN or infinite. A `config` that is not a `GATConfig` raises TypeError, a
    seed outside [0, 2**64) ValueError (torch's generator takes 64 bits).
    """
    config, seed = _checked_arguments(config, seed)
    start = time.perf_counter()
    num_classes = int(data.y.max()) + 1
    with _INIT_LOCK, torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = GAT(config, data.num_features, num_classes)
        # Dropout continues the seeded stream, in a generator of this training's own.
        generator = torch.Generator().set_state(torch.get_rng_state())
    limit = DIVERGENCE * math.log(num_classes)
    with dropout_generator(generator), _flush_denormals():
        x = SparseFeatures(data.x)
        graph = AttentionGraph.build(data.edge_index, data.num_nodes)
        field = receptive_field(graph, data.train_mask.nonzero().view(-1))
        x_field = SparseFeatures(data.x[field.nodes])
        splits = {s: getattr(data, f"{s}_mask").nonzero().view(-1) for s in ("train", "val", "test")}
        y = data.y
        att_params = attention_parameters(model)  # a_src, a_dst (GAT) or a (GATv2)
        # The ablations: attention keeps its initial parameters ("frozen"), or zero ("uniform").
        if not config.learn_attention:
            for p in att_params:
                p.requires_grad_(False)
        optimizer = torch.optim.Adam(
            [p for p in model.parameters() if p.requires_grad],
            lr=config.lr,
            weight_decay=config.weight_decay,
            fused=True,
        )
        att_init = [p.detach().clone() for p in att_params]

        history: list[EpochRecord] = []
        best_state = _copy_state(model)
        best_epoch, stopper = 0, Patience()
        waited, stopped = 0, "max epochs"
        for epoch in range(1, config.max_epochs + 1):
            model.train()
            optimizer.zero_grad(set_to_none=True)
            out = model.forward_layers(x_field, field.graph1, field.graph2)  # (n, K) log-probs
            loss = F.nll_loss(out[field.targets], y[splits["train"]])
            loss_value = loss.item()
            if not loss_value <= limit:  # also NaN
                raise _diverged(loss_value, epoch, config, limit)
            loss.backward()
            grad_norm = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads(att_params))))
            optimizer.step()

            model.eval()
            with torch.inference_mode():
                out = model(x, graph)
                correct = out.argmax(dim=-1) == y  # (N,)
                hits = torch.stack([correct[i].sum() for i in splits.values()]).tolist()
                acc = {s: hit / len(i) for (s, i), hit in zip(splits.items(), hits)}
                val_loss = F.nll_loss(out[splits["val"]], y[splits["val"]]).item()
                moved = torch._foreach_sub(att_params, att_init)
                change = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(moved))).item()
            if not math.isfinite(val_loss):
                raise _diverged(val_loss, epoch, config, limit)
            record = EpochRecord(
                epoch, loss_value, acc["train"], val_loss, acc["val"], acc["test"], grad_norm.item(), change
            )
            history.append(record)

            if stopper.update(record):  # both improved: keep these weights
                best_state, best_epoch = _copy_state(model), epoch
            waited = stopper.waited
            if on_epoch is not None and on_epoch(record) is False:
                stopped = "cancelled"
                break
            if waited >= config.patience:
                stopped = "early stopping"
                break

        model.load_state_dict(best_state)
        for p in att_params:
            p.requires_grad_(True)  # the returned model is an ordinary one, frozen or not
        model.eval()
        metrics = evaluate(model, data, graph=graph, x=x)
    return TrainResult(
        model=model,
        history=history,
        val_acc=metrics["val_acc"],
        test_acc=metrics["test_acc"],
        best_epoch=best_epoch,
        seconds=time.perf_counter() - start,
        config=config,
        seed=seed,
        stopped=stopped,
        dataset=str(getattr(data, "name", "")),
        fingerprint=str(getattr(data, "fingerprint", "")),
        metrics=metrics,
    )


@dataclass(frozen=True)
class ReceptiveField:
    """The part of the graph that the outputs at some target nodes depend on, relabelled
    0..n-1. A two-layer GAT's output at i depends on layer 2's edges into i, layer 1's edges
    into their sources, and the features of those edges' sources; nothing else."""

    nodes: torch.Tensor  # (n,) original ids
    targets: torch.Tensor  # positions of the target nodes in `nodes`
    graph1: AttentionGraph  # layer-1 edges: into the sources of graph2's edges
    graph2: AttentionGraph  # layer-2 edges: into the targets


def receptive_field(graph: AttentionGraph, targets: torch.Tensor) -> ReceptiveField:
    """On Cora's 140 training nodes: 1664 of 2708 nodes, 4478 of 13264 layer-1 edges and 778
    layer-2 edges, so a training step costs about a third of a full-graph one, with exactly
    the same loss and gradients (tests/test_train.py checks that)."""
    src, dst = graph.edge_index
    n = graph.num_nodes
    into_targets = torch.zeros(n, dtype=torch.bool).index_fill_(0, targets, True)[dst]  # (E,)
    hidden = torch.zeros(n, dtype=torch.bool).index_fill_(0, src[into_targets], True)  # (N,)
    into_hidden = hidden[dst]  # (E,)
    needed = torch.zeros(n, dtype=torch.bool).index_fill_(0, src[into_hidden], True)  # (N,)
    nodes = needed.nonzero().view(-1)
    relabel = torch.full((n,), -1, dtype=torch.long).index_copy_(0, nodes, torch.arange(len(nodes)))
    size = len(nodes)
    return ReceptiveField(
        nodes=nodes,
        targets=relabel[targets],
        graph1=AttentionGraph(relabel[graph.edge_index[:, into_hidden]], size),
        graph2=AttentionGraph(relabel[graph.edge_index[:, into_targets]], size),
    )


@torch.no_grad()
def evaluate(
    model: GAT, data: Data, graph: AttentionGraph | None = None, x: SparseFeatures | None = None
) -> dict[str, float]:
    """Accuracy and loss on each split, in eval mode (the model's mode is restored)."""
    was_training = model.training
    model.eval()
    out = model(data.x if x is None else x, data.edge_index if graph is None else graph)
    model.train(was_training)
    pred = out.argmax(dim=-1)
    metrics: dict[str, float] = {}
    for split in ("train", "val", "test"):
        mask = getattr(data, f"{split}_mask")
        metrics[f"{split}_acc"] = float((pred[mask] == data.y[mask]).float().mean())
        metrics[f"{split}_loss"] = float(F.nll_loss(out[mask], data.y[mask]))
    return metrics


def _checked_arguments(config: object, seed: object) -> tuple[GATConfig, int]:
    if config is None:
        return GATConfig(), _checked_seed(seed)
    if not isinstance(config, GATConfig):
        raise TypeError(
            f"config must be a GATConfig, not {type(config).__name__}: write GATConfig(heads=4, ...), "
            "or GATConfig.from_dict(values) for a complete saved config"
        )
    return config, _checked_seed(seed)


def _checked_seed(seed: object) -> int:
    if isinstance(seed, bool) or not hasattr(seed, "__index__"):
        raise TypeError(f"seed must be an integer, not {type(seed).__name__}")
    value = operator.index(seed)  # numpy integers too
    if not 0 <= value < 2**64:
        raise ValueError(f"seed must be in [0, 2**64) (torch's generator takes 64 bits), got {value}")
    return value


def grads(params: list[torch.Tensor]) -> list[torch.Tensor]:
    return [p.grad if p.grad is not None else torch.zeros_like(p) for p in params]


def _copy_state(model: GAT) -> dict[str, torch.Tensor]:
    return {k: v.detach().clone() for k, v in model.state_dict().items()}


def _diverged(value: float, epoch: int, config: GATConfig, limit: float) -> TrainingDiverged:
    uniform = limit / DIVERGENCE
    fields = {"value": value, "epoch": epoch, "lr": config.lr, "times": DIVERGENCE, "uniform": uniform}
    if math.isfinite(value):
        template = N_(
            "training diverged: the training loss reached {value:.4g}, more than {times:g}× the "
            "{uniform:.3g} of guessing uniformly, at epoch {epoch} with learning rate {lr:g}; no model "
            "was kept. Try a smaller learning rate."
        )
    else:
        template = N_(
            "training diverged: the training loss became {value} at epoch {epoch} with learning rate {lr:g}; "
            "no model was kept. Try a smaller learning rate."
        )
    return TrainingDiverged(template, fields)


@contextlib.contextmanager
def _flush_denormals() -> Iterator[None]:
    """Treat denormal floats as zero while training, then restore the previous setting.

    Gradients and Adam's moments drift into the denormal range (< 1.2e-38) as training
    converges, and x86 CPUs handle those ~100× slower than normal floats.
    """
    # torch has no getter; the documented default is off, which is what we restore.
    flushed = torch.set_flush_denormal(True)
    try:
        yield
    finally:
        if flushed:
            torch.set_flush_denormal(False)
