"""The Snakemake glue `workflow/scripts/landscape.py`, run on a tiny PINN with a stand-in `snakemake`."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
import torch

from losstopo import artifacts
from losstopo.landscape import read_vti
from losstopo.problems.registry import make_problem

SCRIPT = Path(__file__).resolve().parents[1] / "workflow" / "scripts" / "landscape.py"
SPEC = {"name": "convection", "beta": 3.0, "hidden": [8, 8], "n_x": 32, "n_t": 16, "n_f": 40}


def _script():
    spec = importlib.util.spec_from_file_location("landscape_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    root = tmp_path_factory.mktemp("pinn")
    problem = make_problem(SPEC)
    theta = problem.init(0)
    artifacts.save_model(root / "model.pt", theta, SPEC, {})
    g = torch.Generator().manual_seed(0)
    eigvecs, _ = torch.linalg.qr(torch.randn(problem.spec.size, 4, generator=g))
    np.save(root / "eigvecs.npy", eigvecs.T.numpy().astype(np.float32))
    steps = torch.linspace(0, 1, 12)[:, None]
    path = theta + 0.3 * (1 - steps) * torch.randn(problem.spec.size, generator=g) \
        + 0.1 * torch.sin(6 * steps) * torch.randn(problem.spec.size, generator=g)
    artifacts.save_trajectory(root / "trajectory.npz", path, list(range(12)), [0.0] * 12)
    return root


def _run(root: Path, kind: str, dim: int, steps: int):
    out = root / f"landscape_{kind}_{dim}d"
    smk = SimpleNamespace(
        input=SimpleNamespace(model=str(root / "model.pt"), eigvecs=str(root / "eigvecs.npy"),
                              trajectory=str(root / "trajectory.npz")),
        output=SimpleNamespace(npz=f"{out}.npz", vti=f"{out}.vti", png=f"{out}.png"),
        wildcards=SimpleNamespace(kind=kind, dim=str(dim)),
        params=SimpleNamespace(landscape={"distance": 0.5, "steps": steps, "normalization": "filter",
                                          "ignore_bias": True, "chunk_memory_mb": 4, "save_every_s": 30, "seed": 1,
                                          "dtype": "float64", "kinds": ["random"], "steps_3d": 5}),
        threads=1,
        log=[f"{out}.log"],  # written only when Snakemake runs the script
    )
    _script().main(smk)
    return smk


@pytest.mark.parametrize("kind, dim, steps",
                         [("random", 2, 9), ("hessian", 3, 5), ("pca", 2, 7), ("random", 4, 3)])
def test_landscape_script_outputs(model_dir, kind, dim, steps):
    smk = _run(model_dir, kind, dim, steps)
    with np.load(smk.output.npz) as data:
        files = set(data.files)
        loss, axes, directions = data["loss"], data["axes"], data["directions"]
        meta = json.loads(str(data["meta"]))
        terms = {k: data[k] for k in ("loss_ic", "loss_bc", "loss_r")}
        pca = {k: data[k] for k in ("trajectory_coords", "explained_variance") if k in files}
    assert loss.shape == (steps,) * dim and axes.shape == (dim, steps) and directions.shape[0] == dim
    assert directions.dtype == np.float32 and all(v.shape == loss.shape for v in terms.values())
    assert meta["kind"] == kind and meta["dim"] == dim and meta["n_nonfinite"] == 0
    assert meta["problem"]["beta"] == 3.0 and "seconds" not in meta and "points_per_second" not in meta
    theta, _, _ = artifacts.load_model(smk.input.model)
    centre = loss[(steps // 2,) * dim]
    expected = float(make_problem({**SPEC, "dtype": "float64"}).loss(theta.double()))
    assert centre == pytest.approx(expected, rel=1e-9)
    image = read_vti(smk.output.vti)
    np.testing.assert_array_equal(image.fields["loss"], loss)
    np.testing.assert_array_equal(image.fields["loss_r"], terms["loss_r"])
    assert Path(smk.output.png).stat().st_size > 10_000
    assert not Path(smk.output.npz + ".partial").exists()
    if kind == "pca":
        assert pca["trajectory_coords"].shape == (12, 2) and 0.9 < pca["explained_variance"].sum() <= 1 + 1e-9
        assert np.abs(pca["trajectory_coords"]).max() <= axes.max()
    else:
        assert set(pca) == set()


def test_default_hessian_landscape_keeps_orthonormal_eigenvectors(tmp_path):
    """With the default config, saved Hessian directions are the eigenvectors: orthogonal, and each
    one's Rayleigh quotient is its eigenvalue (the landscape's plane is spanned by eigenvectors)."""
    from losstopo.config import SCHEMA_PATH, load_config
    from losstopo.hessian import HessianOperator, top_eigen

    root = Path(__file__).resolve().parents[1]
    config = load_config(root / "config/config.yaml", SCHEMA_PATH)
    settings = {**config["landscape"], **config["landscape"]["hessian"], "steps": 5, "dtype": "float64"}
    problem = make_problem({**SPEC, "dtype": "float64"})
    theta = problem.init(0)
    artifacts.save_model(tmp_path / "model.pt", theta, SPEC, {})
    op = HessianOperator(problem, theta)
    eig = top_eigen(op, 4, tol=1e-8, max_iter=105, seed=0)
    np.save(tmp_path / "eigvecs.npy", eig.eigenvectors.numpy().astype(np.float32))
    out = tmp_path / "landscape_hessian_2d"
    smk = SimpleNamespace(
        input=SimpleNamespace(model=str(tmp_path / "model.pt"), eigvecs=str(tmp_path / "eigvecs.npy")),
        output=SimpleNamespace(npz=f"{out}.npz", vti=f"{out}.vti", png=f"{out}.png"),
        wildcards=SimpleNamespace(kind="hessian", dim="2"), params=SimpleNamespace(landscape=settings),
        threads=1, log=[f"{out}.log"],
    )
    _script().main(smk)
    with np.load(smk.output.npz) as data:
        directions = torch.as_tensor(data["directions"], dtype=torch.float64)
        meta = json.loads(str(data["meta"]))
    cosines = np.array(meta["direction_cosines"])
    assert np.abs(cosines - np.eye(2)).max() < 1e-6 and meta["max_abs_cosine"] < 1e-6
    for i, d in enumerate(directions):
        rayleigh = float(d @ op(d) / (d @ d))
        assert rayleigh == pytest.approx(float(eig.eigenvalues[i]), rel=1e-4)


def test_a_truncated_model_file_says_how_to_retrain(tmp_path):
    """A plain rerun does not redo a finished file: the error must name the file and the command that does."""
    path = tmp_path / "model.pt"
    path.write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(ValueError, match="--forcerun") as err:
        artifacts.load_model(path)
    assert str(path) in str(err.value)
