"""The Neuro-Visualizer glue scripts (landscape, panel figure, Table 1), run on a tiny PINN with a
stand-in `snakemake`."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
import torch

from losstopo import artifacts
from losstopo.neurovis import ProjectionResult
from losstopo.problems.registry import make_problem

SCRIPTS = Path(__file__).resolve().parents[1] / "workflow" / "scripts"
SPEC = {"name": "convection", "beta": 3.0, "hidden": [8, 8], "n_x": 32, "n_t": 16, "n_f": 40}
SETTINGS = {"hidden": [8], "epochs": 10, "lr": 1e-3, "batch_size": 32, "patience": 10, "restart_epochs": 10,
            "weights": {"recon": 1.0, "anchor": 1.0}, "anchor": "polar", "l_max": 2.0, "grid_points": 5,
            "seed": 0, "resolution": 5, "dtype": "float64", "density": True}


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """Two short trajectories of the tiny PINN, each with its model file."""
    root = tmp_path_factory.mktemp("nv")
    problem = make_problem(SPEC)
    g = torch.Generator().manual_seed(0)
    for k in range(2):
        theta = problem.init(k)
        steps = torch.linspace(0, 1, 8)[:, None]
        path = theta + 0.3 * steps * torch.randn(problem.spec.size, generator=g) \
            + 0.05 * torch.sin(4 * steps) * torch.randn(problem.spec.size, generator=g)
        artifacts.save_model(root / f"model{k}.pt", path[-1], SPEC, {})
        artifacts.save_trajectory(root / f"trajectory{k}.npz", path, list(range(8)), [0.0] * 8)
    return root


def _landscape(root: Path, method: str, trajectories: list[str] | None = None):
    out = root / method
    trajectories = trajectories or [str(root / "trajectory0.npz"), str(root / "trajectory1.npz")]
    members = [{"label": f"seed {k}", "model": str(root / f"model{k}.pt"), "trajectory": path}
               for k, path in enumerate(trajectories)]
    smk = SimpleNamespace(
        output=SimpleNamespace(npz=f"{out}.npz", json=f"{out}.json"),
        params=SimpleNamespace(method=method, trajectories=members, neurovis=SETTINGS),
        threads=1, log=[f"{out}.log"])
    _script("neurovis_landscape").main(smk)
    return smk


@pytest.mark.parametrize("method", ["pca", "nv"])
def test_landscape_script_writes_a_redrawable_result(runs, method):
    smk = _landscape(runs, method)
    summary = artifacts.load_json(smk.output.json)
    with np.load(smk.output.npz) as archive:
        result = ProjectionResult.from_arrays(archive)
    assert summary["method"] == method == result.method and summary["n_models"] == 16
    assert summary["e_proj"] == pytest.approx(result.e_proj) and np.isfinite(summary["e_relative"])
    assert "versions" in summary["provenance"] and summary["provenance"]["neurovis"]["epochs"] == 10
    assert result.labels == ("seed 0", "seed 1") and result.lengths == (8, 8)
    assert set(result.terms) == {"ic", "bc", "r", "loss"} and result.terms["loss"].shape == (5, 5)
    assert result.density.shape == (5, 5) and result.coords.shape == (16, 2)
    problem = make_problem({**SPEC, "dtype": "float64"})
    thetas = torch.cat([torch.as_tensor(artifacts.load_trajectory(runs / f"trajectory{k}.npz")["thetas"])
                        for k in range(2)]).double()
    expected = problem.loss_terms(thetas)["loss"].numpy()
    np.testing.assert_allclose(result.true_terms["loss"], expected, rtol=1e-10)


def test_landscape_script_names_a_mismatched_trajectory(runs, tmp_path):
    other = tmp_path / "other.npz"
    artifacts.save_trajectory(other, torch.zeros(3, 5), [0, 1, 2], [0.0] * 3)
    with pytest.raises(ValueError, match="other.npz"):
        _landscape(runs, "pca", [str(other)])


@pytest.mark.parametrize("colour", ["loss", "loss_error", "projection_error", "density"])
def test_panel_figure(runs, colour):
    results = [str(runs / "pca.npz"), str(runs / "nv.npz")]
    if not all(Path(p).exists() for p in results):
        for method in ("pca", "nv"):
            _landscape(runs, method)
    out = runs / f"panels_{colour}"
    panels = [{"title": title, "term": "r", "file": path} for title, path in zip(["PCA", "NV"], results)]
    smk = SimpleNamespace(output=SimpleNamespace(png=f"{out}.png", pdf=f"{out}.pdf"),
                          params=SimpleNamespace(panels=panels, suptitle="test", colour=colour),
                          log=[f"{out}.log"])
    _script("fig_neurovis_panels").main(smk)
    assert Path(smk.output.png).stat().st_size > 1000 and Path(smk.output.pdf).stat().st_size > 1000


def test_table_lists_ours_beside_the_paper(runs):
    for method in ("pca", "nv"):
        if not (runs / f"{method}.json").exists():
            _landscape(runs, method)
    out = runs / "table"
    rows = [{"trajectory": "pinn", "method": m, "file": str(runs / f"{m}.json")} for m in ("nv", "pca")]
    smk = SimpleNamespace(output=SimpleNamespace(csv=f"{out}.csv", png=f"{out}.png", pdf=f"{out}.pdf"),
                          params=SimpleNamespace(rows=rows),
                          log=[f"{out}.log"])
    _script("table_n1_projection_errors").main(smk)
    table = pd.read_csv(smk.output.csv)
    assert list(table["method"]) == ["nv", "pca"]
    expected = [artifacts.load_json(runs / f"{m}.json")["e_proj"] for m in ("nv", "pca")]
    assert table["e_proj"].tolist() == expected
    assert table["paper_cophy_e_relative"].tolist() == [0.0095, 1.6782]
    assert table["paper_cophy_e_proj"].tolist() == [0.0005, 0.2832]
    assert Path(smk.output.png).exists() and Path(smk.output.pdf).exists()
    swapped = [{**row, "method": other} for row, other in zip(rows, ("pca", "nv"))]
    swapped = SimpleNamespace(**{**vars(smk), "params": SimpleNamespace(rows=swapped)})
    with pytest.raises(ValueError, match="written for another embedding"):
        _script("table_n1_projection_errors").main(swapped)
