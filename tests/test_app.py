"""The app's script, run by Streamlit's AppTest (no browser)."""

import pytest
from streamlit.testing.v1 import AppTest

from gat_viz.cache import ASSETS, entry_name
from gat_viz.checkpoint import load_checkpoint
from gat_viz.config import GATConfig
from gat_viz.explore import DEFAULT_RULE, default_node, model_outputs
from tests.conftest import ROOT


def new_app(**params) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for key, value in params.items():
        at.query_params[key] = value
    return at


@pytest.fixture
def app(cora):
    return new_app().run()


def node_input(at):
    """The explorer's node input (its key changes with the node: gat_viz.ui.state.node_input_key)."""
    return next(w for w in at.number_input if w.label == "Node")


def model_line(at) -> str:
    return next(m.value for m in at.caption if m.value.startswith("**Model:**"))


def test_opens_on_cora_with_the_pretrained_model(app, cora):
    assert not app.exception
    assert any(m.value == "#### GAT Attention Explorer" for m in app.markdown)
    line = model_line(app)
    assert "Cora, 8×8 heads, LeakyReLU α=0.2, dropout 0.6, seed 0" in line
    shipped = load_checkpoint(ASSETS / entry_name("Cora", GATConfig(), 0))
    assert f"test accuracy at best validation {shipped.test_acc:.1%}" in line
    assert "83.0 ± 0.7" in line and "shipped" in line
    opening = default_node(model_outputs(shipped.model, cora), cora)
    assert node_input(app).value == opening  # chosen by a stated rule, not node 0
    assert app.selectbox(key="mode").value == "computation graph"
    shows = [c.value for c in app.caption if c.value.startswith(f"Node {opening} (the opening node: ")]
    assert shows and DEFAULT_RULE in shows[0]
    assert any(c.value.startswith("Cora: 2,708") for c in app.caption)  # the two-line introduction
    assert len(app.get("plotly_chart")) >= 2  # the neighbourhood and the probabilities
    assert not app.warning


def test_hub_is_summarised_with_a_note(app):
    node_input(app).set_value(1358).run()
    assert not app.exception
    assert any("Summarised for legibility" in c.value for c in app.caption)
    app.selectbox(key="mode").set_value("one layer").run()
    assert any("hop-2 nodes with the weakest attention are left out" in c.value for c in app.caption)
    app.selectbox(key="mode").set_value("heads grid").run()
    assert not app.exception and any("attend most alike" in c.value for c in app.caption)


def test_layer_two_has_one_head(app):
    app.selectbox(key="mode").set_value("one layer").run()
    app.selectbox(key="layer").set_value("2").run()
    assert app.selectbox(key="head").options == ["mean", "max", "1"]
    app.selectbox(key="head").set_value("1").run()
    assert not app.exception


def test_inspector_states_the_prediction(cora):
    app = new_app(node="0").run()
    text = " ".join(m.value for m in app.markdown)
    assert "**True:** Probabilistic Methods" in text and "**split:** train" in text
    assert any("entropy" in m.label.lower() for m in app.metric)


def test_random_misclassified_node(app, cora):
    app.button[1].click().run()
    node = node_input(app).value
    text = " ".join(m.value for m in app.markdown)
    assert cora.test_mask[node] and ":red[**wrong**]" in text
    # the "Why this prediction?" tab (open by default) answers for this node
    assert f"Node {node} (test) is **" in text and "wrong." in text
    assert "Which single edge flips the prediction?" in text and "What if?" in text


def test_colouring_and_relative_widths(app):
    app.selectbox(key="colour_by").set_value("correct / wrong").run()
    app.toggle(key="relative").set_value(True).run()
    assert not app.exception


@pytest.mark.parametrize(
    "params, notice",
    [
        ({"node": "abc"}, "does not exist"),
        ({"node": "99999"}, "does not exist"),
        ({"layer": "9"}, "layer"),
        ({"hops": "7"}, "hops"),
        ({"mode": "sideways"}, "mode"),
        ({"dataset": "Reddit"}, "dataset Reddit; choose Cora / CiteSeer"),
        ({"node": "<img src=x onerror=alert(1)>"}, "28 characters long"),
        ({"node": "<img src=x>"}, "does not exist"),
    ],
)
def test_bad_links_fall_back_with_a_notice(cora, params, notice):
    at = new_app(**params).run()
    assert not at.exception
    assert any(notice in w.value for w in at.warning)
    shipped = load_checkpoint(ASSETS / entry_name("Cora", GATConfig(), 0))
    assert node_input(at).value == default_node(model_outputs(shipped.model, cora), cora)
    assert all("<img" not in m.value for m in at.markdown)


def test_link_opens_a_node(cora):
    at = new_app(node="33", hops="1", layer="2", mode="one layer").run()
    assert not at.exception and not at.warning
    assert node_input(at).value == 33
    assert at.selectbox(key="hops").value == "1" and at.selectbox(key="layer").value == "2"


def test_switch_to_citeseer(app, citeseer):
    app.selectbox(key="dataset").set_value("CiteSeer").run()
    assert not app.exception
    assert "CiteSeer" in model_line(app) and "72.5 ± 0.7" in model_line(app)


def test_the_lower_section_runs_only_when_opened(cora):
    at = new_app(node="7").run()
    assert not at.exception and at.expander[0].label.startswith("Under the hood")
    assert len(at.get("latex")) == 0
    assert [t.label for t in at.tabs] == [
        "Node inspector", "ReLU vs LeakyReLU",
        ":material/psychology_alt: Why this prediction?", ":material/rule: Error finder",
    ]  # fmt: skip  # no lower tabs
    at.session_state["hood"] = True
    at.run()
    assert len(at.get("latex")) == 3 and len(at.tabs) == 8


def test_teaching_views_show_the_models_numbers(cora):
    at = new_app(node="7", head="2").run()
    at.session_state["side_tab"] = "ReLU vs LeakyReLU"  # tabs are lazy: open the side panel
    at.session_state["hood"] = True  # and the lower section, closed by default
    at.run()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown)
    assert "of its 2 incoming edges" in text  # node 7: one neighbour and its self loop
    diffs = [s.value for s in at.success if "reproduces the model's own forward pass" in s.value]
    assert diffs and float(diffs[0].rsplit("= ", 1)[1]) < 1e-4
    assert any("dead under ReLU" in m.label for m in at.metric)
    assert len(at.get("latex")) == 3


def test_relu_leaky_and_ablation_tables(cora):
    at = new_app(node="7").run()
    at.session_state["side_tab"] = "ReLU vs LeakyReLU"
    at.session_state["hood"] = True
    at.session_state["lower_tab"] = "Attention learns"
    at.run()
    assert not at.exception
    models = [list(t.value.index) for t in at.table]
    assert ["LeakyReLU α=0.2", "ReLU"] in models
    assert [
        "attention learned",
        "attention frozen at initialisation",
        "uniform attention (Const-GAT)",
    ] in models
    labels = [b.label for b in at.button]
    assert any(label.startswith("Train the missing ReLU / LeakyReLU") for label in labels)
    assert any(label.startswith("Train the missing ablation") for label in labels)


def test_closed_tabs_do_not_run(cora):
    at = new_app(node="7").run()
    assert not any("dead under ReLU" in m.label for m in at.metric)  # the side panel is closed


def test_static_vs_dynamic_tab_runs_on_the_shipped_models(cora):
    at = new_app(node="1358").run()
    at.session_state["hood"] = True
    at.session_state["lower_tab"] = "Static vs dynamic (GATv2)"
    at.run()
    assert not at.exception
    text = " ".join(m.value for m in at.markdown) + " ".join(c.value for c in at.caption)
    assert "Static vs dynamic attention" in text and "GATv2" in text


def test_the_model_kind_switch_loads_the_shipped_gatv2(app):
    app.selectbox(key="kind").set_value("GATv2 (dynamic attention)").run()
    assert not app.exception
    line = model_line(app)
    assert "GATv2" in line and "shipped" in line  # Cora's GATv2 twin ships: no training


@pytest.mark.parametrize("mode", ["computation graph", "one layer", "heads grid"])
def test_every_view_runs_on_a_gatv2_model(cora, mode):
    at = new_app(node="7", mode=mode).run()
    at.selectbox(key="kind").set_value("GATv2 (dynamic attention)").run()
    for tab in ("ReLU vs LeakyReLU", "Node inspector"):
        at.session_state["side_tab"] = tab
        at.session_state["hood"] = True
        for lower in (
            "The attention math",
            "Attention learns",
            "Entropy vs uniform",
            "Static vs dynamic (GATv2)",
        ):
            at.session_state["lower_tab"] = lower
            at.run()
            assert not at.exception, (tab, lower)
    assert any("this model is a GATv2" in i.value for i in at.info)
