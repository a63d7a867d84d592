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
