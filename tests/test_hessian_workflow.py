"""The `hessian` rule's script and the spectral-density plot, on a tiny saved PINN."""

from __future__ import annotations

import json
import runpy
from pathlib import Path
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from losstopo.artifacts import save_model  # noqa: E402
from losstopo.plots.hessian import plot_esd  # noqa: E402
from losstopo.problems.registry import make_problem  # noqa: E402

SCRIPT = Path(__file__).resolve().parents[1] / "workflow" / "scripts" / "hessian.py"
TINY_PINN = {"name": "convection", "beta": 3.0, "hidden": [8, 8], "n_x": 32, "n_t": 16, "n_f": 40,
             "dtype": "float32"}


def run_script(tmp_path: Path, **hessian) -> SimpleNamespace:
    problem = make_problem(TINY_PINN)
    save_model(tmp_path / "model.pt", problem.init(0), TINY_PINN, {})
    smk = SimpleNamespace(
        input=SimpleNamespace(model=str(tmp_path / "model.pt")),
        output=SimpleNamespace(json=str(tmp_path / "hessian.json"), eigvecs=str(tmp_path / "eigvecs.npy"),
                               esd=str(tmp_path / "esd.npz")),
        params=SimpleNamespace(hessian=hessian),
        log=[str(tmp_path / "hessian.log")],
        threads=1,
    )
    runpy.run_path(str(SCRIPT), init_globals={"snakemake": smk})
    return smk


def test_script_writes_eigenpairs_trace_and_density_matching_the_dense_hessian(tmp_path):
    threads = torch.get_num_threads()
    smk = run_script(tmp_path, top_k=3, tol=1e-6, max_iter=100, trace_rtol=0.05, trace_max_samples=400,
                     hutchpp_hvps=60, esd_runs=2, esd_steps=30, seed=0, dtype="float64")
    torch.set_num_threads(threads)
    problem = make_problem({**TINY_PINN, "dtype": "float64"})
    theta = make_problem(TINY_PINN).init(0).double()  # the float32 vector the script read, cast as it does
    h = torch.func.hessian(problem.loss)(theta)
    values, vectors = torch.linalg.eigh(h)

    result = json.loads(Path(smk.output.json).read_text())
    np.testing.assert_allclose(result["eigenvalues"], values.flip(0)[:3].numpy(), rtol=1e-4)
    assert abs(result["trace"] - float(h.trace())) <= 3 * result["trace_stderr"]
    # Hutch++ beside Hutchinson (an untrained net: no decaying spectrum to exploit), within its own error bar
    assert result["n_hvp"]["hutchpp"] == 60
    assert abs(result["trace_hutchpp"] - float(h.trace())) <= 3 * result["trace_hutchpp_stderr"]
    assert abs(result["trace_hutchpp"] - float(h.trace())) <= 0.05 * abs(float(h.trace()))
    assert result["n_hvp"]["total"] == sum(result["n_hvp"][k] for k in ("eigen", "trace", "hutchpp", "esd"))
    assert result["settings"]["dtype"] == "float64" and result["n_params"] == theta.numel()
    eigvecs = np.load(smk.output.eigvecs)
    assert eigvecs.shape == (3, theta.numel()) and eigvecs.dtype == np.float32
    assert np.all(np.abs(np.sum(eigvecs * vectors[:, -3:].flip(1).T.numpy(), axis=1)) > 0.999)
    with np.load(smk.output.esd) as esd:
        assert {"grid", "density", "nodes", "weights"} <= set(esd.files)
        assert np.trapezoid(esd["density"], esd["grid"]) == pytest.approx(1.0, abs=1e-6)
        assert esd["nodes"].shape == esd["weights"].shape == (2, 30)
    assert "top-3 eigenvalues" in Path(smk.log[0]).read_text() and "Hutch++ trace" in Path(smk.log[0]).read_text()


def test_hutchpp_is_exact_once_its_sketch_spans_every_parameter(tmp_path):
    """3 x 105 products: the sketch spans R^105, tr(Q^T H Q) is the dense trace and no probe is drawn."""
    smk = run_script(tmp_path, top_k=3, tol=1e-4, max_iter=40, trace_rtol=0.05, trace_max_samples=20,
                     hutchpp_hvps=3 * 105, esd_runs=1, esd_steps=10, seed=0, dtype="float64")
    problem = make_problem({**TINY_PINN, "dtype": "float64"})
    h = torch.func.hessian(problem.loss)(make_problem(TINY_PINN).init(0).double())
    result = json.loads(Path(smk.output.json).read_text())
    assert result["trace_hutchpp"] == pytest.approx(float(h.trace()), rel=1e-10)
    assert result["trace_hutchpp_stderr"] == 0.0 and result["trace_hutchpp_rank"] == 105
    assert result["n_hvp"]["hutchpp"] == 2 * 105


def test_plot_esd_draws_a_log_density_that_covers_overlays():
    grid = np.linspace(-1, 5, 200)
    density = np.exp(-0.5 * (grid / 0.1) ** 2) / (0.1 * np.sqrt(2 * np.pi))
    fig, ax = plt.subplots()
    plot_esd(ax, grid, density, label="beta 1")
    plot_esd(ax, grid + 10, density * 100, label="beta 5")
    assert ax.get_yscale() == "log"
    assert ax.get_xlim() == (-1, 15) and ax.get_ylim()[1] >= density.max() * 100
    np.testing.assert_allclose(ax.lines[0].get_ydata(), np.maximum(density, 1e-8))
    assert ax.get_xlabel() == "eigenvalue"
    with pytest.raises(ValueError, match="1-D"):
        plot_esd(ax, grid, density[:-1])
    plt.close(fig)
