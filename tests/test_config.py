import pytest

from gat_viz.config import GATConfig


def test_defaults_are_the_papers_cora_setting():
    c = GATConfig()
    assert (c.hidden, c.heads, c.out_heads) == (8, 8, 1)
    assert (c.dropout, c.negative_slope, c.activation) == (0.6, 0.2, "leaky_relu")
    assert (c.lr, c.weight_decay, c.max_epochs, c.patience) == (0.005, 5e-4, 1000, 100)


def test_is_frozen():
    with pytest.raises(AttributeError):
        GATConfig().heads = 2  # type: ignore[misc]


@pytest.mark.parametrize(
    "field, value",
    [
        ("heads", 0), ("heads", 1.5), ("hidden", -1), ("out_heads", True), ("max_epochs", 0),
        ("patience", 0), ("dropout", 1.0), ("dropout", -0.1), ("negative_slope", 1.5),
        ("negative_slope", float("nan")), ("activation", "tanh"), ("lr", 0), ("weight_decay", -1),
    ],
)  # fmt: skip
def test_invalid_values_name_the_field(field, value):
    with pytest.raises(ValueError, match=f"GATConfig.{field}"):
        GATConfig(**{field: value})


def test_relu_is_leaky_relu_with_slope_zero():
    assert GATConfig(activation="relu", negative_slope=0.3) == GATConfig(negative_slope=0.0)
    assert GATConfig(negative_slope=0).activation == "relu"
    assert GATConfig(negative_slope=0).key() == GATConfig(activation="relu").key()


def test_round_trip_and_key():
    c = GATConfig(heads=4, dropout=0.3, activation="prelu")
    assert GATConfig.from_dict(c.to_dict()) == c
    assert c.key() == GATConfig.from_dict(c.to_dict()).key()
    assert c.key() != GATConfig().key()
    with pytest.raises(ValueError, match="unknown config field"):
        GATConfig.from_dict({**c.to_dict(), "evil": 1})
    with pytest.raises(ValueError, match="missing config field"):
        GATConfig.from_dict({"heads": 2})


def test_label_names_every_field_that_differs_from_the_paper():
    assert GATConfig().label() == "8×8 heads, LeakyReLU α=0.2, dropout 0.6"
    label = GATConfig(activation="relu", lr=1.0, max_epochs=40, learn_attention=False).label()
    assert (
        label
        == "8×8 heads, ReLU, dropout 0.6, attention frozen at initialisation, learning rate 1, max epochs 40"
    )


# Keys of configs that existed before `layer` and `attention` (computed with the code of commit
# 01df4f7): they name cache entries and shipped models, so they must never change.
OLD_KEYS = {
    "paper": (GATConfig(), "54ec4ecef696"),
    "frozen": (GATConfig(learn_attention=False), "0322cf5428d9"),
    "relu": (GATConfig(activation="relu"), "be5faa186451"),
}


@pytest.mark.parametrize("name", OLD_KEYS)
def test_fields_added_later_leave_existing_keys_alone(name):
    config, key = OLD_KEYS[name]
    assert config.key() == key
    old = {k: v for k, v in config.to_dict().items() if k not in ("layer", "attention")}
    assert GATConfig.from_dict(old) == config  # an older checkpoint's config still loads


def test_layer_and_attention():
    assert (GATConfig().layer, GATConfig().attention) == ("gat", "learned")
    v2, uniform = GATConfig(layer="gatv2"), GATConfig(attention="uniform")
    assert len({GATConfig().key(), v2.key(), uniform.key(), v2.replace(attention="uniform").key()}) == 4
    assert not uniform.learn_attention  # its attention parameters are not trained
    for c in (v2, uniform):
        assert GATConfig.from_dict(c.to_dict()) == c
    with pytest.raises(ValueError, match=r"GATConfig\.layer"):
        GATConfig(layer="gcn")
    with pytest.raises(ValueError, match=r"GATConfig\.attention"):
        GATConfig(attention="random")
    with pytest.raises(ValueError, match="PReLU"):
        GATConfig(layer="gatv2", activation="prelu")
    assert "GATv2" in v2.label() and "uniform attention" in uniform.label()


def test_frozen_has_one_spelling():
    assert GATConfig(attention="frozen") == GATConfig(learn_attention=False)
    frozen = GATConfig().replace(learn_attention=False)
    assert frozen.attention == "frozen" and frozen.replace(learn_attention=True) == GATConfig()
    assert GATConfig(attention="uniform").replace(attention="learned") == GATConfig()


@pytest.mark.parametrize(
    "field, value, limit",
    [("hidden", 1025, 1024), ("heads", 65, 64), ("out_heads", 65, 64), ("hidden", 10**9, 1024)],
)
def test_sizes_beyond_the_limits_are_refused(field, value, limit):
    with pytest.raises(ValueError, match=rf"GATConfig\.{field}={value}: must be at most {limit}"):
        GATConfig(**{field: value})
    assert getattr(GATConfig(**{field: limit}), field) == limit


def test_attention_gat_or_gatv2_names_the_layer():
    """Issue 13's spelling: GATConfig(attention="gatv2") is GATConfig(layer="gatv2"), stored as such."""
    v2 = GATConfig(attention="gatv2")
    assert v2 == GATConfig(layer="gatv2")
    assert (v2.layer, v2.attention, v2.learn_attention) == ("gatv2", "learned", True)
    assert GATConfig(attention="gat") == GATConfig()
    assert v2.to_dict() == GATConfig(layer="gatv2").to_dict() and v2.key() == GATConfig(layer="gatv2").key()
    assert GATConfig(attention="gatv2", layer="gatv2") == v2
    assert GATConfig(attention="gatv2", learn_attention=False) == GATConfig(layer="gatv2", attention="frozen")
    assert GATConfig.from_dict({**GATConfig().to_dict(), "attention": "gatv2"}) == v2
    assert GATConfig().replace(attention="gatv2") == v2
    assert GATConfig(attention="uniform").replace(attention="gatv2") == v2
    assert v2.replace(attention="gat") == GATConfig()
    with pytest.raises(ValueError, match=r"GATConfig\.attention='gat': picks layer='gat', but layer='gatv2'"):
        GATConfig(layer="gatv2", attention="gat")


def _shipped_models():
    """(dataset, key in the file name, config stored in the file) of every model in assets/models,
    read from the safetensors header (8-byte length, then JSON) without torch."""
    import json
    import struct

    from gat_viz.data import assets_dir

    out = []
    for path in sorted((assets_dir() / "models").glob("*.safetensors")):
        dataset, key, _seed = path.stem.split("-")
        with path.open("rb") as f:
            header = json.loads(f.read(struct.unpack("<Q", f.read(8))[0]))
        out.append((dataset, key, json.loads(header["__metadata__"]["gat_viz"])["config"]))
    return out


def test_the_shipped_models_keep_their_keys():
    """The shipped files are named by `key()`: a config whose key moved would no longer find them."""
    shipped = {(dataset, key) for dataset, key, _ in _shipped_models()}
    assert shipped == {("CiteSeer", "54ec4ecef696"), ("Cora", "54ec4ecef696"), ("Cora", "20be78399ed6")}
    for _dataset, key, config in _shipped_models():
        assert GATConfig.from_dict(config).key() == key
    assert GATConfig().key() == "54ec4ecef696"
    for gatv2 in (
        GATConfig(layer="gatv2"),
        GATConfig(attention="gatv2"),
        GATConfig().replace(attention="gatv2"),
    ):
        assert gatv2.key() == "20be78399ed6"
