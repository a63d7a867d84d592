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


def _rewrite_meta(path, change, text=lambda s: s):
    """Edit the JSON inside a safetensors header (8-byte length, then the header); `text` edits
    the metadata's JSON text after `change` (for what json.dumps never writes, e.g. 1e999)."""
    blob = path.read_bytes()
    n = struct.unpack("<Q", blob[:8])[0]
    header = json.loads(blob[8 : 8 + n])
    meta = json.loads(header["__metadata__"]["gat_viz"])
    change(meta)
    header["__metadata__"]["gat_viz"] = text(json.dumps(meta))
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
        # Non-finite numbers anywhere (json reads NaN and Infinity), named where they sit.
        (lambda m: m["metrics"].update(val_loss=float("nan")), "non-finite number at metrics.val_loss"),
        (lambda m: m["config"].update(lr=float("inf")), "non-finite number at config.lr"),
        (lambda m: m.update(extra=[1, {"x": float("-inf")}]), "non-finite number at extra.1.x"),
        # Absurd sizes: refused from the metadata alone, before any tensor or model exists.
        (lambda m: m["config"].update(hidden=10**9), "GATConfig.hidden.*at most 1024"),
        (lambda m: m["config"].update(heads=10**9), "GATConfig.heads.*at most 64"),
        (lambda m: m["config"].update(out_heads=10**9), "GATConfig.out_heads.*at most 64"),
        (lambda m: m.update(num_classes=10**9), "implausible model sizes.*1000000000 classes"),
        (lambda m: m.update(num_classes=1), "implausible"),
        # Sizes in range that do not match the tensors in the file: checked on the meta device.
        (lambda m: m.update(in_channels=10**6), "conv1.lin.weight has shape"),
        (lambda m: m["config"].update(hidden=1024, heads=64), "has shape"),
        (lambda m: m["config"].update(layer="gatv2"), "tensors do not match the config"),
    ],
)
def test_tampered_metadata_is_rejected(saved, change, reason):
    _rewrite_meta(saved, change)
    with pytest.raises(CheckpointError, match=reason):
        load_checkpoint(saved)


def test_a_number_too_large_for_a_float_is_refused(saved):
    """1e999 is valid JSON that Python reads as inf."""
    _rewrite_meta(saved, lambda m: m.update(seconds=12345.5), lambda s: s.replace("12345.5", "1e999"))
    with pytest.raises(CheckpointError, match="non-finite number at seconds"):
        load_checkpoint(saved)


def _rewrite_tensors(path, change):
    from safetensors import safe_open
    from safetensors.torch import save_file

    with safe_open(str(path), framework="pt") as f:
        meta, tensors = f.metadata(), {k: f.get_tensor(k) for k in f.keys()}
    change(tensors)
    save_file(tensors, str(path), metadata=meta)


@pytest.mark.parametrize(
    "change, reason",
    [
        (lambda t: t["_history"].__setitem__((0, 1), float("nan")), "history holds NaN"),
        (lambda t: t.update(_history=t["_history"][:, :3].contiguous()), "history has the wrong shape"),
        (lambda t: t.update(_history=t["_history"].float()), "history has dtype F32"),
        (lambda t: t.update({"conv1.bias": t["conv1.bias"].double()}), "conv1.bias has shape .* F64"),
        (lambda t: t.update(extra=torch.zeros(1)), "unexpected \\['extra'\\]"),
    ],
)
def test_tampered_tensors_are_rejected(saved, change, reason):
    _rewrite_tensors(saved, change)
    with pytest.raises(CheckpointError, match=reason):
        load_checkpoint(saved)


def test_a_folder_or_a_device_says_so(tmp_path):
    with pytest.raises(CheckpointError, match="a folder, not a checkpoint file"):
        load_checkpoint(tmp_path)
    with pytest.raises(CheckpointError, match="not a regular file"):
        load_checkpoint("/dev/null")


PEAK_PROBE = """
import resource, sys
from gat_viz.checkpoint import CheckpointError, load_checkpoint
try:
    load_checkpoint(sys.argv[1])
    print("loaded")
except CheckpointError as exc:
    print("refused", exc)
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)  # peak resident memory, KiB
"""


def _peak_kib(path):
    import subprocess
    import sys

    from tests.conftest import ROOT

    proc = subprocess.run(
        [sys.executable, "-c", PEAK_PROBE, str(path)], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    outcome, peak = proc.stdout.strip().splitlines()
    return outcome, int(peak)


CRAFTED = {
    "hidden": lambda m: m["config"].update(hidden=10**7),  # 1433 × 8·10^7 weights: 458 GB if allocated
    "in range, wrong shapes": lambda m: (
        m.update(in_channels=10**6) or m["config"].update(hidden=1024, heads=64)
    ),
    "classes": lambda m: m.update(num_classes=10**9),
}


def test_refusing_a_crafted_file_costs_no_more_memory_than_loading_a_valid_one(saved, tmp_path):
    """Each probe runs in a fresh interpreter, so its peak is that load's alone (plus torch)."""
    valid, valid_peak = _peak_kib(saved)
    assert valid == "loaded"
    for name, change in CRAFTED.items():
        crafted = tmp_path / "crafted.safetensors"
        crafted.write_bytes(saved.read_bytes())
        _rewrite_meta(crafted, change)
        refused, refused_peak = _peak_kib(crafted)
        assert refused.startswith("refused"), (name, refused)
        assert refused_peak < valid_peak + 32 * 1024, (name, refused_peak, valid_peak)


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
