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
        (): "{train,eval,bench,data}",
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
    proc = run("eval", "--checkpoint", str(out), "--json")
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["test_acc"] == pytest.approx(summary["test_acc"])


@pytest.mark.parametrize("flags, layer, attention", [
    (("--layer", "gatv2"), "gatv2", "learned"),
    (("--attention", "uniform"), "gat", "uniform"),
    (("--frozen-attention",), "gat", "frozen"),
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
    assert report["accuracy"]["Cora"]["paper_mean"] == 83.0
