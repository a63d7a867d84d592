"""The package as others get it: built into a wheel, installed into a fresh environment, used from
another folder. The wheel must carry every module and the shipped models and datasets, and
`import gat_viz` must stay light (torch loads when something needs it)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import ROOT

SOURCES = ("pyproject.toml", "README.md", "requirements.txt", "gat_viz", "assets")


def requirement_lines() -> list[str]:
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    return [line.split("#")[0].strip() for line in lines if line.split("#")[0].strip()]


def _clean_env(**extra: str) -> dict[str, str]:
    """No PYTHONPATH, no GAT_VIZ_DATA: only what the installation itself provides."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "GAT_VIZ_DATA")}
    return {**env, **extra}


@pytest.fixture(scope="module")
def source_copy(tmp_path_factory) -> Path:
    """The project's package sources in a temporary folder: building writes build/ and *.egg-info
    next to the sources, which must not happen in a checkout others are working in."""
    copy = tmp_path_factory.mktemp("src")
    for name in SOURCES:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, copy / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(src, copy / name)
    return copy


@pytest.fixture(scope="module")
def wheel(source_copy, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index",
         "-w", str(out), str(source_copy)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    (path,) = out.glob("gat_viz-*.whl")
    return path


def test_the_wheel_holds_every_module_the_assets_and_the_requirements(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    modules = {p.relative_to(ROOT).as_posix() for p in (ROOT / "gat_viz").rglob("*.py")}
    assert modules and modules <= names, sorted(modules - names)
    for name in ("cora", "citeseer"):
        assert f"gat_viz/assets/data/{name}.safetensors" in names
    shipped_models = {f"gat_viz/assets/models/{p.name}" for p in (ROOT / "assets" / "models").iterdir()}
    assert shipped_models and shipped_models <= names
    meta = zipfile.ZipFile(wheel).read("gat_viz-0.1.0.dist-info/METADATA").decode()
    requires = [line.split(": ", 1)[1] for line in meta.splitlines() if line.startswith("Requires-Dist: ")]
    from packaging.requirements import Requirement

    assert {str(Requirement(r)) for r in requires if "extra ==" not in r} == {
        str(Requirement(r)) for r in requirement_lines()
    }
    assert "torch==2.13.0" in requires
    entry_points = zipfile.ZipFile(wheel).read("gat_viz-0.1.0.dist-info/entry_points.txt").decode()
    assert "gat-viz = gat_viz.cli:main" in entry_points


PROBE = """
import sys, gat_viz
from importlib.metadata import requires, version
from packaging.requirements import Requirement
assert "torch" not in sys.modules, "import gat_viz loaded torch"
for req in map(Requirement, requires("gat-viz")):  # the declared dependencies are what runs here
    if not req.marker:
        assert req.specifier.contains(version(req.name), prereleases=True), (str(req), version(req.name))
data = gat_viz.load_dataset("Cora")
from gat_viz.data import assets_dir
models = sorted(p.name for p in (assets_dir() / "models").iterdir())
print(gat_viz.__file__, data.num_nodes, data.fingerprint, models)
"""


def test_installed_from_a_wheel_and_editable_it_works_from_any_folder(wheel, source_copy, tmp_path):
    """`pip install` into a fresh environment that sees this machine's packages (nothing is
    downloaded; the declared dependencies must be satisfied by what is installed), then from
    another folder, with PYTHONPATH and GAT_VIZ_DATA unset: import, load Cora offline, `gat-viz`."""
    from gat_viz.data import load_dataset

    venv = tmp_path / "venv"
    # Without a pip (and the old setuptools that comes with it) of its own: this machine's pip
    # installs into it (--python), and builds with this machine's setuptools.
    venv_cmd = [sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", str(venv)]
    subprocess.run(venv_cmd, check=True, timeout=300)
    python, elsewhere = venv / "bin" / "python", tmp_path / "elsewhere"
    elsewhere.mkdir()
    expected = load_dataset("Cora").fingerprint
    models = sorted(p.name for p in (ROOT / "assets" / "models").iterdir())
    for install, home in (([str(wheel)], venv), (["-e", str(source_copy)], source_copy)):
        proc = subprocess.run(
            [sys.executable, "-m", "pip", "--python", str(python), "install", "--no-index", "--no-deps",
             "--no-build-isolation", *install],
            capture_output=True, text=True, timeout=300, env=_clean_env(),
        )  # fmt: skip
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
        proc = subprocess.run(
            [str(python), "-c", PROBE], capture_output=True, text=True, cwd=elsewhere, env=_clean_env(),
            timeout=300,
        )  # fmt: skip
        assert proc.returncode == 0, proc.stderr[-2000:]
        where, nodes, fingerprint, found = proc.stdout.split(maxsplit=3)
        assert Path(where).is_relative_to(home), (install, where)  # this installation, not the checkout
        assert (nodes, fingerprint, found.strip()) == ("2708", expected, repr(models))
        proc = subprocess.run(
            [str(venv / "bin" / "gat-viz"), "data", "export", "--help"], capture_output=True, text=True,
            cwd=elsewhere, env=_clean_env(), timeout=60,
        )  # fmt: skip
        assert proc.returncode == 0 and "usage: gat_viz data export" in proc.stdout, proc.stderr
    assert list(elsewhere.iterdir()) == []  # nothing written where it was used


LAZY_PROBE = """
import sys, types
import gat_viz
light = not any(m.split(".")[0] in ("torch", "torch_geometric") for m in sys.modules)
import gat_viz.cache  # loads the submodule gat_viz.train: gat_viz.train must stay the function
from gat_viz import GATConfig, train
from gat_viz.train import receptive_field
assert callable(gat_viz.train) and not isinstance(gat_viz.train, types.ModuleType)
assert gat_viz.train is train and gat_viz.GATConfig is GATConfig
assert gat_viz.ModelCache is gat_viz.cache.ModelCache
print(light)
"""


def test_import_gat_viz_is_light_and_the_names_resolve():
    proc = subprocess.run(
        [sys.executable, "-c", LAZY_PROBE], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip() == "True"


def test_every_public_name_resolves():
    import gat_viz

    assert sorted(gat_viz.__all__) == sorted(gat_viz._EXPORTS)
    for name in gat_viz.__all__:
        assert getattr(gat_viz, name) is not None, name
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = gat_viz.nope
