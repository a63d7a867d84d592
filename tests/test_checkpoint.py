import json
import struct

import pytest
import torch

from gat_viz.checkpoint import CheckpointError, load_checkpoint, save_checkpoint


@pytest.fixture
def saved(cora_result, tmp_path):
    return save_checkpoint(tmp_path / "model.safetensors", cora_result)


def test_round_trip(saved, cora_result, cora):
    loaded = load_checkpoint(saved, cora)
    assert loaded.config == cora_result.config and loaded.seed == cora_result.seed
    assert loaded.history == cora_result.history
    assert loaded.test_acc == cora_result.test_acc and loaded.best_epoch == cora_result.best_epoch
    for (k, v), (_, w) in zip(loaded.model.state_dict().items(), cora_result.model.state_dict().items()):
        assert torch.equal(v, w), k
    assert not loaded.model.training
    assert torch.equal(loaded.model(cora.x, cora.edge_index), cora_result.model(cora.x, cora.edge_index))


def test_no_pickle_on_the_load_path(saved, monkeypatch):
    import pickle

    def forbidden(*_a, **_k):
        raise AssertionError("pickle used")

    monkeypatch.setattr(pickle, "load", forbidden)
    monkeypatch.setattr(pickle, "loads", forbidden)
    monkeypatch.setattr(torch, "load", forbidden)
    load_checkpoint(saved)


def _rewrite_meta(path, change):
    """Edit the JSON inside a safetensors header (8-byte length, then the header)."""
    blob = path.read_bytes()
    n = struct.unpack("<Q", blob[:8])[0]
    header = json.loads(blob[8 : 8 + n])
    meta = json.loads(header["__metadata__"]["gat_viz"])
    change(meta)
    header["__metadata__"]["gat_viz"] = json.dumps(meta)
    new = json.dumps(header).encode()
    new += b" " * ((8 - len(new) % 8) % 8)
    path.write_bytes(struct.pack("<Q", len(new)) + new + blob[8 + n :])


@pytest.mark.parametrize(
    "content, reason",
    [
        (b"", "empty"),
        (b"\x00" * 64, "not a readable safetensors"),
        (b"PK\x03\x04 a zip file, not a checkpoint", "not a readable safetensors"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 100, "not a readable safetensors"),
    ],
)
def test_garbage_files(tmp_path, content, reason):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match=reason):
        load_checkpoint(path)


def test_truncated(saved):
    blob = saved.read_bytes()
    saved.write_bytes(blob[: len(blob) // 2])
    with pytest.raises(CheckpointError, match="not a readable safetensors"):
        load_checkpoint(saved)


def test_missing_file(tmp_path):
    with pytest.raises(CheckpointError, match="no such file"):
        load_checkpoint(tmp_path / "nope.safetensors")


def test_foreign_safetensors_file(tmp_path):
    from safetensors.torch import save_file

    path = tmp_path / "other.safetensors"
    save_file({"weight": torch.zeros(2, 2)}, str(path))
    with pytest.raises(CheckpointError, match="not a gat_viz checkpoint"):
        load_checkpoint(path)


@pytest.mark.parametrize(
    "change, reason",
    [
        (lambda m: m.update(version=99), "version"),
        (lambda m: m["config"].update(heads=4), "shape"),
        (lambda m: m["config"].update(heads=0), "invalid config"),
        (lambda m: m["config"].update(rm="-rf"), "invalid config"),
        (lambda m: m.update(seed="0; drop"), "seed"),
        (lambda m: m.update(dataset="../../etc/passwd"), "unknown dataset"),
        (lambda m: m.update(test_acc=float("nan")), "test_acc"),
        (lambda m: m.update(in_channels=10**9), "implausible"),
    ],
)
def test_tampered_metadata_is_rejected(saved, change, reason):
    _rewrite_meta(saved, change)
    with pytest.raises(CheckpointError, match=reason):
        load_checkpoint(saved)


def test_other_dataset_or_graph_is_rejected(saved, citeseer, cora):
    with pytest.raises(CheckpointError, match="trained on Cora, not CiteSeer"):
        load_checkpoint(saved, citeseer)
    other = cora.clone()
    other.fingerprint = "0" * 16
    with pytest.raises(CheckpointError, match="different Cora graph"):
        load_checkpoint(saved, other)


def test_nan_weights_are_rejected(cora_result, tmp_path):
    import copy

    broken = copy.copy(cora_result)
    broken.model = copy.deepcopy(cora_result.model)
    with torch.no_grad():
        broken.model.conv1.bias[0] = float("nan")
    path = save_checkpoint(tmp_path / "nan.safetensors", broken)
    with pytest.raises(CheckpointError, match="NaN"):
        load_checkpoint(path)


def test_save_is_atomic_and_leaves_no_temporary_files(saved):
    assert [p.name for p in saved.parent.iterdir()] == ["model.safetensors"]


def test_gatv2_and_uniform_round_trip(cora, tmp_path):
    from gat_viz.config import GATConfig
    from gat_viz.train import train

    for config in (GATConfig(layer="gatv2", max_epochs=5), GATConfig(attention="uniform", max_epochs=5)):
        result = train(cora, config, seed=0)
        loaded = load_checkpoint(save_checkpoint(tmp_path / f"{config.key()}.safetensors", result), cora)
        assert loaded.config == config
        assert torch.equal(loaded.model(cora.x, cora.edge_index), result.model(cora.x, cora.edge_index))


def test_a_checkpoint_written_before_the_layer_field_still_loads(saved, cora, tmp_path):
    """Older files have no `layer` or `attention` in their config: they load as the GAT they were."""
    from safetensors import safe_open
    from safetensors.torch import save_file

    with safe_open(str(saved), framework="pt") as f:
        meta = json.loads(f.metadata()["gat_viz"])
        tensors = {k: f.get_tensor(k) for k in f.keys()}
    for name in ("layer", "attention"):
        del meta["config"][name]
    old = tmp_path / "old.safetensors"
    save_file(tensors, str(old), metadata={"gat_viz": json.dumps(meta)})
    loaded = load_checkpoint(old, cora)
    assert loaded.config.layer == "gat" and loaded.config.attention == "learned"
