"""`python -m gat_viz pretrain`: train, before a class, the models the app will be asked for.

A class opens the app on the paper's model (shipped) and then moves one slider at a time; each new
setting is a training of several seconds per replica slot, and forty students moving the same
slider at once queue behind it. `settings()` lists those settings; `run()` trains the ones not yet
cached, one after another, through `ModelCache.get_or_train`: each model is stored the moment it
is done (so a killed run loses at most the one in progress, and running again continues), and
the per-setting lock keeps it from training what an app replica is training beside it.

Training uses one thread, as the app's workers do (`gat_viz.workers`): same config, seed and
thread count give the same weights, so a pretrained model is the very one the app would train.
"""

from __future__ import annotations

import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TextIO

from gat_viz import config
from gat_viz.config import GATConfig

if TYPE_CHECKING:
    from gat_viz.cache import ModelCache

Setting = tuple[str, GATConfig, int]  # (dataset, config, seed): one model, one cache entry

# The sidebar's three model sliders (gat_viz.config.SLIDERS): slope 21 values, heads 16, dropout 19.
SLIDERS = {field: config.SLIDERS[field] for field in ("negative_slope", "heads", "dropout")}
SEED = 0  # the app's default seed
DATASETS = ("Cora", "CiteSeer")  # the app's (gat_viz.ui.links.DATASETS)
# Seconds per model before one has finished here: measured on a shared 2-core machine with one
# thread, 12 s for 8 heads and 1,000 epochs, 15 s for 16 heads, 2 s when early stopping comes soon.
FIRST_GUESS_S = 15.0


def grid(lo: float, hi: float, step: float) -> list[Any]:
    """A slider's values, as `sidebar.requested` reads them: floats rounded to 2 decimals."""
    n = round((hi - lo) / step)
    if all(isinstance(v, int) for v in (lo, hi, step)):
        return [lo + i * step for i in range(n + 1)]
    return [round(lo + i * step, 2) for i in range(n + 1)]


def settings(dataset: str = "Cora") -> list[Setting]:
    """What the app asks for in a class that stays near the paper's setting, seed 0, on `dataset`.

    1. The paper's model, `GATConfig()` (shipped for Cora and CiteSeer).
    2. The twins the teaching views compare it with: attention frozen at initialisation and
       uniform attention (the attention ablation), ReLU (the activation panel), PReLU (the
       activation choice) and GATv2 (static vs dynamic attention, and the tour's chapter on it;
       shipped for Cora). ReLU is also the slope slider at 0: `GATConfig` spells both the same.
    3. Every value of each of the three model sliders with the others at their defaults: the
       LeakyReLU slope (0 to 1, step 0.05), the heads (1 to 16) and the dropout (0 to 0.9, step
       0.05). A student moves one slider, so these are the settings one move away.

    Each config is exactly the one `gat_viz.ui.sidebar.requested` builds for that slider value,
    so its cache key is the app's. Duplicates (the default on each slider, ReLU) appear once. The
    order is the order of training: 1 and 2, then the slider values by their distance in steps
    from the default, nearest first, so a run cut short has done what students reach first.
    Twins of other settings (ReLU of slope 0.5, say) are left to the app.
    """
    d = GATConfig()
    twins = [
        d.replace(attention="frozen"),
        d.replace(attention="uniform"),
        d.replace(activation="relu"),
        d.replace(activation="prelu"),
        d.replace(layer="gatv2"),
    ]
    moves = []  # (steps from the default, config)
    for name, (lo, hi, step) in SLIDERS.items():
        values = grid(lo, hi, step)
        here = values.index(getattr(d, name))
        moves += [(abs(i - here), d.replace(**{name: v})) for i, v in enumerate(values)]
    moves.sort(key=lambda m: m[0])  # stable: slope, heads, dropout at each distance
    configs = dict.fromkeys([d, *twins, *(c for _steps, c in moves)])  # GATConfig is hashable
    return [(dataset, c, SEED) for c in configs]


def check_datasets(names: Sequence[str]) -> list[str]:
    """The app's datasets among `names` ("Cora,CiteSeer" too), canonical and once each; ValueError
    for any other."""
    out = []
    for name in [n for arg in names for n in str(arg).split(",") if n]:
        known = next((d for d in DATASETS if d.lower() == name.lower()), None)
        if known is None:
            raise ValueError(f"{name!r} is not one of the app's datasets ({', '.join(DATASETS)})")
        out.append(known)
    if not out:
        raise ValueError(f"name at least one of {', '.join(DATASETS)}")
    return list(dict.fromkeys(out))


def duration(seconds: float) -> str:
    """'45 s', '12 min', '1 h 05 min': for estimates and the summary."""
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    if s < 600:
        return f"{s // 60} min {s % 60:02d} s"
    m = round(s / 60)
    return f"{m} min" if m < 60 else f"{m // 60} h {m % 60:02d} min"


def where(cache: ModelCache, setting: Setting) -> str | None:
    """'shipped', 'cache' or None (to train), from the files alone (nothing is loaded)."""
    files = cache.files(*setting)
    if not files:
        return None
    return "shipped" if cache.shipped is not None and files[0].parent == cache.shipped else "cache"


def dry_run(datasets: Sequence[str], out: TextIO | None = None) -> int:
    """List every setting with what holds it, and how long the rest would take (on stdout)."""
    from gat_viz.cache import ModelCache

    out = out or sys.stdout
    cache = ModelCache()
    total = todo = 0
    for name in datasets:
        listed = settings(name)
        print(f"{name}, seed {SEED}: {len(listed)} settings", file=out)
        for setting in listed:
            held = where(cache, setting)
            todo += held is None
            state = {"shipped": "shipped", "cache": "cached"}.get(held or "", "to train")
            print(f"  {state:9} {setting[1].label()}", file=out)
        total += len(listed)
    note = "" if cache.writable else f"; {cache.folder} cannot be written, so nothing could be kept"
    print(
        f"{total} settings: {total - todo} cached, {todo} to train, about "
        f"{duration(todo * FIRST_GUESS_S)} at ~{FIRST_GUESS_S:g} s each (one thread); "
        f"cache: {cache.folder}{note}",
        file=out,
    )
    return 0


@dataclass
class Outcome:
    trained: int = 0
    cached: int = 0  # before we started, or trained meanwhile by another process (an app replica)
    failed: list[str] = field(default_factory=list)  # "<setting>: <reason>"

    def summary(self, seconds: float) -> str:
        reasons = "; ".join(self.failed[:3]) + (f"; {len(self.failed) - 3} more" if self.failed[3:] else "")
        return (
            f"pretrain: trained {self.trained}, already cached {self.cached}, failed {len(self.failed)}"
            + (f" ({reasons})" if reasons else "")
            + f"; {duration(seconds)}"
        )


def run(datasets: Sequence[str], out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Train what is not cached; 0 when every setting is cached at the end, 1 when some failed,
    130 on Ctrl-C (the model in progress is lost, the others are kept). The summary goes to `out`
    (stdout), the progress and the interruption to `err` (stderr)."""
    out, err = out or sys.stdout, err or sys.stderr
    import torch

    from gat_viz.cache import ModelCache

    start = time.perf_counter()
    cache = ModelCache()
    if not cache.writable:
        raise ValueError(f"the model cache {cache.folder} cannot be written; set GAT_VIZ_CACHE to a folder")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # as the app's workers: the same weights the app would train
    try:
        return _train_all(cache, datasets, out, err, start)
    finally:
        torch.set_num_threads(threads)


def _train_all(cache: ModelCache, datasets: Sequence[str], out: TextIO, err: TextIO, start: float) -> int:
    from gat_viz.data import load_dataset

    listed = [s for name in datasets for s in settings(name)]
    todo = [s for s in listed if where(cache, s) is None]
    outcome = Outcome(cached=len(listed) - len(todo))
    print(
        f"pretrain: {len(listed)} settings on {', '.join(datasets)} (seed {SEED}): {outcome.cached} "
        f"cached, {len(todo)} to train, about {duration(len(todo) * FIRST_GUESS_S)}; cache: {cache.folder}",
        file=out,
        flush=True,
    )
    progress = Progress(len(todo), err)
    try:
        graphs: dict[str, Any] = {}
        for setting in todo:
            name, config, seed = setting
            progress.start(setting)
            t0 = time.perf_counter()
            try:
                if name not in graphs:
                    graphs[name] = load_dataset(name)
                data = graphs[name]
                _result, was_cached = cache.get_or_train(data, config, seed, on_epoch=progress.epoch)
            except Exception as exc:  # one bad setting must not end the others
                outcome.failed.append(f"{name}, {config.label()}: {_reason(exc)}")
                progress.done("failed")
                continue
            if was_cached:  # an app replica trained it while we waited for its lock
                outcome.cached += 1
                progress.done("cached meanwhile")
            elif not cache.files(*setting):
                outcome.failed.append(f"{name}, {config.label()}: not stored ({'; '.join(cache.notes[-1:])})")
                progress.done("not stored")
            else:
                outcome.trained += 1
                progress.done("trained", time.perf_counter() - t0)
    except KeyboardInterrupt:
        progress.close()
        print(
            f"gat_viz: pretrain interrupted: {outcome.trained} trained and kept, {len(todo) - progress.n} "
            "left (the one in progress is lost); run it again to continue",
            file=err,
        )
        return 130
    progress.close()
    missing = sum(1 for s in listed if where(cache, s) is None)
    print(outcome.summary(time.perf_counter() - start), file=out)
    return 0 if missing == 0 else 1


def short(config: GATConfig) -> str:
    """What sets `config` apart from the paper's, in a few characters: 'α=0.25', '9 heads', 'frozen'."""
    d, parts = GATConfig(), []
    if config.activation != d.activation:
        parts.append({"relu": "ReLU", "prelu": "PReLU"}[config.activation])
    elif config.negative_slope != d.negative_slope:
        parts.append(f"α={config.negative_slope:g}")
    if config.heads != d.heads:
        parts.append(f"{config.heads} heads")
    if config.dropout != d.dropout:
        parts.append(f"dropout {config.dropout:g}")
    if config.attention != d.attention:
        parts.append(config.attention)
    if config.layer != d.layer:
        parts.append("GATv2")
    return ", ".join(parts) or "the paper's"


def _reason(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


class Progress:
    """A tqdm bar over the models to train on a terminal, one line per model otherwise (a log).
    The time left is the models left × the mean time of those trained so far (FIRST_GUESS_S
    until one is)."""

    def __init__(self, total: int, err: TextIO) -> None:
        self.total, self.err, self.n, self.label = total, err, 0, ""
        self.seconds: list[float] = []  # per model trained
        self.bar: Any = None
        if total and err.isatty():
            from tqdm import tqdm

            size = shutil.get_terminal_size()  # 80×24 where a terminal tells 0×0 (tqdm then draws nothing)
            self.bar = tqdm(
                total=total, file=err, unit="model", ncols=min(size.columns, 140), nrows=size.lines,
                bar_format="{desc}: {n_fmt}/{total_fmt} |{bar}| {elapsed}{postfix}",
            )  # fmt: skip
            self._left()

    def start(self, setting: Setting) -> None:
        self.label = f"{setting[0]}, {setting[1].label()}"
        if self.bar is not None:
            self.bar.set_description_str(f"{setting[0]} {short(setting[1])}", refresh=True)

    def epoch(self, record: Any) -> None:
        if self.bar is not None and record.epoch % 50 == 0:
            self._left(f"epoch {record.epoch}, ")

    @property
    def left_s(self) -> float:
        per_model = sum(self.seconds) / len(self.seconds) if self.seconds else FIRST_GUESS_S
        return (self.total - self.n) * per_model

    def done(self, what: str, seconds: float | None = None) -> None:
        self.n += 1
        if seconds is not None:
            self.seconds.append(seconds)
        if self.bar is not None:
            self.bar.update(1)
            self._left()
        else:
            took = f" in {seconds:.1f} s" if seconds is not None else ""
            print(
                f"  [{self.n}/{self.total}] {what}: {self.label}{took}; about {duration(self.left_s)} left",
                file=self.err,
                flush=True,
            )

    def _left(self, prefix: str = "") -> None:
        self.bar.set_postfix_str(f"{prefix}about {duration(self.left_s)} left")

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
