import builtins
import json
import os
import pickle
import shutil
import stat

import numpy as np
import pytest
import torch

from gat_viz import data as data_module
from gat_viz.data import (
    DatasetUnavailable,
    Graph,
    data_root,
    fingerprint,
    load_dataset,
    normalize_features,
    raw_files,
    shipped_data_dir,
    shipped_file,
)
from tests.conftest import _require_planetoid

KEYS = ("x", "edge_index", "y", "train_mask", "val_mask", "test_mask")


def test_cora_standard_split_and_names(cora):
    assert cora.num_nodes == 2708 and cora.num_features == 1433
    assert cora.edge_index.shape == (2, 10556)
    assert int(cora.y.max()) + 1 == 7
    assert [int(m.sum()) for m in (cora.train_mask, cora.val_mask, cora.test_mask)] == [140, 500, 1000]
    assert cora.class_names[0] == "Case_Based" and cora.class_names[-1] == "Theory"
    # NormalizeFeatures: every row with words sums to 1
    sums = cora.x.sum(1)
    assert torch.allclose(sums[sums > 0], torch.ones(int((sums > 0).sum())))


def test_citeseer(citeseer):
    assert citeseer.num_nodes == 3327 and citeseer.num_features == 3703
    assert citeseer.class_names == ["Agents", "AI", "DB", "IR", "ML", "HCI"]


@pytest.mark.cora
@pytest.mark.parametrize("name", ["Cora", "CiteSeer"])
def test_shipped_graph_is_what_pyg_planetoid_loads(name, tmp_path, monkeypatch):
    """The reference: PyG's own Planetoid class with NormalizeFeatures, run on a writable copy of
    the raw files ($GAT_VIZ_DATA), against the shipped file, loaded with GAT_VIZ_DATA unset."""
    from torch_geometric.datasets import Planetoid
    from torch_geometric.transforms import NormalizeFeatures

    _require_planetoid(name)
    shutil.copytree(data_root() / name / "raw", tmp_path / name / "raw")
    ref = Planetoid(str(tmp_path), name, transform=NormalizeFeatures())[0]
    monkeypatch.delenv("GAT_VIZ_DATA")
    shipped, raw = load_dataset(name), load_dataset(name, root=tmp_path)
    for key in KEYS:
        for ours in (shipped, raw):
            mine, theirs = getattr(ours, key), getattr(ref, key)
            assert mine.dtype == theirs.dtype and torch.equal(mine, theirs), key
    assert type(shipped) is type(raw) is Graph  # one type downstream, whichever the route
    assert shipped.fingerprint == raw.fingerprint and shipped.class_names == raw.class_names


def test_shipped_files_are_small_and_hold_the_split_and_names():
    for name, nodes, classes in (("Cora", 2708, 7), ("CiteSeer", 3327, 6)):
        path = shipped_file(name)
        assert path.parent == shipped_data_dir() and path.stat().st_size < 400_000, path
        from safetensors import safe_open

        with safe_open(str(path), framework="np") as f:
            meta = json.loads(f.metadata()["dataset"])
            assert f.get_tensor("train_mask").dtype == np.bool_
        assert meta["name"] == name and meta["num_nodes"] == nodes and len(meta["class_names"]) == classes


def test_shipped_data_is_the_default_whatever_gat_viz_data_says(monkeypatch, tmp_path):
    monkeypatch.setenv("GAT_VIZ_DATA", str(tmp_path))  # an empty folder: the raw route has nothing
    data = load_dataset("Cora")
    assert data.num_nodes == 2708 and data.name == "Cora" and len(data.fingerprint) == 16
    assert list(tmp_path.iterdir()) == []


def test_shipped_checkpoints_load_against_the_shipped_data():
    """The model cache keys on the graph's fingerprint: the shipped models must still match."""
    from gat_viz.cache import ASSETS, entry_name
    from gat_viz.checkpoint import load_checkpoint
    from gat_viz.config import GATConfig

    for name in ("Cora", "CiteSeer"):
        data = load_dataset(name)
        result = load_checkpoint(ASSETS / entry_name(name, GATConfig(), 0), data)
        assert result.dataset == name


def _forbid_pickle_and_writes(monkeypatch, used: list[str]) -> None:
    def refuse(what):
        def stop(*_args, **_kwargs):
            used.append(what)
            raise AssertionError(f"{what} called")

        return stop

    for name in ("load", "loads", "Unpickler"):
        monkeypatch.setattr(pickle, name, refuse(f"pickle.{name}"))
    monkeypatch.setattr(torch, "load", refuse("torch.load"))
    real_np_load, real_open, real_os_open = np.load, builtins.open, os.open

    def np_load(*args, allow_pickle=False, **kwargs):
        if allow_pickle:
            refuse("np.load(allow_pickle=True)")()
        return real_np_load(*args, allow_pickle=False, **kwargs)

    def guarded_open(file, mode="r", *args, **kwargs):
        if any(c in mode for c in "wax+"):
            refuse(f"open({file!r}, {mode!r})")()
        return real_open(file, mode, *args, **kwargs)

    def guarded_os_open(path, flags, *args, **kwargs):
        if flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            refuse(f"os.open({path!r})")()
        return real_os_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(np, "load", np_load)
    monkeypatch.setattr(builtins, "open", guarded_open)
    monkeypatch.setattr(os, "open", guarded_os_open)
    for name in ("mkdir", "makedirs"):
        monkeypatch.setattr(os, name, refuse(f"os.{name}"))


@pytest.mark.cora
def test_shipped_route_runs_no_pickle_and_writes_nothing(tmp_path, monkeypatch):
    _require_planetoid("Cora")
    raw_root = data_root()
    load_dataset("Cora")  # imports done, so only the loading itself runs under the guard
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    used: list[str] = []
    _forbid_pickle_and_writes(monkeypatch, used)
    for name in ("Cora", "CiteSeer"):
        assert load_dataset(name).name == name
    assert used == [] and list(tmp_path.iterdir()) == []
    # The guard sees pickle where it is used: the raw route (the same files' source) trips it.
    with pytest.raises(DatasetUnavailable, match=r"pickle\.load called"):
        load_dataset("Cora", root=raw_root)
    assert used == ["pickle.load"]


def _tampered(tmp_path, monkeypatch, change):
    """A copy of the shipped Cora file with `change(arrays, meta)` applied, used as the shipped one."""
    from safetensors import safe_open
    from safetensors.numpy import save_file

    with safe_open(str(shipped_file("Cora")), framework="np") as f:
        meta = json.loads(f.metadata()["dataset"])
        arrays = {k: f.get_tensor(k) for k in f.keys()}
    change(arrays, meta)
    save_file(arrays, str(tmp_path / "cora.safetensors"), metadata={"dataset": json.dumps(meta)})
    monkeypatch.setattr(data_module, "shipped_data_dir", lambda: tmp_path)


def _set(arrays, key, index, value):
    arrays[key] = arrays[key].copy()
    arrays[key][index] = value


@pytest.mark.parametrize(
    "change, reason",
    [
        (lambda a, m: _set(a, "y", 0, (a["y"][0] + 1) % 7), "fingerprint"),  # another label
        (lambda a, m: _set(a, "x_indices", 0, 60000), "inconsistent"),  # a word beyond 1433
        (lambda a, m: _set(a, "edge_index", (0, 0), 9999), "inconsistent"),  # a node beyond 2708
        (lambda a, m: m.update(num_features=10**9), "inconsistent"),  # refused before allocating
        (lambda a, m: a.pop("test_mask"), "KeyError"),
        (lambda a, m: m.update(format="other/9"), "format"),
        (lambda a, m: m.update(class_names=["A"] * 7), "class names"),
    ],
)
def test_a_tampered_shipped_file_is_a_clear_error(change, reason, tmp_path, monkeypatch):
    _tampered(tmp_path, monkeypatch, change)
    with pytest.raises(DatasetUnavailable, match=reason) as info:
        load_dataset("Cora")
    assert "data export --from" in str(info.value) and str(tmp_path) in str(info.value)


def test_a_shipped_file_that_is_not_safetensors(tmp_path, monkeypatch):
    (tmp_path / "cora.safetensors").write_bytes(b"\x80\x04not safetensors")
    monkeypatch.setattr(data_module, "shipped_data_dir", lambda: tmp_path)
    with pytest.raises(DatasetUnavailable, match="unusable"):
        load_dataset("Cora")


def test_gat_viz_data_naming_a_file_says_so(tmp_path, monkeypatch):
    (tmp_path / "planetoid").write_text("not a folder")
    monkeypatch.setenv("GAT_VIZ_DATA", str(tmp_path / "planetoid"))
    with pytest.raises(DatasetUnavailable, match="is a file, not a folder"):
        load_dataset("PubMed")


def test_read_only_folder_loads(cora, tmp_path):
    raw = tmp_path / "Cora" / "raw"
    shutil.copytree(data_root() / "Cora" / "raw", raw)
    for path in [*raw.iterdir(), raw, raw.parent, tmp_path]:
        path.chmod(path.stat().st_mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
    try:
        data = load_dataset("cora", root=tmp_path)
        assert data.fingerprint == cora.fingerprint
        assert sorted(p.name for p in (tmp_path / "Cora").iterdir()) == ["raw"]  # nothing written
    finally:
        for path in [tmp_path, raw.parent, raw, *raw.iterdir()]:
            path.chmod(path.stat().st_mode | stat.S_IWUSR)


def test_root_from_environment(cora, monkeypatch, tmp_path):
    monkeypatch.setenv("GAT_VIZ_DATA", str(tmp_path))
    assert data_root() == tmp_path
    assert data_root("elsewhere").name == "elsewhere"


def test_default_raw_folder_is_never_inside_an_installed_package(monkeypatch, tmp_path):
    monkeypatch.delenv("GAT_VIZ_DATA", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert data_root() == data_module.PROJECT_DATA  # a checkout: data/ beside the package
    site = tmp_path / "site-packages" / "gat_viz"
    (site / "assets").mkdir(parents=True)  # what a wheel installs
    monkeypatch.setattr(data_module, "PACKAGE", site)
    assert data_root() == tmp_path / "home" / ".cache" / "gat_viz" / "data"
    assert data_module.assets_dir() == site / "assets"


def test_missing_files_offline_name_the_files_and_the_variable(tmp_path, monkeypatch):
    import torch_geometric.io.fs as fs

    def offline(*_args, **_kwargs):
        raise OSError("Name or service not known")

    monkeypatch.setattr(fs, "cp", offline)
    with pytest.raises(DatasetUnavailable) as info:
        load_dataset("CiteSeer", root=tmp_path)
    message = str(info.value)
    for name in raw_files("CiteSeer"):
        assert name in message
    assert "GAT_VIZ_DATA" in message and str(tmp_path / "CiteSeer" / "raw") in message
    assert not (tmp_path / "CiteSeer").exists()  # no empty folders left behind


def test_corrupt_raw_file_is_a_clear_error(cora, tmp_path):
    raw = tmp_path / "Cora" / "raw"
    shutil.copytree(data_root() / "Cora" / "raw", raw)
    (raw / "ind.cora.graph").write_bytes(b"not a pickle")
    with pytest.raises(DatasetUnavailable, match="could not read"):
        load_dataset("Cora", root=tmp_path)


def test_unknown_name_lists_supported():
    with pytest.raises(ValueError, match="Cora, CiteSeer, PubMed"):
        load_dataset("Reddit")


def test_fingerprint_changes_with_the_graph(cora):
    changed = cora.clone()
    changed.edge_index = changed.edge_index[:, 1:]
    assert fingerprint(changed) != cora.fingerprint


def test_normalize_features_is_pygs_bit_for_bit():
    from torch_geometric.data import Data
    from torch_geometric.transforms import NormalizeFeatures

    g = torch.Generator().manual_seed(0)
    binary = (torch.rand(50, 30, generator=g) < 0.1).float()
    binary[3] = 0  # a paper without words
    for x in (binary, torch.randn(50, 30, generator=g), torch.rand(4, 7, generator=g) * 1e-3):
        ref = NormalizeFeatures()(Data(x=x.clone())).x
        ours = normalize_features(x)
        assert ours.dtype == ref.dtype and torch.equal(ours, ref)
    assert not torch.equal(binary, normalize_features(binary))  # a new tensor; the input is kept
    assert normalize_features(binary)[3].sum() == 0


def test_graph_reads_like_pyg_data_and_converts_to_it(cora):
    from torch_geometric.data import Data

    assert (cora.num_nodes, cora.num_features, cora.num_edges, cora.num_classes) == (2708, 1433, 10556, 7)
    assert repr(cora) == "Graph(Cora: 2708 nodes, 10556 edges, 1433 features, 7 classes)"
    pyg = cora.to_pyg()
    assert isinstance(pyg, Data) and pyg.num_nodes == 2708 and pyg.num_edges == 10556
    for key in KEYS:
        assert getattr(pyg, key) is getattr(cora, key), key  # shared, not copied
    assert (pyg.name, pyg.class_names, pyg.fingerprint) == ("Cora", cora.class_names, cora.fingerprint)
    copy = cora.clone()
    for key in KEYS:
        ours, theirs = getattr(copy, key), getattr(cora, key)
        assert torch.equal(ours, theirs) and ours.data_ptr() != theirs.data_ptr(), key
    copy.x[0, 0] = 5.0
    copy.class_names.append("Extra")
    assert cora.x[0, 0] != 5.0 and len(cora.class_names) == 7
    assert copy.fingerprint == cora.fingerprint and copy.name == "Cora"
