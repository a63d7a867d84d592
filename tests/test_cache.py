import os
import stat

import pytest

from gat_viz.cache import ASSETS, ModelCache, entry_name
from gat_viz.config import GATConfig

SMALL = GATConfig(max_epochs=5)


def test_trains_once_then_loads(cora, tmp_path):
    cache = ModelCache(tmp_path, shipped=None)
    calls = []
    first, cached = cache.get_or_train(cora, SMALL, seed=1, on_epoch=calls.append)
    assert not cached and len(calls) == 5
    assert cache.path("Cora", SMALL, 1).is_file()
    second, cached = cache.get_or_train(cora, SMALL, seed=1, on_epoch=calls.append)
    assert cached and len(calls) == 5 and second.test_acc == first.test_acc


def test_key_separates_settings(cora, tmp_path):
    cache = ModelCache(tmp_path, shipped=None)
    cache.get_or_train(cora, SMALL, seed=0)
    assert cache.get(cora, SMALL.replace(negative_slope=0.1), 0) is None
    assert cache.get(cora, SMALL, 1) is None
    assert cache.get(cora, SMALL, 0) is not None


def test_corrupt_entry_is_discarded_and_retrained(cora, tmp_path):
    cache = ModelCache(tmp_path, shipped=None)
    path = cache.path("Cora", SMALL, 0)
    path.write_bytes(b"\x00garbage")
    with pytest.warns(UserWarning, match="discarded"):
        result, cached = cache.get_or_train(cora, SMALL, seed=0)
    assert not cached and result.epochs == 5
    assert ModelCache(tmp_path, shipped=None).get(cora, SMALL, 0) is not None  # rewritten, valid


@pytest.mark.skipif(os.geteuid() == 0, reason="root writes anywhere; see the monkeypatched twin below")
def test_unwritable_folder_still_trains(cora, tmp_path):
    tmp_path.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        cache = ModelCache(tmp_path / "sub", shipped=None)
        assert not cache.writable
        result, cached = cache.get_or_train(cora, SMALL)
        assert not cached and result.epochs == 5
    finally:
        tmp_path.chmod(stat.S_IRWXU)


def test_unwritable_folder_still_trains_even_as_root(cora, tmp_path, monkeypatch):
    import gat_viz.cache as cache_module

    monkeypatch.setattr(cache_module, "_can_write", lambda folder: False)
    cache = ModelCache(tmp_path, shipped=None)
    assert not cache.writable
    result, cached = cache.get_or_train(cora, SMALL)
    assert not cached and result.epochs == 5 and list(tmp_path.iterdir()) == []


def test_write_failure_is_noted_not_raised(cora, tmp_path, monkeypatch):
    import gat_viz.cache as cache_module

    def full_disk(*_a, **_k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(cache_module, "save_checkpoint", full_disk)
    cache = ModelCache(tmp_path, shipped=None)
    with pytest.warns(UserWarning, match="No space left"):
        result, _ = cache.get_or_train(cora, SMALL)
    assert result.epochs == 5


def test_cancelled_runs_are_not_cached(cora, tmp_path):
    cache = ModelCache(tmp_path, shipped=None)
    cache.get_or_train(cora, SMALL, on_epoch=lambda rec: rec.epoch < 2)
    assert not cache.path("Cora", SMALL, 0).exists()


def test_cache_folder_from_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("GAT_VIZ_CACHE", str(tmp_path / "c"))
    assert ModelCache().folder == tmp_path / "c"


@pytest.mark.parametrize("name", ["Cora", "CiteSeer"])
def test_shipped_pretrained_models_load(name, request):
    data = request.getfixturevalue(name.lower())
    path = ASSETS / entry_name(name, GATConfig(), 0)
    assert path.is_file(), f"missing {path}: see README, 'Pretrained models'"
    result = ModelCache(shipped=ASSETS).get(data, GATConfig(), 0)
    assert result is not None and result.dataset == name
    from gat_viz.train import evaluate

    assert evaluate(result.model, data)["test_acc"] == pytest.approx(result.test_acc)
    assert result.test_acc > {"Cora": 0.80, "CiteSeer": 0.68}[name]
