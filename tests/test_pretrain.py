"""`python -m gat_viz pretrain`: the settings are exactly the app's, and a run trains each once."""

from __future__ import annotations

import io
import os
import subprocess
import sys

import pytest
import torch
from streamlit.testing.v1 import AppTest

from gat_viz import pretrain
from gat_viz.cache import ModelCache
from gat_viz.cli import main
from gat_viz.config import GATConfig
from gat_viz.data import load_dataset
from gat_viz.ui import links
from gat_viz.ui.sidebar import requested
from tests.conftest import ROOT

D = GATConfig()


def test_the_settings_count_and_order():
    listed = pretrain.settings()
    # 21 slopes + 16 head counts + 19 dropouts, the default once on each slider; + 4 twins not on a
    # slider (frozen, uniform, PReLU, GATv2; the ReLU twin is the slope at 0).
    assert len(listed) == (21 + 16 + 19 - 2) + 4 == 58
    assert len({c.key() for _name, c, _seed in listed}) == 58  # no two share a cache entry
    assert {(name, seed) for name, _c, seed in listed} == {("Cora", 0)}
    assert listed[0][1] == D  # the paper's first, then the twins, then the nearest slider steps
    assert [c for _n, c, _s in listed[6:12]] == [
        D.replace(negative_slope=0.15), D.replace(negative_slope=0.25), D.replace(heads=7),
        D.replace(heads=9), D.replace(dropout=0.55), D.replace(dropout=0.65),
    ]  # fmt: skip
    assert {n for n, _c, _s in pretrain.settings("CiteSeer")} == {"CiteSeer"}


def test_each_slider_value_is_listed_with_the_others_at_their_defaults():
    configs = {c for _n, c, _s in pretrain.settings()}
    slopes = [round(0.05 * i, 2) for i in range(21)]
    dropouts = [round(0.05 * i, 2) for i in range(19)]
    assert slopes[-1] == 1.0 and dropouts[-1] == 0.9
    on_slider = (
        {D.replace(negative_slope=s) for s in slopes}
        | {D.replace(heads=h) for h in range(1, 17)}
        | {D.replace(dropout=p) for p in dropouts}
    )
    assert len(on_slider) == 54 and on_slider <= configs
    twins = configs - on_slider
    assert {(c.attention, c.activation, c.layer) for c in twins} == {
        ("frozen", "leaky_relu", "gat"), ("uniform", "leaky_relu", "gat"),
        ("learned", "prelu", "gat"), ("learned", "leaky_relu", "gatv2"),
    }  # fmt: skip
    assert D.replace(activation="relu") in configs  # the ReLU twin (= slope 0)
    for c in configs:  # each valid: it survives the checkpoint's round trip
        assert GATConfig.from_dict(c.to_dict()) == c


def _slider_values(lo, hi, step):
    """What a Streamlit slider hands back: lo + i·step, float noise included (0.15000000000000002)."""
    return [lo + i * step for i in range(round((hi - lo) / step) + 1)]


@pytest.mark.parametrize(
    "key, field", [("slope", "negative_slope"), ("heads", "heads"), ("dropout", "dropout")]
)
def test_each_config_is_the_one_the_sidebar_builds(key, field):
    keys = {c.key() for _n, c, _s in pretrain.settings()}
    values = _slider_values(*pretrain.SLIDERS[field])
    for value in values:
        name, config, seed = requested({key: value})
        assert (name, seed) == ("Cora", 0)
        assert config.key() in keys, (key, value)


@pytest.mark.parametrize(
    "state",
    [
        {"kind": "frozen"},
        {"kind": "uniform"},
        {"kind": "gatv2"},
        {"activation": "prelu"},
        {"activation": "relu"},
    ],
)
def test_the_twins_are_the_ones_the_sidebar_builds(state):
    keys = {c.key() for _n, c, _s in pretrain.settings()}
    assert requested(state)[1].key() in keys


def sidebar_app():
    """Run by AppTest: the real sidebar, with the session defaults the app sets."""
    import streamlit as st

    from gat_viz.ui import state
    from gat_viz.ui.sidebar import model_setting

    state.defaults(st.session_state)
    name, config, seed = model_setting()
    st.session_state["_setting"] = (name, config.key(), seed)


def test_the_slider_ranges_are_the_sidebars():
    at = AppTest.from_function(sidebar_app).run(timeout=60)
    assert not at.exception
    for key, field in (("slope", "negative_slope"), ("heads", "heads"), ("dropout", "dropout")):
        slider = at.slider(key=key)
        assert (slider.min, slider.max, slider.step) == pretrain.SLIDERS[field], key
    keys = [c.key() for _n, c, _s in pretrain.settings()]
    assert at.session_state["_setting"] == ("Cora", keys[0], 0)  # the page opens on the paper's
    at.slider(key="slope").set_value(0.25).run(timeout=60)  # one step of a real slider
    assert at.session_state["_setting"] == ("Cora", D.replace(negative_slope=0.25).key(), 0)
    assert at.session_state["_setting"][1] in keys


@pytest.mark.parametrize(
    "name, field", [("slope", "negative_slope"), ("heads", "heads"), ("dropout", "dropout")]
)
def test_the_slider_ranges_are_the_links(name, field):
    """A link is snapped to the same grid: each of our values is read as is, the ends are the ends."""
    lo, hi, step = pretrain.SLIDERS[field]
    parse = links.BY_NAME[name].parse
    for value in pretrain.grid(lo, hi, step):
        assert parse(str(value)) == (value, None)
    assert parse(str(hi + step))[0] == hi and parse(str(lo - step))[0] == lo
    between = parse(str(lo + step / 2 + 1e-6))
    assert between[1] is not None  # not on the grid: moved, with a notice


def test_dataset_names():
    assert pretrain.check_datasets(["cora", "CiteSeer,Cora"]) == ["Cora", "CiteSeer"]
    with pytest.raises(ValueError, match="PubMed"):
        pretrain.check_datasets(["PubMed"])
    assert tuple(pretrain.DATASETS) == links.DATASETS


@pytest.mark.parametrize("args", [["pretrain", "--datasets", "PubMed"], ["pretrain", "--datasets", ","]])
def test_bad_datasets_exit_2_with_one_line(args, capsys):
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("gat_viz: error: --datasets")


def test_dry_run_lists_and_estimates(capsys):
    cache = ModelCache()  # the test's own, empty GAT_VIZ_CACHE (tests/conftest.py)
    relu = D.replace(activation="relu")
    cache.path("Cora", relu, 0).write_bytes(b"not even read")  # a dry run only looks at the files
    assert main(["pretrain", "--dry-run"]) == 0
    out = capsys.readouterr().out
    lines = out.strip().splitlines()
    assert lines[0] == "Cora, seed 0: 58 settings"
    assert f"  shipped   {D.label()}" in lines and f"  shipped   {D.replace(layer='gatv2').label()}" in lines
    assert f"  cached    {relu.label()}" in lines
    assert sum(line.startswith("  to train") for line in lines) == 55
    assert lines[-1].startswith(f"58 settings: 3 cached, 55 to train, about {pretrain.duration(55 * 15)}")
    assert not list(cache.folder.glob("*.lock"))  # nothing trained, nothing claimed

    assert main(["pretrain", "--dry-run", "--datasets", "Cora", "CiteSeer"]) == 0
    assert "116 settings: 4 cached, 112 to train" in capsys.readouterr().out


TINY = [("Cora", GATConfig(max_epochs=3)), ("Cora", GATConfig(max_epochs=3, heads=2))]


@pytest.fixture
def tiny(monkeypatch):
    """Two 3-epoch settings instead of the app's 58."""
    monkeypatch.setattr(pretrain, "settings", lambda dataset="Cora": [(dataset, c, 0) for _n, c in TINY])


def test_a_run_trains_what_is_missing_and_skips_it_next_time(tiny, capsys):
    threads = torch.get_num_threads()
    assert main(["pretrain"]) == 0
    out, err = capsys.readouterr()
    assert out.splitlines()[0].startswith("pretrain: 2 settings on Cora (seed 0): 0 cached, 2 to train")
    assert out.splitlines()[-1].startswith("pretrain: trained 2, already cached 0, failed 0;")
    assert "[1/2] trained: Cora, " in err and "[2/2] trained" in err and "left" in err
    assert torch.get_num_threads() == threads  # the one-thread training leaves the process as it was
    cache = ModelCache()
    for _name, config in TINY:
        assert cache.get(load_dataset("Cora"), config, 0).config == config

    assert main(["pretrain"]) == 0  # again: everything is there
    out, err = capsys.readouterr()
    assert "0 to train" in out and out.splitlines()[-1].startswith("pretrain: trained 0, already cached 2")
    assert err == ""


def test_a_failure_is_reported_and_the_rest_still_trains(tiny, capsys, monkeypatch):
    real = ModelCache.get_or_train

    def flaky(self, data, config, seed=0, on_epoch=None):
        if config.heads == 2:
            raise OSError("disk full")
        return real(self, data, config, seed, on_epoch)

    monkeypatch.setattr(ModelCache, "get_or_train", flaky)
    assert main(["pretrain"]) == 1  # not everything is cached at the end
    out = capsys.readouterr().out.splitlines()[-1]
    assert out.startswith("pretrain: trained 1, already cached 0, failed 1 (Cora, 2×8 heads")
    assert "OSError: disk full" in out


def test_ctrl_c_keeps_what_is_done_and_says_so(tiny, capsys, monkeypatch):
    real = ModelCache.get_or_train

    def interrupted(self, data, config, seed=0, on_epoch=None):
        if config.heads == 2:
            raise KeyboardInterrupt
        return real(self, data, config, seed, on_epoch)

    monkeypatch.setattr(ModelCache, "get_or_train", interrupted)
    assert main(["pretrain"]) == 130
    err = capsys.readouterr().err
    assert err.strip().splitlines()[-1] == (
        "gat_viz: pretrain interrupted: 1 trained and kept, 1 left (the one in progress is lost); "
        "run it again to continue"
    )
    assert "Traceback" not in err
    assert len(list(ModelCache().folder.glob("*.safetensors"))) == 1  # the first one is kept


def test_an_unwritable_cache_is_refused_at_once(tiny, capsys, monkeypatch, tmp_path):
    (tmp_path / "file").write_text("")
    monkeypatch.setenv("GAT_VIZ_CACHE", str(tmp_path / "file" / "cache"))  # under a file: even root fails
    assert main(["pretrain"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "cannot be written" in err[0]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_a_bar_shows_the_time_left():
    err = Terminal()
    progress = pretrain.Progress(3, err)
    progress.start(("Cora", D.replace(heads=9), 0))
    progress.done("trained", 10.0)
    progress.close()
    text = err.getvalue()
    assert "Cora 9 heads: 1/3" in text and "about 20 s left" in text  # 2 left × the 10 s measured


def test_help_shows_defaults_and_imports_no_torch():
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "gat_viz", "pretrain", "--help"],
        cwd=ROOT, env=dict(os.environ), capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    assert "--dry-run" in done.stdout and "(default: ['Cora'])" in done.stdout
    imported = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if "|" in line}
    assert "gat_viz.cli" in imported
    heavy = sorted(m for m in imported if m.split(".")[0] in ("torch", "torch_geometric", "streamlit"))
    assert heavy == [], heavy[:5]


def test_duration():
    assert [pretrain.duration(s) for s in (45, 75, 840, 3900)] == [
        "45 s",
        "1 min 15 s",
        "14 min",
        "1 h 05 min",
    ]
