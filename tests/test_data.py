import shutil
import stat

import pytest
import torch

from gat_viz.data import DatasetUnavailable, data_root, fingerprint, load_dataset, raw_files


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


def test_same_as_pyg_planetoid(cora, tmp_path):
    """The reference: PyG's own Planetoid class, run on a writable copy of the same files."""
    from torch_geometric.datasets import Planetoid
    from torch_geometric.transforms import NormalizeFeatures

    shutil.copytree(data_root() / "Cora" / "raw", tmp_path / "Cora" / "raw")
    ref = Planetoid(str(tmp_path), "Cora", transform=NormalizeFeatures())[0]
    for key in ("x", "edge_index", "y", "train_mask", "val_mask", "test_mask"):
        assert torch.equal(getattr(cora, key), getattr(ref, key)), key


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
