"""The repository keeps its promises: the README's commands are the ones CI runs; lint is clean."""

import re
import subprocess
import sys

from tests.conftest import ROOT

TEST_COMMAND = "apt-get install -y chromium && pip install -r tests/requirements.txt && python -m pytest"


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    assert TEST_COMMAND in readme
    assert re.search(rf"^{re.escape(TEST_COMMAND)}$", ci, re.M)
    assert "shared/data/planetoid" in ci and "GAT_VIZ_DATA" in ci


def test_ruff_is_clean():
    proc = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "."], cwd=ROOT, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_no_planetoid_files_in_the_repository():
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True).stdout
    assert not re.search(r"ind\.(cora|citeseer|pubmed)\.", tracked)
