"""The command line: `python -m gat_viz train | eval | bench | data export` (also `gat-viz`).

Every failure a user can cause (a bad argument, a missing or corrupt file, data that is not
there, a diverging setting) ends with exit status 2 and one line on stderr, never a traceback.
Building the parser imports nothing heavy: torch and torch_geometric load inside the commands,
so `--help` answers at once.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from gat_viz.config import ACTIVATIONS, ATTENTIONS, LAYERS, MAX_HEADS, MAX_HIDDEN, GATConfig
from gat_viz.data import shipped_data_dir

EXIT_USAGE = 2
EXIT_PIPE = 141  # 128 + SIGPIPE: the reader of our output went away


class UsageError(Exception):
    """A problem the user can fix; printed as one line."""


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter):
    """Shows each option's default, except where there is none to show (None, an off switch)."""

    def _get_help_string(self, action: argparse.Action) -> str | None:
        if action.default is None or action.default is False or action.required:
            return action.help
        return super()._get_help_string(action)


class Parser(argparse.ArgumentParser):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", HelpFormatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> NoReturn:  # argparse prints usage + message; we print one line
        raise UsageError(f"{message} (see python -m {self.prog} --help)")


class Given(argparse.Action):
    """Stores the value as the default action does and notes the flag in `namespace.given`, so a
    command can refuse flags that do nothing in the mode chosen (a value equal to the default
    cannot tell whether the flag was given)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: Any, option_string: str | None = None) -> None:  # fmt: skip
        setattr(namespace, self.dest, values)
        namespace.given = {*getattr(namespace, "given", ()), self.option_strings[0]}


def main(argv: Sequence[str] | None = None) -> int:
    try:
        try:
            return _main(argv)
        finally:
            sys.stdout.flush()  # a reader that went away (`| head -1`) shows here, not at exit
    except BrokenPipeError:
        # As the Python docs' note on SIGPIPE advises: send what is left to devnull, so the flush
        # at interpreter exit stays quiet too, and end as a tool the pipe stopped does.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_PIPE


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
        if not getattr(args, "command", None):
            raise UsageError("choose a command: train, eval, bench, data, pretrain or i18n (see --help)")
        return int(args.run(args) or 0)
    except UsageError as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        print("gat_viz: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        raise  # not an error of ours: `main` ends quietly
    except Exception as exc:
        from gat_viz.checkpoint import CheckpointError
        from gat_viz.data import DatasetUnavailable
        from gat_viz.train import TrainingDiverged

        known = (CheckpointError, DatasetUnavailable, TrainingDiverged, ValueError, OSError)
        if isinstance(exc, known):
            return _fail(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        return _fail(f"unexpected {type(exc).__name__}: {exc} (please report this)")


def build_parser() -> Parser:
    parser = Parser(prog="gat_viz", description="Train, evaluate and benchmark GATs on Planetoid graphs.")
    sub = parser.add_subparsers(dest="command", parser_class=Parser)

    t = sub.add_parser("train", help="train a GAT and report test accuracy at best validation")
    d = GATConfig()
    t.add_argument("--dataset", default="Cora", help="Cora, CiteSeer or PubMed")
    t.add_argument("--seed", type=_nonneg_int, default=0, help="seeds initialisation and dropout")
    t.add_argument("--max-epochs", type=_pos_int, default=d.max_epochs, help="upper bound on epochs")
    t.add_argument(
        "--patience", type=_pos_int, default=d.patience,
        help="stop after this many epochs without a better validation loss or accuracy",
    )  # fmt: skip
    t.add_argument(
        "--hidden", type=_int_up_to(MAX_HIDDEN), default=d.hidden,
        help=f"channels per head in layer 1, 1 to {MAX_HIDDEN}",
    )  # fmt: skip
    t.add_argument(
        "--heads", type=_int_up_to(MAX_HEADS), default=d.heads,
        help=f"attention heads in layer 1, 1 to {MAX_HEADS}",
    )  # fmt: skip
    t.add_argument(
        "--out-heads", type=_int_up_to(MAX_HEADS), default=d.out_heads,
        help=f"heads in the output layer, 1 to {MAX_HEADS}",
    )  # fmt: skip
    t.add_argument("--dropout", type=float, default=d.dropout, help="on inputs and attention")
    t.add_argument("--negative-slope", type=float, default=d.negative_slope, help="LeakyReLU α")
    t.add_argument("--activation", choices=ACTIVATIONS, default=d.activation, help="in the attention scores")
    t.add_argument("--lr", type=float, default=d.lr, help="Adam learning rate")
    t.add_argument("--weight-decay", type=float, default=d.weight_decay, help="L2 regularisation")
    t.add_argument(
        "--frozen-attention", action="store_true", help="keep a_src, a_dst at initialisation (ablation)"
    )
    t.add_argument(
        "--layer", choices=LAYERS, default=d.layer, action=Given,
        help="gat: e_ij = LeakyReLU(a_src·Wh_j + a_dst·Wh_i); gatv2: a·LeakyReLU(W_l h_j + W_r h_i)",
    )  # fmt: skip
    t.add_argument(
        "--attention", choices=ATTENTIONS + LAYERS, default=d.attention,
        help="learned (the paper's), frozen at initialisation, or uniform: α = 1/in-degree (Const-GAT); "
        "gat or gatv2 pick the layer instead (as --layer), with learned attention",
    )  # fmt: skip
    t.add_argument(
        "--out", metavar="PATH",
        help="save the checkpoint: a .safetensors file, or a folder/ (checked before training starts)",
    )  # fmt: skip
    t.add_argument("--json", action="store_true", help="print one JSON object (accuracies as fractions)")
    t.set_defaults(run=run_train, given=frozenset())

    e = sub.add_parser("eval", help="accuracy of a saved checkpoint")
    e.add_argument("--checkpoint", required=True, metavar="PATH", help="a .safetensors checkpoint")
    e.add_argument("--json", action="store_true", help="print one JSON object (accuracies as fractions)")
    e.set_defaults(run=run_eval)

    b = sub.add_parser("bench", help="speed against PyG's example loop, and accuracy over seeds")
    b.add_argument("--epochs", type=_pos_int, default=100, action=Given, help="timed epochs per round")
    b.add_argument(
        "--rounds", type=_pos_int, default=3, action=Given, help="alternating rounds of both loops"
    )
    b.add_argument("--seeds", type=_nonneg_int, default=0, action=Given, help="accuracy over this many seeds")
    b.add_argument(
        "--datasets", nargs="+", default=["Cora"], metavar="NAME", action=Given,
        help="for the accuracy (--seeds) or the lessons table (--variants); the speed is Cora's",
    )  # fmt: skip
    b.add_argument("--no-speed", action="store_true", help="accuracy only (needs --seeds)")
    b.add_argument(
        "--why", action="store_true",
        help="time the 'Why?' view's computations on the shipped Cora model instead of training speed "
        "(takes --json only)",
    )  # fmt: skip
    b.add_argument(
        "--variants", metavar="A,B,...",
        help="the lessons table instead: train these variants (gat, relu, slope1, prelu, frozen, uniform, "
        "gatv2) with --seeds seeds on --datasets; see gat_viz.lessons",
    )  # fmt: skip
    b.add_argument("--out", metavar="PATH", help="with --variants: write the table here (JSON)")
    b.add_argument(
        "--layer", choices=LAYERS, default="gat", action=Given,
        help="speed of this layer: GATLayer against GATConv, or GATv2Layer against GATv2Conv",
    )  # fmt: skip
    b.add_argument("--json", action="store_true", help="print one JSON object (accuracies as fractions)")
    b.set_defaults(run=run_bench, given=frozenset())

    data = sub.add_parser("data", help="the datasets shipped with the package")
    data_sub = data.add_subparsers(dest="data_command", parser_class=Parser)
    x = data_sub.add_parser(
        "export", help="write the pickle-free Cora and CiteSeer files from the raw Planetoid files",
        description="Convert the raw Planetoid files into the safetensors files load_dataset() reads "
        "by default; each is checked to load exactly as Planetoid with NormalizeFeatures does.",
    )  # fmt: skip
    x.add_argument(
        "--from", dest="source", required=True, metavar="DIR", help="folder holding <Name>/raw/ind.<name>.*"
    )
    x.add_argument("--to", default=str(shipped_data_dir()), metavar="DIR", help="where <name>.safetensors go")
    x.add_argument(
        "--datasets", nargs="+", default=["Cora", "CiteSeer"], metavar="NAME", help="Cora and/or CiteSeer"
    )
    x.set_defaults(run=run_data_export)
    data.set_defaults(run=_need_data_command)

    p = sub.add_parser(
        "pretrain", help="before a class: train the models the app will ask for (resumable)",
        description="Train into the model cache ($GAT_VIZ_CACHE) the paper's model, its twins in the "
        "teaching views, and every value of the slope, heads and dropout sliders (seed 0), one after "
        "another with one thread. What is cached is skipped, so a stopped run continues where it left off.",
    )  # fmt: skip
    p.add_argument("--datasets", nargs="+", default=["Cora"], metavar="NAME", help="Cora and/or CiteSeer")
    p.add_argument("--dry-run", action="store_true", help="list the settings, what is cached, an estimate")
    p.set_defaults(run=run_pretrain)

    t9n = sub.add_parser(
        "i18n", help="the app's translations: extract new strings, list what lacks a translation",
        description="update: extract every _()/N_() string of gat_viz into locale/messages.pot and merge it "
        "into each language's .po (new strings arrive empty). check: list the strings a language lacks "
        "or whose {fields} differ; exit 1 if any.",
    )  # fmt: skip
    t9n.add_argument("action", choices=["update", "check"], help="what to do")
    t9n.set_defaults(run=run_i18n)
    return parser


def run_i18n(args: argparse.Namespace) -> int:
    from gat_viz import catalogues

    if args.action == "update":
        for language, missing in catalogues.update().items():
            print(f"{catalogues.po_path(language)}: {missing} strings to translate")
        return 0
    problems = catalogues.check()
    for p in problems:
        print(f"{p.language}: {p.reason}: {p.message!r}")
    print(f"{len(problems)} problems" if problems else "every string is translated")
    return 1 if problems else 0


def _need_data_command(_args: argparse.Namespace) -> int:
    raise UsageError("choose a data command: export (see python -m gat_viz data --help)")


def run_pretrain(args: argparse.Namespace) -> int:
    from gat_viz import pretrain

    try:
        datasets = pretrain.check_datasets(args.datasets)
    except ValueError as exc:
        raise UsageError(f"--datasets: {exc}") from None
    return pretrain.dry_run(datasets) if args.dry_run else pretrain.run(datasets)


def run_data_export(args: argparse.Namespace) -> int:
    from gat_viz.data import SHIPPED, canonical_name, export_dataset

    names = [canonical_name(n) for n in args.datasets]
    unshippable = [n for n in names if n not in SHIPPED]
    if unshippable:
        raise UsageError(f"--datasets: only {' and '.join(SHIPPED)} can be exported, not {unshippable[0]}")
    if not Path(args.source).is_dir():
        raise UsageError(f"--from {args.source}: not a folder")
    for name in names:
        out = export_dataset(name, args.source, args.to)
        print(f"wrote {out} ({out.stat().st_size / 1e3:.0f} kB)")
    return 0


def run_train(args: argparse.Namespace) -> int:
    from gat_viz.checkpoint import save_checkpoint
    from gat_viz.data import load_dataset
    from gat_viz.train import train

    layer, attention = _layer_and_attention(args)
    config = GATConfig(
        hidden=args.hidden, heads=args.heads, out_heads=args.out_heads, dropout=args.dropout,
        negative_slope=args.negative_slope, activation=args.activation, lr=args.lr,
        weight_decay=args.weight_decay, max_epochs=args.max_epochs, patience=args.patience,
        layer=layer, attention=attention,
    )  # fmt: skip
    if args.out is not None:
        _check_out(args.out, folder_ok=True)  # before training: minutes of work, then nowhere to put it
    data = load_dataset(args.dataset)
    with _progress(config.max_epochs, f"{data.name} seed {args.seed}") as on_epoch:
        result = train(data, config, seed=args.seed, on_epoch=on_epoch)
    saved = None
    if args.out is not None:
        try:
            saved = str(save_checkpoint(_out_path(args.out, result), result))
        except OSError as exc:  # the message names the path given, not save_checkpoint's temporary file
            raise UsageError(
                f"--out {args.out}: could not write the checkpoint ({exc.strerror or exc})"
            ) from exc
    summary = {
        "dataset": result.dataset,
        "seed": result.seed,
        "test_acc": round(result.test_acc, 4),
        "val_acc": round(result.val_acc, 4),
        "best_epoch": result.best_epoch,
        "epochs": result.epochs,
        "stopped": result.stopped,
        "seconds": round(result.seconds, 3),
        "ms_per_epoch": round(result.seconds / max(result.epochs, 1) * 1e3, 3),
        "config": config.to_dict(),
        "checkpoint": saved,
    }
    if args.json:
        print(json.dumps(summary))
    else:
        from gat_viz.data import PAPER_ACCURACY

        mean, std = PAPER_ACCURACY.get(result.dataset, (float("nan"), float("nan")))
        print(
            f"{result.dataset}, {config.label()}, seed {result.seed}: test accuracy "
            f"{result.test_acc:.1%} at best validation (val {result.val_acc:.1%}, epoch "
            f"{result.best_epoch} of {result.epochs}, {result.stopped}, {result.seconds:.1f} s). "
            f"Paper: {mean} ± {std} over 100 runs."
        )
        if saved:
            print(f"saved {saved}")
    return 0


def _layer_and_attention(args: argparse.Namespace) -> tuple[str, str]:
    """--layer, --attention and --frozen-attention as GATConfig's two fields; contradictions refused."""
    layer, attention = args.layer, args.attention
    if attention in LAYERS:  # issue 13's spelling: --attention gatv2 is --layer gatv2
        if "--layer" in args.given and layer != attention:
            raise UsageError(f"--attention {attention} picks the layer, but --layer {layer} picks another")
        layer, attention = attention, "learned"
    if args.frozen_attention:
        if attention not in ("learned", "frozen"):
            raise UsageError(f"--frozen-attention contradicts --attention {attention}")
        attention = "frozen"
    return layer, attention


def run_eval(args: argparse.Namespace) -> int:
    from gat_viz.checkpoint import load_checkpoint
    from gat_viz.data import load_dataset
    from gat_viz.train import evaluate

    if not args.checkpoint.strip():
        raise UsageError("--checkpoint: empty path; give a .safetensors file")
    meta = load_checkpoint(args.checkpoint)
    data = load_dataset(meta.dataset)
    result = load_checkpoint(args.checkpoint, data)  # checks the graph's fingerprint too
    metrics = evaluate(result.model, data)
    rounded = {k: round(v, 4) for k, v in metrics.items()}  # accuracies as fractions, 4 decimals
    out: dict[str, Any] = {"dataset": result.dataset, "seed": result.seed, **rounded}
    out["config"] = result.config.to_dict()
    if args.json:
        print(json.dumps(out))
    else:
        print(
            f"{result.dataset}, {result.config.label()}, seed {result.seed}: "
            f"train {metrics['train_acc']:.1%}, val {metrics['val_acc']:.1%}, "
            f"test {metrics['test_acc']:.1%}"
        )
    return 0


def run_bench(args: argparse.Namespace) -> int:
    from gat_viz import bench
    from gat_viz.data import PAPER_ACCURACY, load_dataset

    report: dict[str, Any] = {}
    say = (lambda _m: None) if args.json else (lambda m: print(f"  {m}", file=sys.stderr))
    _check_bench_flags(args)  # before any work: every flag given does something in this mode
    if args.variants is not None:
        return _bench_lessons(args, say)
    if args.why:
        report["why"] = _bench_why(say, args.json)
    # Every dataset is read before the speed runs, so a missing one stops the bench at once.
    datasets = [load_dataset(name) for name in args.datasets] if args.seeds else []
    if not args.no_speed and not args.why:
        data = load_dataset("Cora")
        s = bench.speed(data, epochs=args.epochs, rounds=args.rounds, progress=say, layer=args.layer)
        report["speed"] = {
            "pyg_example_ms_per_epoch": round(s.pyg_ms, 2),
            "gat_viz_ms_per_epoch": round(s.ours_ms, 2),
            "ratio": round(s.ratio, 2),
            "pyg_example_mean_ms": round(s.pyg_mean_ms, 2),
            "gat_viz_mean_ms": round(s.ours_mean_ms, 2),
            "epochs_timed": s.epochs,
            "rounds": s.rounds,
            "threads": s.threads,
            "layer": args.layer,
        }
        if not args.json:
            reference = "PyG loop with GATv2Conv" if args.layer == "gatv2" else "PyG examples/gat.py loop"
            print(
                f"Speed on Cora, {args.layer} (paper config, one step + one evaluation per epoch, median of "
                f"{s.epochs} epochs in {s.rounds} alternating rounds, {s.threads} threads):\n"
                f"  {reference:25} {s.pyg_ms:7.2f} ms/epoch (mean {s.pyg_mean_ms:.2f})\n"
                f"  gat_viz.train             {s.ours_ms:7.2f} ms/epoch (mean {s.ours_mean_ms:.2f})\n"
                f"  ratio                     {s.ratio:7.2f}×"
            )
    if args.seeds:
        report["accuracy"] = {}
        for data in datasets:
            a = bench.accuracy(data, args.seeds, progress=say)
            mean, std = PAPER_ACCURACY[a.dataset]  # in percent, as the paper prints them
            report["accuracy"][a.dataset] = {
                "mean": round(a.mean, 4), "std": round(a.std, 4), "seeds": len(a.seeds),
                "test_accs": [round(v, 4) for v in a.test_accs], "paper_mean": round(mean / 100, 4),
                "paper_std": round(std / 100, 4), "seconds": round(a.seconds, 1),
            }  # fmt: skip
            if not args.json:
                print(
                    f"Accuracy on {a.dataset} (test at best validation, {len(a.seeds)} seeds): "
                    f"{a.mean * 100:.1f} ± {a.std * 100:.1f}%  (paper: {mean} ± {std}, 100 runs; "
                    f"{a.seconds:.0f} s)"
                )
    if args.json:
        print(json.dumps(report))
    return 0


# What each mode of `bench` reads, for refusing flags that would do nothing (see _check_bench_flags).
_BENCH_MODES = {
    "--variants": ("--variants", "--seeds", "--datasets", "--out", "--json"),
    "--why": ("--why", "--json"),
    "speed": ("--epochs", "--rounds", "--layer", "--seeds", "--json"),
    "accuracy": ("--seeds", "--datasets", "--json"),
}
_BENCH_WHY_NOT = {
    "--variants": "the lessons table takes --seeds, --datasets, --out and --json only",
    "--why": "it times the 'Why?' view on the shipped Cora model and takes --json only",
    "--out": "it writes the lessons table, so it goes with --variants",
    "--datasets": "it picks the graphs for --seeds N (accuracy) or --variants; the speed is Cora's",
}


def _check_bench_flags(args: argparse.Namespace) -> None:
    """Refuse, before any work, a dataset name that is not one and flags that do nothing in the
    mode chosen (--variants, --why, or speed and/or accuracy); normalises args.datasets."""
    from gat_viz.data import canonical_name

    names = [n for arg in args.datasets for n in arg.split(",") if n]  # "Cora,CiteSeer" too
    try:
        args.datasets = list(dict.fromkeys(canonical_name(n) for n in names))
    except ValueError as exc:
        raise UsageError(f"--datasets: {exc}") from None
    if not args.datasets:
        raise UsageError("--datasets: name at least one of Cora, CiteSeer, PubMed")
    given = set(args.given) | {f for f, v in (("--why", args.why), ("--no-speed", args.no_speed)) if v}
    given |= {f for f, v in (("--variants", args.variants), ("--out", args.out)) if v is not None}
    if "--variants" in given:
        mode = "--variants"
        if not [v for v in args.variants.split(",") if v]:
            raise UsageError("--variants: name at least one variant, e.g. gat,uniform")
        if args.seeds < 1:
            raise UsageError("--variants needs --seeds N with N >= 1")
        if args.out is not None:
            _check_out(args.out, folder_ok=False)
    elif "--why" in given:
        mode = "--why"
    else:
        if args.no_speed and not args.seeds:
            raise UsageError("--no-speed leaves nothing to measure: add --seeds N for the accuracy")
        uses = set(_BENCH_MODES["accuracy"] if args.seeds else ("--seeds", "--json"))
        uses |= {"--no-speed"} if args.no_speed else set(_BENCH_MODES["speed"])
        unused = sorted(given - uses)
        if unused:
            why = _BENCH_WHY_NOT.get(unused[0], "--no-speed turns the speed measurement off")
            raise UsageError(f"{unused[0]} does nothing here: {why}")
        return
    unused = sorted(given - set(_BENCH_MODES[mode]))
    if unused:
        raise UsageError(f"{unused[0]} does nothing with {mode}: {_BENCH_WHY_NOT[mode]}")


def _bench_lessons(args: argparse.Namespace, say: Any) -> int:
    """`bench --variants ...`: the many-seed table of `gat_viz.lessons`, optionally written to --out."""
    from gat_viz import bench
    from gat_viz.data import load_dataset
    from gat_viz.lessons import Lessons

    variants = [v for v in args.variants.split(",") if v]
    unknown = [v for v in variants if v not in bench.LESSON_VARIANTS]
    if unknown:
        choices = ", ".join(bench.LESSON_VARIANTS)
        raise UsageError(f"--variants: unknown {unknown[0]!r} (choose from {choices})")
    datasets = {name: load_dataset(name) for name in args.datasets}
    table = bench.lessons_table({str(d.name): d for d in datasets.values()}, variants, args.seeds, say)
    if args.out is not None:
        try:
            Path(args.out).parent.mkdir(parents=True, exist_ok=True)
            Path(args.out).write_text(json.dumps(table, indent=1) + "\n")
        except OSError as exc:
            raise UsageError(f"--out {args.out}: could not write the table ({exc.strerror or exc})") from exc
        say(f"wrote {args.out}")
    if args.json:
        print(json.dumps(table))
    else:
        print(Lessons(table).summary())
    return 0


def _bench_why(say: Any, quiet: bool) -> dict[str, Any]:
    from gat_viz import bench
    from gat_viz.cache import ASSETS, entry_name
    from gat_viz.checkpoint import load_checkpoint
    from gat_viz.data import load_dataset

    data = load_dataset("Cora")
    path = ASSETS / entry_name("Cora", GATConfig(), 0)
    say(f"timing explain.why, drop_one and attention_effect with {path.name}")
    w = bench.why_speed(data, load_checkpoint(path, data).model.eval())
    if not quiet:
        print(
            f"'Why?' on Cora, shipped model (median and fastest of {w.repeats} runs, {w.threads} threads):\n"
            f"  why + all drop-one, node {w.node} (10 neighbours)    {w.typical_s * 1e3:7.1f} ms "
            f"(fastest {w.best_s[0] * 1e3:.1f}; {w.typical_ratio:.2f} × the {bench.WHY_TARGET_S} s target)\n"
            f"  why + all drop-one, hub {w.hub} ({w.hub_neighbours} neighbours)  {w.hub_s * 1e3:7.1f} ms "
            f"(fastest {w.best_s[1] * 1e3:.1f})\n"
            f"  attention_effect, test split                    {w.effect_s * 1e3:7.1f} ms "
            f"(fastest {w.best_s[2] * 1e3:.1f}; {w.effect_ratio:.2f} × the {bench.EFFECT_TARGET_S} s "
            "target)\n"
            f"  learned vs uniform attention: fixes {w.fixed}, breaks {w.broken} of "
            f"{int(data.test_mask.sum())} test predictions"
        )
    return {
        "node": w.node, "typical_ms": round(w.typical_s * 1e3, 2), "typical_ratio": round(w.typical_ratio, 3),
        "hub": w.hub, "hub_neighbours": w.hub_neighbours, "hub_ms": round(w.hub_s * 1e3, 2),
        "effect_ms": round(w.effect_s * 1e3, 2), "effect_ratio": round(w.effect_ratio, 3),
        "fastest_ms": [round(b * 1e3, 2) for b in w.best_s], "fixed": w.fixed, "broken": w.broken,
        "repeats": w.repeats, "threads": w.threads,
    }  # fmt: skip


class _progress:
    """A tqdm bar on an interactive terminal, nothing otherwise; yields the on_epoch callback."""

    def __init__(self, total: int, label: str) -> None:
        self.total, self.label, self.bar = total, label, None

    def __enter__(self):  # type: ignore[no-untyped-def]
        if sys.stderr.isatty():
            from tqdm import tqdm

            self.bar = tqdm(total=self.total, desc=self.label, unit="epoch", leave=False)
        return self.on_epoch

    def on_epoch(self, record: Any) -> None:
        if self.bar is not None:
            self.bar.update(1)
            self.bar.set_postfix(loss=f"{record.loss:.3f}", val=f"{record.val_acc:.3f}")

    def __exit__(self, *exc: object) -> None:
        if self.bar is not None:
            self.bar.close()


def _out_path(out: str, result: Any) -> Path:
    """--out FILE, or --out FOLDER/ for the cache's own file name (what assets/models/ holds)."""
    from gat_viz.cache import entry_name

    path = Path(out)
    if out.endswith(("/", os.sep)) or path.is_dir():
        return path / entry_name(result.dataset, result.config, result.seed)
    return path


def _check_out(out: str, folder_ok: bool) -> None:
    """Refuse an output path that could not be written, naming it as given: empty, under a file
    (/etc/passwd/x.safetensors), in a folder we cannot write (/proc), or not a regular file."""
    import tempfile

    if not out.strip():
        raise UsageError("--out: empty path; give a file" + (" or a folder ending in /" if folder_ok else ""))
    path = Path(out)
    folder_given = out.endswith(("/", os.sep)) or path.is_dir()
    if folder_given and not folder_ok:
        raise UsageError(f"--out {out}: a folder; give a file name")
    if not folder_given and path.exists() and not path.is_file():
        raise UsageError(f"--out {out}: exists and is not a regular file")
    folder = path if folder_given else path.parent
    existing = next(p for p in (folder, *folder.parents) if p.exists())  # the root always exists
    if not existing.is_dir():
        raise UsageError(f"--out {out}: {existing} is a file, not a folder")
    try:  # the only reliable test (permissions, read-only mounts, /proc, also for root): try it
        with tempfile.TemporaryFile(dir=existing):
            pass
    except OSError as exc:
        raise UsageError(f"--out {out}: cannot write in {existing} ({exc.strerror or exc})") from None


def _int_up_to(limit: int) -> Any:
    """An argparse type: an integer from 1 to `limit`, the limit named when refused."""

    def parse(text: str) -> int:
        value = _nonneg_int(text, limit=None)
        if not 1 <= value <= limit:
            raise argparse.ArgumentTypeError(f"must be from 1 to {limit}, got {text!r}")
        return value

    return parse


def _pos_int(text: str) -> int:
    value = _nonneg_int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {text!r}")
    return value


def _nonneg_int(text: str, limit: int | None = 10**7) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {text!r}")
    if limit is not None and value > limit:
        raise argparse.ArgumentTypeError(f"at most {limit}, got {text!r}")
    return value


def _fail(message: str) -> int:
    print(f"gat_viz: error: {message}", file=sys.stderr)
    return EXIT_USAGE
