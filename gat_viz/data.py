"""load_dataset(): the Planetoid citation graphs (Cora, CiteSeer, PubMed), offline and without pickle.

Two routes, both giving exactly the tensors of `Planetoid(root, name, transform=NormalizeFeatures())`,
as a `Graph`: PyG `Data`'s attribute names without importing PyG (2 s of the app's start).
- **Shipped** (Cora and CiteSeer, the default): `assets/data/<name>.safetensors`, generated from the
  raw files by `python -m gat_viz data export --from DIR`. Safetensors holds plain arrays and a JSON
  header, so loading runs no pickle, needs no network and writes nothing. The bag-of-words features
  are binary, so the file keeps only where the ones are (CSR) and the rows are normalised on load by
  `NormalizeFeatures`' own arithmetic: bit for bit what Planetoid returns (a test compares the two).
  This route imports torch, numpy and safetensors only.
- **Raw** (`root=`, and PubMed, which is not shipped): the eight Planetoid files in
  `<root>/<Name>/raw/`, root defaulting to `$GAT_VIZ_DATA`, read with PyG's own reader
  (`read_planetoid_data`, what `Planetoid.process()` runs). Those files are Python pickles: trust
  them before pointing at them. Nothing is written next to them, so a read-only folder works.
  Missing files are downloaded from Planetoid's address; offline that fails with
  `DatasetUnavailable`, naming the files and the folder they belong in.
"""

from __future__ import annotations

import hashlib
import json
import os
import warnings
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # torch loads when a dataset does, not with this module; PyG only for `to_pyg`
    from torch import Tensor
    from torch_geometric.data import Data

DATASETS = ("Cora", "CiteSeer", "PubMed")
SHIPPED = ("Cora", "CiteSeer")  # each well under 1 MB; PubMed's TF-IDF features would not be
RAW_PARTS = ("x", "tx", "allx", "y", "ty", "ally", "graph", "test.index")
# Test accuracy of the GAT paper (Veličković et al., 2018, table 3): mean and std of 100 runs.
PAPER_ACCURACY = {"Cora": (83.0, 0.7), "CiteSeer": (72.5, 0.7), "PubMed": (79.0, 0.3)}
PACKAGE = Path(__file__).resolve().parent
PROJECT_DATA = PACKAGE.parent / "data"  # in a checkout; git-ignored
FORMAT = "gat_viz.planetoid/1"  # the shipped files' layout, in their metadata
EXPORT_COMMAND = "python -m gat_viz data export --from DIR"

CLASS_NAMES = {
    "Cora": (
        "Case_Based", "Genetic_Algorithms", "Neural_Networks", "Probabilistic_Methods",
        "Reinforcement_Learning", "Rule_Learning", "Theory",
    ),
    "CiteSeer": ("Agents", "AI", "DB", "IR", "ML", "HCI"),
    "PubMed": ("Diabetes_Experimental", "Diabetes_Type_1", "Diabetes_Type_2"),
}  # fmt: skip


class DatasetUnavailable(RuntimeError):
    """The dataset's files are missing, unreadable, and could not be downloaded."""


TENSORS = ("x", "edge_index", "y", "train_mask", "val_mask", "test_mask")


@dataclass(eq=False, repr=False)
class Graph:
    """One citation graph with its split: the fields of PyG's `Data` that gat_viz uses, under the
    same names, so code written for `Data` reads it. `to_pyg()` makes the `Data` for PyG's own
    tools (explainers, the GATConv twin); nothing else needs PyG.

    Loaded once and shared (the app hands the same object to every session): treat it as
    read-only, and `clone()` it to change something.
    """

    x: Tensor  # (N, F) float32 features; each row sums to 1 (0 for a paper without words)
    edge_index: Tensor  # (2, E) int64 citations: row 0 the source j, row 1 the target i; no self loops
    y: Tensor  # (N,) int64 class of each node
    train_mask: Tensor  # (N,) bool: the standard public split (140/500/1000 nodes on Cora)
    val_mask: Tensor  # (N,) bool
    test_mask: Tensor  # (N,) bool
    name: str = ""  # "Cora", "CiteSeer" or "PubMed"
    class_names: list[str] = field(default_factory=list)  # class c is class_names[c]
    fingerprint: str = ""  # `fingerprint(graph)`, which checkpoints record

    @property
    def num_nodes(self) -> int:
        return int(self.x.size(0))

    @property
    def num_features(self) -> int:
        return int(self.x.size(1))

    @property
    def num_edges(self) -> int:
        return int(self.edge_index.size(1))

    @property
    def num_classes(self) -> int:
        return int(self.y.max()) + 1 if self.y.numel() else 0

    def clone(self) -> Graph:
        """A deep copy: every tensor cloned, as `Data.clone()`."""
        tensors = {key: getattr(self, key).clone() for key in TENSORS}
        return replace(self, **tensors, class_names=list(self.class_names))

    def to_pyg(self) -> Data:
        """The same graph as a `torch_geometric.data.Data` (sharing the tensors); imports PyG."""
        from torch_geometric.data import Data

        tensors = {key: getattr(self, key) for key in TENSORS}
        return Data(
            **tensors, name=self.name, class_names=list(self.class_names), fingerprint=self.fingerprint
        )

    def __repr__(self) -> str:
        return (
            f"Graph({self.name or '?'}: {self.num_nodes} nodes, {self.num_edges} edges, "
            f"{self.num_features} features, {self.num_classes} classes)"
        )


def assets_dir() -> Path:
    """What the package ships (models/, data/): `gat_viz/assets/` once installed from a wheel,
    `assets/` beside the package in a checkout or an editable install."""
    installed = PACKAGE / "assets"
    return installed if installed.is_dir() else PACKAGE.parent / "assets"


def shipped_data_dir() -> Path:
    return assets_dir() / "data"


def shipped_file(name: str) -> Path:
    return shipped_data_dir() / f"{canonical_name(name).lower()}.safetensors"


def canonical_name(name: str) -> str:
    """'cora' -> 'Cora'; an unknown name raises ValueError listing the supported ones."""
    for known in DATASETS:
        if isinstance(name, str) and name.lower() == known.lower():
            return known
    raise ValueError(f"unknown dataset {name!r}: supported are {', '.join(DATASETS)}")


def data_root(root: str | os.PathLike[str] | None = None) -> Path:
    """The folder holding `<Name>/raw/`: the argument, else $GAT_VIZ_DATA, else `data/` in the
    checkout, or `~/.cache/gat_viz/data` for a package installed from a wheel (never
    site-packages)."""
    if root is not None:
        return Path(root)
    env = os.environ.get("GAT_VIZ_DATA")
    if env:
        # A file on the way (GAT_VIZ_DATA=/etc/passwd, or a path under one) would otherwise read as
        # missing files and end in "not available offline"; say what is wrong instead.
        path = Path(env)
        existing = next((p for p in (path, *path.parents) if p.exists()), None)
        if existing is not None and not existing.is_dir():
            raise DatasetUnavailable(
                f"GAT_VIZ_DATA={env}: {existing} is a file, not a folder; point it at the folder "
                "holding <Name>/raw/"
            )
        return path
    installed = (PACKAGE / "assets").is_dir()
    return Path.home() / ".cache" / "gat_viz" / "data" if installed else PROJECT_DATA


def raw_files(name: str) -> list[str]:
    return [f"ind.{name.lower()}.{part}" for part in RAW_PARTS]


def load_dataset(name: str = "Cora", root: str | os.PathLike[str] | None = None) -> Graph:
    """The standard public split (140/500/1000 on Cora) with row-normalised features.

    Without `root`, Cora and CiteSeer come from the files shipped with the package (no PyG
    import); with `root` (or for PubMed) from the raw Planetoid files under `root` (default
    `$GAT_VIZ_DATA`), read by PyG. The `Graph` carries `name`, `class_names` and `fingerprint`
    (a hash of the graph, features and labels that checkpoints record).
    """
    name = canonical_name(name)
    shipped = shipped_file(name)
    if root is None and name in SHIPPED and shipped.is_file():
        data = _read_shipped(name, shipped)  # sets and checks the fingerprint
    else:
        data = _normalised(_read_raw(name, data_root(root) / name / "raw"))
    return replace(data, name=name, class_names=list(CLASS_NAMES[name]))


def normalize_features(x: Tensor) -> Tensor:
    """PyG's `NormalizeFeatures`, the same operations in the same order (so bit for bit): shift
    so that the smallest value is 0, then divide each row by its sum (rows summing to 0 stay 0).
    (N, F) -> a new (N, F)."""
    if x.numel() == 0:
        return x
    x = x - x.min()
    return x.div_(x.sum(dim=-1, keepdim=True).clamp_(min=1.0))


def _normalised(raw: Graph) -> Graph:
    """`raw` with normalised features and its fingerprint."""
    data = replace(raw, x=normalize_features(raw.x))
    data.fingerprint = fingerprint(data)
    return data


def fingerprint(data: Graph) -> str:
    """A short hash of what a trained model depends on: sizes, edges, features, labels, split."""
    digest = hashlib.sha256()
    digest.update(f"{data.num_nodes}:{data.x.shape[1]}:{data.edge_index.shape[1]}".encode())
    for tensor in (data.edge_index, data.x, data.y, data.train_mask, data.val_mask, data.test_mask):
        digest.update(tensor.contiguous().numpy().tobytes())
    return digest.hexdigest()[:16]


def export_dataset(name: str, raw_root: str | os.PathLike[str], out_dir: str | os.PathLike[str]) -> Path:
    """Write `<out_dir>/<name>.safetensors` from the raw files in `<raw_root>/<Name>/raw/`.

    The file is checked before it replaces an older one: read back, it must give exactly (torch.equal)
    what the raw files give normalised (`normalize_features`). The bytes depend only on the raw files.
    """
    import numpy as np
    import torch
    from safetensors.numpy import save_file

    name = canonical_name(name)
    if name not in SHIPPED:
        raise ValueError(f"only {' and '.join(SHIPPED)} are exported (binary features); got {name}")
    raw = _read_raw(name, Path(raw_root) / name / "raw", download=False)
    if not bool(((raw.x == 0) | (raw.x == 1)).all()):
        raise ValueError(f"{name}'s raw features are not binary: this format cannot hold them exactly")
    rows, cols = raw.x.nonzero(as_tuple=True)  # row-major order: CSR
    n, f, e = raw.num_nodes, raw.x.shape[1], raw.edge_index.shape[1]
    arrays = {
        "x_indptr": np.searchsorted(rows.numpy(), np.arange(n + 1)).astype(np.int32),  # (N+1,)
        "x_indices": cols.numpy().astype(_index_dtype(f)),  # (nnz,) column of each 1
        "edge_index": raw.edge_index.numpy().astype(_index_dtype(n)),  # (2, E), PyG's order
        "y": raw.y.numpy().astype(np.uint8),  # (N,)
        **{f"{s}_mask": getattr(raw, f"{s}_mask").numpy() for s in ("train", "val", "test")},  # (N,)
    }
    expected = _normalised(raw)
    meta = {  # one JSON string: safetensors would write separate keys in a random order
        "format": FORMAT,
        "name": name,
        "num_nodes": n,
        "num_features": f,
        "num_edges": e,
        "class_names": list(CLASS_NAMES[name]),
        "fingerprint": fingerprint(expected),
        "features": "binary bag of words as CSR (x_indptr, x_indices); NormalizeFeatures on load",
        "source": f"the raw Planetoid files ind.{name.lower()}.* read by torch_geometric's "
        f"read_planetoid_data; regenerate with: {EXPORT_COMMAND}",
    }
    out = Path(out_dir) / f"{name.lower()}.safetensors"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        save_file(arrays, str(tmp), metadata={"dataset": json.dumps(meta)})
        back = _read_shipped(name, tmp)
        for key in ("x", "edge_index", "y", "train_mask", "val_mask", "test_mask"):
            if not torch.equal(getattr(back, key), getattr(expected, key)):
                raise RuntimeError(f"{name}: {key} differs after the round trip; nothing written")
        tmp.chmod(0o644)  # a file to ship: readable by all, like the rest of the checkout
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    return out


def _index_dtype(bound: int) -> type:
    """The smallest of uint16 and int32 that holds indices below `bound`."""
    import numpy as np

    return np.uint16 if bound <= np.iinfo(np.uint16).max + 1 else np.int32


def _read_shipped(name: str, path: Path) -> Graph:
    """A shipped file: arrays and a JSON header, no pickle. Any inconsistency is `DatasetUnavailable`."""
    import numpy as np
    import torch
    from safetensors import safe_open

    def broken(why: str) -> DatasetUnavailable:
        return DatasetUnavailable(
            f"the shipped {name} file {path} is unusable ({why}); regenerate it with "
            f"{EXPORT_COMMAND}, or set GAT_VIZ_DATA and pass root= to read the raw files"
        )

    try:
        with safe_open(str(path), framework="np") as f:
            meta = json.loads((f.metadata() or {})["dataset"])
            if not isinstance(meta, dict):
                raise ValueError("the metadata is not a JSON object")
            arrays = {key: f.get_tensor(key) for key in f.keys()}
        n, num_features = int(meta["num_nodes"]), int(meta["num_features"])
        indptr, indices = arrays["x_indptr"].astype(np.int64), arrays["x_indices"].astype(np.int64)
        edge_index = arrays["edge_index"].astype(np.int64)
        masks = {key: arrays[key] for key in ("train_mask", "val_mask", "test_mask")}
        y = arrays["y"].astype(np.int64)
    except Exception as exc:  # not safetensors, truncated, missing keys or metadata
        raise broken(f"{type(exc).__name__}: {exc}") from exc
    if meta.get("format") != FORMAT or meta.get("name") != name:
        raise broken(f"format {meta.get('format')!r} for {meta.get('name')!r}, expected {FORMAT!r}")
    if meta.get("class_names") != list(CLASS_NAMES[name]):
        raise broken(f"class names {meta.get('class_names')!r}, expected {list(CLASS_NAMES[name])!r}")
    if not (
        0 < n <= 10**6 and 0 < num_features <= 10**5 and n * num_features <= 2**28  # x below 1 GB
        and indptr.shape == (n + 1,) and indptr[0] == 0 and indptr[-1] == indices.size
        and (np.diff(indptr) >= 0).all() and ((indices >= 0) & (indices < num_features)).all()
        and edge_index.ndim == 2 and edge_index.shape[0] == 2
        and ((edge_index >= 0) & (edge_index < n)).all()
        and y.shape == (n,) and ((y >= 0) & (y < len(CLASS_NAMES[name]))).all()
        and all(m.shape == (n,) and m.dtype == np.bool_ for m in masks.values())
    ):  # fmt: skip
        raise broken("inconsistent sizes or indices")
    x = torch.zeros(n, num_features)  # (N, F) float32, as Planetoid's
    rows = torch.repeat_interleave(torch.arange(n), torch.from_numpy(np.diff(indptr)))
    x[rows, torch.from_numpy(indices)] = 1.0
    data = _normalised(
        Graph(
            x=x, edge_index=torch.from_numpy(edge_index), y=torch.from_numpy(y),
            **{key: torch.from_numpy(m.copy()) for key, m in masks.items()},
        )
    )  # fmt: skip
    if data.fingerprint != meta.get("fingerprint"):
        raise broken("its contents do not match the fingerprint in its header")
    return data


def _read_raw(name: str, raw_dir: Path, download: bool = True) -> Graph:
    """The raw Planetoid files through PyG's reader, features not yet normalised."""
    from torch_geometric.io import read_planetoid_data

    for folder in (raw_dir.parent.parent, raw_dir.parent, raw_dir):
        if folder.exists() and not folder.is_dir():
            raise DatasetUnavailable(
                f"{folder} is a file, not a folder: GAT_VIZ_DATA (or root) must name the folder "
                f"holding {name}/raw/"
            )
    missing = [f for f in raw_files(name) if not (raw_dir / f).is_file()]
    if missing and not download:
        raise DatasetUnavailable(f"{name}: missing {', '.join(missing)} in {raw_dir}")
    if missing:
        _download(name, raw_dir, missing)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # scipy's deprecation notes from old pickles
            raw = read_planetoid_data(str(raw_dir), name)
    except Exception as exc:  # corrupt or foreign raw files
        raise DatasetUnavailable(
            f"could not read the {name} files in {raw_dir}: {type(exc).__name__}: {exc}"
        ) from exc
    return Graph(**{key: getattr(raw, key) for key in TENSORS})


def _download(name: str, raw_dir: Path, missing: list[str]) -> None:
    from torch_geometric.datasets import Planetoid
    from torch_geometric.io import fs

    created = [p for p in (raw_dir.parent, raw_dir) if not p.exists()]
    try:
        raw_dir.mkdir(parents=True, exist_ok=True)
        for file in missing:
            fs.cp(f"{Planetoid.url}/{file}", str(raw_dir))
    except Exception as exc:  # offline, DNS, read-only folder, HTTP errors, ...
        for file in missing:  # never leave a half-written file behind to be read later
            _remove_quietly(raw_dir / file)
        for folder in reversed(created):  # nor empty folders in someone's data directory
            _remove_quietly(folder)
        raise DatasetUnavailable(
            f"{name} is not available offline and could not be downloaded "
            f"({type(exc).__name__}). Put the eight Planetoid files "
            f"{', '.join(raw_files(name))} in {raw_dir} , or point GAT_VIZ_DATA at a folder "
            f"holding {name}/raw/ with them."
        ) from exc


def _remove_quietly(path: Path) -> None:
    try:
        path.rmdir() if path.is_dir() else path.unlink(missing_ok=True)
    except OSError:
        pass


def split_of(data: Graph, node: int) -> str:
    """'train', 'val', 'test' or 'unlabelled' for one node."""
    for split in ("train", "val", "test"):
        if bool(getattr(data, f"{split}_mask")[node]):
            return split
    return "unlabelled"
