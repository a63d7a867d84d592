"""What a cold start imports. The app's first picture must not wait for torch_geometric (~2 s: it
pulls in torch._dynamo), and the command line's --help for nothing heavy. Each check runs in a
fresh interpreter, since this test session has long imported everything."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# The app's path to its first drawn graph (gat_viz/ui/main.py and ui/explorer.py), without Streamlit's
# runtime: every module the page imports, the shipped Cora and the shipped model through the model
# store, then what the explorer computes and draws for the opening node.
FIRST_PAGE = """
import json, sys
import gat_viz.ui.main
from gat_viz import explain
from gat_viz.config import GATConfig
from gat_viz.explore import computation_view, default_node, edge_table, inspect, node_view
from gat_viz.plotting import neighbourhood_figure, probability_figure
from gat_viz.ui import resources

data = resources.dataset("Cora")
loaded = resources.store().get(("Cora", GATConfig(), 0), data)
out, y = loaded.outputs, data.y.numpy()
node = default_node(out, data)
view = computation_view(out, node, "mean", order_key=y)
fig = neighbourhood_figure(view, out, y, data.class_names, resources.splits("Cora"), "true class")
node_view(out, node, 2, 0, 0, order_key=y)
edge_table(out, data, view)
probability_figure(inspect(out, data, node, 1), data.class_names)
explain.why(loaded.result.model, data, node)
explain.drop_one(loaded.result.model, data, node)
print(json.dumps({
    "source": loaded.source,
    "traces": len(fig.data),
    "pyg": sorted(m for m in sys.modules if m.split(".")[0] == "torch_geometric"),
}))
"""


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


@pytest.mark.parametrize("gat_viz_data", ["unset", "set"])
def test_the_first_page_never_imports_torch_geometric(gat_viz_data, tmp_path):
    env = {**os.environ, "GAT_VIZ_CACHE": str(tmp_path / "cache")}
    env.pop("GAT_VIZ_DATA", None)
    if gat_viz_data == "set":  # the raw files, when the session has them: still the shipped route
        env["GAT_VIZ_DATA"] = os.environ.get("GAT_VIZ_DATA") or str(tmp_path)
    done = _run([sys.executable, "-c", FIRST_PAGE], env)
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["source"] == "shipped" and report["traces"] > 0  # the check ran the real path
    assert report["pyg"] == [], f"the first page imported {report['pyg'][:5]}"


def test_help_imports_no_torch():
    """`python -m gat_viz --help`, as typed, with `-X importtime` listing every module it loads."""
    done = _run([sys.executable, "-X", "importtime", "-m", "gat_viz", "--help"], dict(os.environ))
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if "|" in line}
    assert "gat_viz" in imported and "usage" in done.stdout.lower()  # the listing is real
    heavy = sorted(m for m in imported if m.split(".")[0] in ("torch", "torch_geometric"))
    assert heavy == [], f"--help imported {heavy[:5]}"
