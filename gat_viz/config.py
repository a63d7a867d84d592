"""GATConfig: the hyper-parameters of one GAT, frozen so it can key caches and live in checkpoints."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from gat_viz.i18n import N_, _

ACTIVATIONS = ("leaky_relu", "relu", "prelu")
LAYERS = ("gat", "gatv2")  # GATLayer (Veličković et al., 2018) or GATv2Layer (Brody et al., 2022)
ATTENTIONS = ("learned", "frozen", "uniform")
# Upper bounds, far above the app's sliders (heads 1-16, hidden 1-64) and the paper's 8×8: a
# 64×1024 first layer on Cora is already ~380 M weights (1.5 GB), so more is a typo, not a model.
MAX_HEADS = 64  # heads and out_heads
MAX_HIDDEN = 1024  # channels per head
# The app's sliders, as (lowest, highest, step) per GATConfig field: the sidebar draws them, a link
# is snapped to them (gat_viz.ui.links) and `pretrain` trains every value one step away.
SLIDERS = {
    "negative_slope": (0.0, 1.0, 0.05),
    "heads": (1, 16, 1),
    "dropout": (0.0, 0.9, 0.05),
    "hidden": (1, 64, 1),
    "max_epochs": (10, 2000, 10),
}

# Fields added after models were shipped, with the value every older config had. `key()` leaves a
# field out while it holds that value, so older configs keep their keys (and cache entries), and
# `from_dict` fills it in for older checkpoints. `attention` is left out unless it is "uniform":
# "learned" and "frozen" are already spelt by `learn_attention`.
_LATER_FIELDS = {"layer": "gat", "attention": "learned"}


@dataclass(frozen=True)
class GATConfig:
    """The paper's Cora setting (Veličković et al., 2018, section 3.3) is the default."""

    hidden: int = 8  # channels per head in layer 1 ("F' = 8 features each")
    heads: int = 8  # attention heads in layer 1, concatenated ("K = 8")
    out_heads: int = 1  # heads in the output layer, averaged (1 for Cora; 8 for PubMed)
    dropout: float = 0.6  # on both layers' inputs and on the attention coefficients
    negative_slope: float = 0.2  # LeakyReLU slope in e_ij (PReLU: its initial value)
    activation: str = "leaky_relu"  # "leaky_relu", "relu" (slope 0) or "prelu" (learned per head)
    lr: float = 0.005  # Adam learning rate
    weight_decay: float = 5e-4  # L2 regularisation (lambda = 0.0005)
    max_epochs: int = 1000  # upper bound; early stopping usually ends far sooner
    patience: int = 100  # epochs without improvement of val loss or val accuracy
    learn_attention: bool = True  # False freezes a_src, a_dst at initialisation (an ablation)
    # "gat": e_ij = LeakyReLU(a_srcᵀWh_j + a_dstᵀWh_i); "gatv2": e_ij = aᵀLeakyReLU(W_l h_j + W_r h_i)
    layer: str = "gat"
    # "learned" (the paper's), "frozen" (a at its initial values: the same as learn_attention=False)
    # or "uniform" (Const-GAT: a = 0, so α_ij = 1/|N(i)|; the rest is trained). Issue 13's spelling
    # attention="gat" | "gatv2" is accepted too: it sets `layer`, with learned attention.
    attention: str = "learned"

    def __post_init__(self) -> None:
        def bad(name: str, why: str) -> ValueError:
            return ValueError(f"GATConfig.{name}={getattr(self, name)!r}: {why}")

        for name in ("hidden", "heads", "out_heads", "max_epochs"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise bad(name, "must be an integer >= 1")
        for name, limit in (("hidden", MAX_HIDDEN), ("heads", MAX_HEADS), ("out_heads", MAX_HEADS)):
            if getattr(self, name) > limit:
                raise bad(name, f"must be at most {limit}")
        if isinstance(self.patience, bool) or not isinstance(self.patience, int) or self.patience < 1:
            raise bad("patience", "must be an integer >= 1")
        if not _is_number(self.dropout) or not 0.0 <= self.dropout < 1.0:
            raise bad("dropout", "must be in [0, 1)")
        if not _is_number(self.negative_slope) or not 0.0 <= self.negative_slope <= 1.0:
            raise bad("negative_slope", "must be in [0, 1]")
        if not isinstance(self.learn_attention, bool):
            raise bad("learn_attention", "must be true or false")
        if self.activation not in ACTIVATIONS:
            raise bad("activation", f"must be one of {', '.join(ACTIVATIONS)}")
        if self.layer not in LAYERS:
            raise bad("layer", f"must be one of {', '.join(LAYERS)}")
        if self.attention in LAYERS:  # attention="gatv2" names the layer (issue 13's spelling)
            if self.layer not in (self.attention, _LATER_FIELDS["layer"]):
                raise bad("attention", f"picks layer={self.attention!r}, but layer={self.layer!r}")
            object.__setattr__(self, "layer", self.attention)
            object.__setattr__(self, "attention", "learned")
        if self.attention not in ATTENTIONS:
            raise bad("attention", f"must be one of {', '.join(ATTENTIONS + LAYERS)}")
        if self.layer == "gatv2" and self.activation == "prelu":
            raise bad("activation", "PReLU is implemented for layer='gat' only")
        # One spelling per model: learn_attention=False is attention="frozen", and
        # learn_attention says whether the attention parameters are trained at all.
        if self.attention == "learned" and not self.learn_attention:
            object.__setattr__(self, "attention", "frozen")
        object.__setattr__(self, "learn_attention", self.attention == "learned")
        if not _is_number(self.lr) or not 0.0 < self.lr <= 10.0:
            raise bad("lr", "must be in (0, 10]")
        if not _is_number(self.weight_decay) or not 0.0 <= self.weight_decay < 1.0:
            raise bad("weight_decay", "must be in [0, 1)")
        # One canonical form per model: ReLU *is* LeakyReLU with slope 0, so both spellings
        # give the same config (and the same cache entry).
        if self.activation == "relu" or (self.activation == "leaky_relu" and self.negative_slope == 0.0):
            object.__setattr__(self, "activation", "relu")
            object.__setattr__(self, "negative_slope", 0.0)
        for name in ("dropout", "negative_slope", "lr", "weight_decay"):
            object.__setattr__(self, name, float(getattr(self, name)))

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> GATConfig:
        """Rebuild from `to_dict()`; unknown or missing keys raise ValueError."""
        if not isinstance(values, dict):
            raise ValueError("config must be a JSON object")
        names = {f.name for f in dataclasses.fields(cls)}
        values = {**{k: v for k, v in _LATER_FIELDS.items() if k not in values}, **values}  # older files
        unknown = sorted(set(values) - names)
        if unknown:
            raise ValueError(f"unknown config field(s): {', '.join(unknown)}")
        missing = sorted(names - set(values))
        if missing:
            raise ValueError(f"missing config field(s): {', '.join(missing)}")
        return cls(**values)

    def replace(self, **changes: Any) -> GATConfig:
        """A copy with `changes`; `learn_attention` and `attention` follow whichever is given."""
        if changes.get("attention") in LAYERS and "layer" not in changes:  # attention="gatv2"
            changes["layer"], changes["attention"] = changes["attention"], "learned"
        if "learn_attention" in changes and "attention" not in changes:
            changes["attention"] = "learned" if changes["learn_attention"] else "frozen"
        elif "attention" in changes and "learn_attention" not in changes:
            changes["learn_attention"] = changes["attention"] in ("learned", *LAYERS)
        return dataclasses.replace(self, **changes)

    def key(self) -> str:
        """A short stable hash of every field: names cache entries. Fields added later are left
        out at their old value (see `_LATER_FIELDS`), so existing keys never change."""
        values = self.to_dict()
        if values["layer"] == _LATER_FIELDS["layer"]:
            del values["layer"]
        if values["attention"] != "uniform":
            del values["attention"]
        blob = json.dumps(values, sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:12]

    def label(self) -> str:
        """One line for people: the fields that differ between the models users compare (in the
        language of the page, gat_viz.i18n; English elsewhere)."""
        if self.activation == "relu":
            act = "ReLU"
        elif self.activation == "leaky_relu":
            act = f"LeakyReLU α={self.negative_slope:g}"
        else:
            act = _("PReLU (init {slope:g})").format(slope=self.negative_slope)
        parts = [
            _("{heads}×{hidden} heads").format(heads=self.heads, hidden=self.hidden),
            act,
            _("dropout {dropout:g}").format(dropout=self.dropout),
        ]
        if self.layer == "gatv2":
            parts.append("GATv2")
        if self.attention == "frozen":
            parts.append(_("attention frozen at initialisation"))
        elif self.attention == "uniform":
            parts.append(_("uniform attention (Const-GAT)"))
        d = GATConfig()
        names = {
            "out_heads": N_("output heads {value:g}"), "lr": N_("learning rate {value:g}"),
            "weight_decay": N_("weight decay {value:g}"), "max_epochs": N_("max epochs {value:g}"),
            "patience": N_("patience {value:g}"),
        }  # fmt: skip
        # The rest only where it differs from the paper's setting.
        parts += [
            _(n).format(value=getattr(self, f)) for f, n in names.items() if getattr(self, f) != getattr(d, f)
        ]
        return _(", ").join(parts)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and value == value
