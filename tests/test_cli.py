"""The command line, run as users run it: a subprocess, exit codes and one-line errors."""

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT


def run(*args, env_extra=None):
    import os

    env = {**os.environ, **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-m", "gat_viz", *args], capture_output=True, text=True, cwd=ROOT, env=env,
        timeout=600,
    )  # fmt: skip


def assert_one_line_error(proc):
    assert proc.returncode == 2, proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("gat_viz: error:"), proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["fly"],
        ["train", "--heads", "x"],
        ["train", "--heads", "0"],
        ["train", "--seed", "-1"],
        ["train", "--dropout", "1.5"],
        ["train", "--negative-slope", "nan"],
        ["train", "--activation", "tanh"],
        ["train", "--dataset", "Reddit"],
        ["train", "--max-epochs", "99999999999"],
        ["train", "--unknown"],
        ["eval"],
        ["eval", "--checkpoint", "/definitely/not/here.safetensors"],
        ["bench", "--epochs", "0"],
        ["data"],
        ["data", "export"],
        ["data", "export", "--from", "/definitely/not/here"],
        ["data", "export", "--from", ".", "--datasets", "PubMed"],
        ["data", "export", "--from", ".", "--datasets", "Reddit"],
    ],
)
def test_bad_arguments_exit_2_with_one_line(args, capsys, cora):
    from gat_viz.cli import main

    code = main(args)
    err = capsys.readouterr().err
    assert_one_line_error(subprocess.CompletedProcess(args, code, "", err))


def test_bad_argument_in_a_real_process():
    assert_one_line_error(run("train", "--heads", "x"))


def test_corrupt_checkpoint_one_line(tmp_path):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"garbage" * 10)
    assert_one_line_error(run("eval", "--checkpoint", str(bad)))


def test_missing_data_one_line(tmp_path):
    """PubMed is not shipped: only the raw route ($GAT_VIZ_DATA) has it, and offline it is not there."""
    proc = run("train", "--dataset", "PubMed", env_extra={"GAT_VIZ_DATA": str(tmp_path)})
    assert_one_line_error(proc)
    assert "GAT_VIZ_DATA" in proc.stderr


def test_export_without_raw_files_names_them(tmp_path):
    proc = run("data", "export", "--from", str(tmp_path), "--to", str(tmp_path / "out"))
    assert_one_line_error(proc)
    assert "ind.cora.x" in proc.stderr and not (tmp_path / "out").exists()


@pytest.mark.cora
def test_data_export_regenerates_the_shipped_files_byte_for_byte(tmp_path):
    """The README's command, from the raw files: the same bytes as the files in the repository."""
    from gat_viz.data import data_root, shipped_file
    from tests.conftest import _require_planetoid

    _require_planetoid("Cora")
    _require_planetoid("CiteSeer")
    proc = run("data", "export", "--from", str(data_root()), "--to", str(tmp_path))
    assert proc.returncode == 0, proc.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["citeseer.safetensors", "cora.safetensors"]
    for name in ("Cora", "CiteSeer"):
        assert (tmp_path / shipped_file(name).name).read_bytes() == shipped_file(name).read_bytes(), name
        assert f"{tmp_path / shipped_file(name).name}" in proc.stdout


HELP_PROBE = """
import sys
from gat_viz.cli import build_parser
parser = build_parser()
for argv in ([], ["train"], ["eval"], ["bench"], ["data"], ["data", "export"]):
    try:
        parser.parse_args([*argv, "--help"])
    except SystemExit:
        pass
heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("torch", "torch_geometric", "numpy"))
print("HEAVY", heavy, file=sys.stderr)
"""


def test_help_imports_neither_torch_nor_torch_geometric():
    """Every command's --help, in one fresh interpreter: nothing heavy is imported to print it."""
    env = {k: v for k, v in __import__("os").environ.items() if k != "PYTHONPATH"}
    proc = subprocess.run(
        [sys.executable, "-c", HELP_PROBE], capture_output=True, text=True, cwd=ROOT, env=env, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert "HEAVY []" in proc.stderr, proc.stderr[-500:]
    for command in ("usage: gat_viz train", "usage: gat_viz eval", "usage: gat_viz data export"):
        assert command in proc.stdout


@pytest.mark.parametrize("argv", [[], ["train"], ["eval"], ["bench"], ["data", "export"]])
def test_help_as_users_run_it_shows_defaults_without_torch(argv):
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "gat_viz", *argv, "--help"],
        capture_output=True, text=True, cwd=ROOT, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    imported = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if "|" in line}
    assert "gat_viz.cli" in imported  # the probe works: -X importtime lists our own modules
    assert not {m for m in imported if m.split(".")[0] in ("torch", "torch_geometric")}
    expected = {
        (): "{train,eval,bench,data,pretrain,i18n}",
        ("train",): "upper bound on epochs (default: 1000)",
        ("eval",): "--checkpoint PATH",
        ("bench",): "timed epochs per round (default: 100)",
        ("data", "export"): "(default: ['Cora', 'CiteSeer'])",
    }[tuple(argv)]
    assert expected in " ".join(proc.stdout.split()), proc.stdout


def test_train_json_save_then_eval(tmp_path, cora):
    out = tmp_path / "m.safetensors"
    proc = run("train", "--max-epochs", "20", "--heads", "4", "--seed", "2", "--out", str(out), "--json")
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["epochs"] == 20 and summary["seed"] == 2 and summary["config"]["heads"] == 4
    assert 0 < summary["test_acc"] <= 1 and out.is_file()
    assert all(round(summary[k], 4) == summary[k] for k in ("test_acc", "val_acc"))  # fractions, 4 decimals
    proc = run("eval", "--checkpoint", str(out), "--json")
    assert proc.returncode == 0, proc.stderr
    evaluated = json.loads(proc.stdout)
    assert evaluated["test_acc"] == summary["test_acc"]
    for split in ("train", "val", "test"):
        assert (
            0 < evaluated[f"{split}_acc"] <= 1
            and round(evaluated[f"{split}_acc"], 4) == evaluated[f"{split}_acc"]
        )


@pytest.mark.parametrize("flags, layer, attention", [
    (("--layer", "gatv2"), "gatv2", "learned"),
    (("--attention", "uniform"), "gat", "uniform"),
    (("--frozen-attention",), "gat", "frozen"),
    (("--attention", "gatv2"), "gatv2", "learned"),  # issue 13's spelling of --layer gatv2
    (("--attention", "gatv2", "--frozen-attention"), "gatv2", "frozen"),
])  # fmt: skip
def test_train_kinds_of_attention(cora, flags, layer, attention):
    proc = run("train", "--max-epochs", "3", *flags, "--json")
    assert proc.returncode == 0, proc.stderr
    config = json.loads(proc.stdout)["config"]
    assert (config["layer"], config["attention"]) == (layer, attention)


def test_train_summary_names_the_paper(tmp_path, cora):
    proc = run("train", "--max-epochs", "5", "--out", f"{tmp_path}/")
    assert proc.returncode == 0, proc.stderr
    assert "test accuracy" in proc.stdout and "83.0 ± 0.7" in proc.stdout
    assert len(list(tmp_path.glob("Cora-*-seed0.safetensors"))) == 1


def test_bench_json(cora):
    proc = run("bench", "--epochs", "3", "--rounds", "1", "--seeds", "1", "--json")
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert report["speed"]["ratio"] > 0 and report["speed"]["epochs_timed"] == 3
    accuracy = report["accuracy"]["Cora"]  # fractions, as in every JSON output
    assert (accuracy["paper_mean"], accuracy["paper_std"]) == (0.83, 0.007)
    assert 0 < accuracy["mean"] <= 1 and accuracy["test_accs"] == [accuracy["mean"]]
    assert round(accuracy["mean"], 4) == accuracy["mean"]


def test_bench_lessons_json_holds_fractions(cora):
    from gat_viz.lessons import Lessons

    proc = run("bench", "--variants", "uniform", "--seeds", "1", "--json")
    assert proc.returncode == 0, proc.stderr
    table = json.loads(proc.stdout)
    row, run_ = table["rows"]["Cora"]["uniform"], table["rows"]["Cora"]["uniform"]["runs"][0]
    assert table["version"] == 2 and 0 < run_["test_acc"] <= 1 and 0 < run_["val_acc"] <= 1
    assert round(run_["test_acc"], 4) == run_["test_acc"] == row["test_acc_mean"]
    assert Lessons(table).row("Cora", "uniform").mean == pytest.approx(run_["test_acc"] * 100)  # read in %


# Each refused before any work: nothing is trained, timed or even loaded. `{tmp}` is a fresh folder
# holding a regular file `file`.
REFUSED = [
    (["train", "--hidden", "100000"], "argument --hidden: must be from 1 to 1024, got '100000'"),
    (["train", "--heads", "65"], "argument --heads: must be from 1 to 64"),
    (["train", "--out-heads", "1000"], "argument --out-heads: must be from 1 to 64"),
    (["train", "--seed", "99999999999"], "argument --seed: at most 10000000"),
    (["train", "--out", ""], "--out: empty path"),
    (["train", "--out", "/proc/x.safetensors"], "--out /proc/x.safetensors: cannot write in /proc"),
    (["train", "--out", "{tmp}/file/x.safetensors"], "--out {tmp}/file/x.safetensors: {tmp}/file is a file"),
    (["train", "--out", "{tmp}/file/deeper/"], "{tmp}/file is a file, not a folder"),
    (["train", "--out", "/dev/null"], "--out /dev/null: exists and is not a regular file"),
    (["train", "--attention", "gatv2", "--layer", "gat"], "--attention gatv2 picks the layer"),
    (["train", "--frozen-attention", "--attention", "uniform"], "--frozen-attention contradicts"),
    (["bench", "--datasets", "Foo"], "--datasets: unknown dataset 'Foo'"),
    (["bench", "--seeds", "1", "--datasets", "Cora,Foo"], "unknown dataset 'Foo'"),
    (["bench", "--out", "x.json"], "--out does nothing here: it writes the lessons table"),
    (["bench", "--datasets", "CiteSeer"], "--datasets does nothing here"),
    (["bench", "--no-speed"], "--no-speed leaves nothing to measure"),
    (["bench", "--no-speed", "--seeds", "1", "--layer", "gatv2"], "--layer does nothing here"),
    (["bench", "--seeds", "1", "--no-speed", "--rounds", "2"], "--rounds does nothing here"),
    (["bench", "--why", "--layer", "gatv2"], "--layer does nothing with --why"),
    (["bench", "--why", "--seeds", "3"], "--seeds does nothing with --why"),
    (["bench", "--why", "--epochs", "3"], "--epochs does nothing with --why"),
    (
        ["bench", "--variants", "gat", "--seeds", "1", "--epochs", "3"],
        "--epochs does nothing with --variants",
    ),
    (["bench", "--variants", "gat", "--seeds", "1", "--why"], "--why does nothing with --variants"),
    (["bench", "--variants", "gat"], "--variants needs --seeds N"),
    (["bench", "--variants", ",", "--seeds", "1"], "--variants: name at least one variant"),
    (["bench", "--variants", "gat", "--seeds", "1", "--out", "{tmp}/"], "--out {tmp}/: a folder"),
    (["bench", "--variants", "gat", "--seeds", "1", "--out", "{tmp}/file/t.json"], "{tmp}/file is a file"),
    (["bench", "--variants", "gat", "--seeds", "1", "--out", "/proc/t.json"], "cannot write in /proc"),
    (["eval", "--checkpoint", "{tmp}"], "{tmp}: a folder, not a checkpoint file"),
    (["eval", "--checkpoint", "/dev/null"], "/dev/null: not a regular file"),
    (["eval", "--checkpoint", ""], "--checkpoint: empty path"),
]


@pytest.mark.parametrize("args, expected", REFUSED)
def test_refused_before_any_work_with_one_line(args, expected, tmp_path, capsys, monkeypatch):
    from gat_viz import bench, data
    from gat_viz.cli import main

    def work(*_a, **_k):
        raise AssertionError("work started before the arguments were checked")

    for module, name in ((data, "load_dataset"), (sys.modules["gat_viz.train"], "train"), (bench, "speed"),
                         (bench, "accuracy"), (bench, "lessons_table"), (bench, "why_speed")):  # fmt: skip
        monkeypatch.setattr(module, name, work)
    (tmp_path / "file").write_text("a regular file")
    code = main([a.format(tmp=tmp_path) for a in args])
    err = capsys.readouterr().err
    assert_one_line_error(subprocess.CompletedProcess(args, code, "", err))
    assert expected.format(tmp=tmp_path) in err and "please report" not in err and ".tmp" not in err


@pytest.mark.parametrize("args, datasets", [
    ([], ["Cora"]),
    (["--json", "--layer", "gatv2", "--epochs", "5", "--rounds", "1"], ["Cora"]),
    (["--seeds", "2", "--datasets", "Cora,CiteSeer", "cora"], ["Cora", "CiteSeer"]),
    (["--no-speed", "--seeds", "1", "--datasets", "citeseer"], ["CiteSeer"]),
    (["--seeds", "0"], ["Cora"]),
    (["--why", "--json"], ["Cora"]),
    (["--variants", "gat,uniform", "--seeds", "2", "--datasets", "Cora", "--out", "t.json"], ["Cora"]),
])  # fmt: skip
def test_bench_flags_that_do_something_pass(args, datasets):
    from gat_viz.cli import _check_bench_flags, build_parser

    parsed = build_parser().parse_args(["bench", *args])
    _check_bench_flags(parsed)
    assert parsed.datasets == datasets


def test_a_failed_save_names_the_path_given(tmp_path, capsys, monkeypatch, cora):
    from gat_viz import checkpoint
    from gat_viz.cli import main

    def denied(path, _result):
        raise PermissionError(13, "Permission denied", str(tmp_path / ".m.safetensors.x1y2.tmp"))

    monkeypatch.setattr(checkpoint, "save_checkpoint", denied)
    out = tmp_path / "m.safetensors"
    code = main(["train", "--max-epochs", "1", "--out", str(out)])
    err = capsys.readouterr().err
    assert_one_line_error(subprocess.CompletedProcess([], code, "", err))
    assert f"--out {out}: could not write the checkpoint (Permission denied)" in err and ".tmp" not in err


@pytest.mark.parametrize("value", ["file", "file/under"])
def test_gat_viz_data_naming_a_file_says_so(tmp_path, value):
    (tmp_path / "file").write_text("not a folder")
    proc = run("train", "--dataset", "PubMed", env_extra={"GAT_VIZ_DATA": str(tmp_path / value)})
    assert_one_line_error(proc)
    assert f"GAT_VIZ_DATA={tmp_path / value}: {tmp_path / 'file'} is a file, not a folder" in proc.stderr
    assert "offline" not in proc.stderr


@pytest.mark.parametrize("args, code", [
    (["train", "--help"], 0),  # argparse itself ignores a failed write of the help
    (["eval", "--checkpoint", "assets/models/Cora-54ec4ecef696-seed0.safetensors", "--json"], 141),
    (["eval", "--checkpoint", "assets/models/Cora-54ec4ecef696-seed0.safetensors"], 141),
])  # fmt: skip
def test_a_closed_output_pipe_ends_quietly(args, code):
    """`... | head -1` once head has gone: no BrokenPipeError traceback, no error line."""
    import os

    read, write = os.pipe()
    os.close(read)  # the reader has gone before we write
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "gat_viz", *args], stdout=write, stderr=subprocess.PIPE, text=True,
            cwd=ROOT, timeout=120,
        )  # fmt: skip
    finally:
        os.close(write)
    assert proc.returncode == code and proc.stderr == "", proc.stderr


def test_help_names_the_limits_and_the_attention_spellings():
    text = " ".join(run("train", "--help").stdout.split())
    assert "channels per head in layer 1, 1 to 1024" in text and "attention heads in layer 1, 1 to 64" in text
    assert "heads in the output layer, 1 to 64" in text and "gat or gatv2 pick the layer" in text
