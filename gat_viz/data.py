"""load_dataset(): the Planetoid citation graphs (Cora, CiteSeer, PubMed), offline-friendly.

The eight raw files are read with PyG's own reader (`read_planetoid_data`, what
`torch_geometric.datasets.Planetoid` runs in `process()`), then `NormalizeFeatures` is applied.
Nothing is written next to the raw files, so a read-only shared folder works. When the files
are missing they are downloaded from Planetoid's own address; offline that fails with
`DatasetUnavailable`, naming the files and the folder they belong in.
"""

from __future__ import annotations

import hashlib
import os
import warnings
from pathlib import Path

from torch_geometric.data import Data

DATASETS = ("Cora", "CiteSeer", "PubMed")
RAW_PARTS = ("x", "tx", "allx", "y", "ty", "ally", "graph", "test.index")
# Test accuracy of the GAT paper (Veličković et al., 2018, table 3): mean and std of 100 runs.
PAPER_ACCURACY = {"Cora": (83.0, 0.7), "CiteSeer": (72.5, 0.7), "PubMed": (79.0, 0.3)}
PROJECT_DATA = Path(__file__).resolve().parent.parent / "data"

CLASS_NAMES = {
    "Cora": (
        "Case_Based", "Genetic_Algorithms", "Neural_Networks", "Probabilistic_Methods",
        "Reinforcement_Learning", "Rule_Learning", "Theory",
    ),
    "CiteSeer": ("Agents", "AI", "DB", "IR", "ML", "HCI"),
    "PubMed": ("Diabetes_Experimental", "Diabetes_Type_1", "Diabetes_Type_2"),
}  # fmt: skip


class DatasetUnavailable(RuntimeError):
    """The raw files are missing and could not be downloaded."""


def canonical_name(name: str) -> str:
    """'cora' -> 'Cora'; an unknown name raises ValueError listing the supported ones."""
    for known in DATASETS:
        if isinstance(name, str) and name.lower() == known.lower():
            return known
    raise ValueError(f"unknown dataset {name!r}: supported are {', '.join(DATASETS)}")


def data_root(root: str | os.PathLike[str] | None = None) -> Path:
    """The folder holding `<Name>/raw/`: the argument, else $GAT_VIZ_DATA, else ./data."""
    if root is not None:
        return Path(root)
    env = os.environ.get("GAT_VIZ_DATA")
    return Path(env) if env else PROJECT_DATA


def raw_files(name: str) -> list[str]:
    return [f"ind.{name.lower()}.{part}" for part in RAW_PARTS]


def load_dataset(name: str = "Cora", root: str | os.PathLike[str] | None = None) -> Data:
    """The standard public split (140/500/1000 on Cora) with row-normalised features.

    The returned `Data` also carries `name`, `class_names` and `fingerprint` (a hash of the
    graph, features and labels that checkpoints record).
    """
    from torch_geometric.io import read_planetoid_data
    from torch_geometric.transforms import NormalizeFeatures

    name = canonical_name(name)
    raw_dir = data_root(root) / name / "raw"
    missing = [f for f in raw_files(name) if not (raw_dir / f).is_file()]
    if missing:
        _download(name, raw_dir, missing)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # scipy's deprecation notes from old pickles
            data = read_planetoid_data(str(raw_dir), name)
    except Exception as exc:  # corrupt or foreign raw files
        raise DatasetUnavailable(
            f"could not read the {name} files in {raw_dir}: {type(exc).__name__}: {exc}"
        ) from exc
    data = NormalizeFeatures()(data)
    data.name = name
    data.class_names = list(CLASS_NAMES[name])
    data.fingerprint = fingerprint(data)
    return data


def fingerprint(data: Data) -> str:
    """A short hash of what a trained model depends on: sizes, edges, features, labels, split."""
    digest = hashlib.sha256()
    digest.update(f"{data.num_nodes}:{data.x.shape[1]}:{data.edge_index.shape[1]}".encode())
    for tensor in (data.edge_index, data.x, data.y, data.train_mask, data.val_mask, data.test_mask):
        digest.update(tensor.contiguous().numpy().tobytes())
    return digest.hexdigest()[:16]


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


def split_of(data: Data, node: int) -> str:
    """'train', 'val', 'test' or 'unlabelled' for one node."""
    for split in ("train", "val", "test"):
        if bool(getattr(data, f"{split}_mask")[node]):
            return split
    return "unlabelled"
