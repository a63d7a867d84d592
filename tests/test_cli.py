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


def test_missing_data_one_line(tmp_path, cora):
    proc = run("train", "--dataset", "CiteSeer", env_extra={"GAT_VIZ_DATA": str(tmp_path)})
    assert_one_line_error(proc)
    assert "GAT_VIZ_DATA" in proc.stderr


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
