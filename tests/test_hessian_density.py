"""The SLQ spectral density against the Gaussian-broadened spectrum of operators with known eigenvalues."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import torch  # noqa: E402

from losstopo.hessian import gaussian_density, spectral_density  # noqa: E402
from losstopo.hessian.density import REL_WIDTH  # noqa: E402
from losstopo.plots.hessian import plot_esd  # noqa: E402

N = 400
# A bulk spread over 16 kernel widths (so the quadrature has work to do) and five outliers.
SPECTRUM = torch.cat([torch.linspace(-8.0, 8.0, N - 5, dtype=torch.float64),
                      torch.tensor([-30.0, 40.0, 60.0, 80.0, 100.0], dtype=torch.float64)])


class DenseOperator:
    """A matrix as an `Operator`."""

    def __init__(self, matrix: torch.Tensor) -> None:
        self.matrix, self.size, self.dtype, self.device = matrix, matrix.shape[0], matrix.dtype, matrix.device

    def __call__(self, v: torch.Tensor) -> torch.Tensor:
        return self.matrix @ v


def broadened(grid: np.ndarray, eigenvalues: np.ndarray, width: float) -> np.ndarray:
    """The oracle: (1/n) sum_i N(grid; lambda_i, width^2), summed directly."""
    z = (grid[:, None] - eigenvalues[None]) / width
    return np.exp(-0.5 * z**2).sum(axis=1) / (len(eigenvalues) * width * math.sqrt(2 * math.pi))


def rotated(spectrum: torch.Tensor, seed: int = 0) -> torch.Tensor:
    """Q diag(spectrum) Q^T for a random orthogonal Q: the same spectrum, dense eigenvectors."""
    g = torch.Generator().manual_seed(seed)
    q, _ = torch.linalg.qr(torch.randn(len(spectrum), len(spectrum), dtype=torch.float64, generator=g))
    return q @ torch.diag(spectrum) @ q.T


def test_width_is_one_percent_of_the_range_and_the_density_integrates_to_one():
    result = spectral_density(DenseOperator(torch.diag(SPECTRUM)), runs=2, steps=60, seed=0)
    # Lanczos' extreme Ritz values converge first, so the nodes' range is the spectrum's.
    assert result.width == pytest.approx(REL_WIDTH * 130.0, rel=1e-9)
    assert np.trapezoid(result.density, result.grid) == pytest.approx(1.0, abs=1e-9)
    assert result.grid[0] <= -30 - 5 * result.width and result.grid[-1] >= 100 + 5 * result.width
    assert result.n_hvp == 2 * 60


def test_on_a_diagonal_operator_slq_equals_the_broadened_spectrum():
    """Rademacher probes see a diagonal's eigenvalues with weight exactly 1/N (v_i^2 = 1), so the only
    error left is Gauss quadrature's; with 60 nodes it integrates Gaussians 1% of the range wide to
    rounding (measured: L1 error 2e-4 with 20 steps, 2e-15 from 40). The 1e-9 bound leaves room for
    rounding only, so a wrong weight, width or normalisation fails it."""
    result = spectral_density(DenseOperator(torch.diag(SPECTRUM)), runs=1, steps=60, seed=0)
    exact = broadened(result.grid, SPECTRUM.numpy(), result.width)
    assert np.trapezoid(np.abs(result.density - exact), result.grid) < 1e-9
    assert np.max(np.abs(result.density - exact)) < 1e-9 * exact.max()


def test_on_a_rotated_operator_slq_is_the_broadened_spectrum_within_its_standard_error():
    """Dense eigenvectors make the weights random; the runs' spread gives the mean's standard error at
    each grid point, and the run-mean must lie within 5 of them of the oracle everywhere (the grid's
    points are strongly correlated, so 5 standard errors bound their maximum with a wide margin)."""
    runs, steps = 16, 60
    result = spectral_density(DenseOperator(rotated(SPECTRUM)), runs=runs, steps=steps, seed=1)
    exact = broadened(result.grid, SPECTRUM.numpy(), result.width)
    z = (result.grid[None, :, None] - result.nodes[:, None, :]) / result.width
    kernel = np.exp(-0.5 * z**2) / (result.width * math.sqrt(2 * math.pi))
    per_run = (kernel * result.weights[:, None, :]).sum(axis=2)  # each run's density [runs, grid]
    np.testing.assert_allclose(per_run.mean(axis=0), result.density, atol=1e-12 * exact.max())
    stderr = per_run.std(axis=0, ddof=1) / math.sqrt(runs)
    error = np.abs(result.density - exact)
    assert np.all(error <= 5 * stderr + 1e-6 * exact.max())
    assert np.trapezoid(error, result.grid) < 0.06  # measured 0.02-0.05 over seeds with 8 runs


def test_the_density_is_scale_free():
    """Scaling the operator by c scales the grid by c and the density by 1/c: the same picture."""
    small = spectral_density(DenseOperator(torch.diag(SPECTRUM)), runs=1, steps=40, seed=0)
    large = spectral_density(DenseOperator(torch.diag(1000 * SPECTRUM)), runs=1, steps=40, seed=0)
    np.testing.assert_allclose(large.grid, 1000 * small.grid, rtol=1e-9)
    np.testing.assert_allclose(large.density, small.density / 1000, rtol=1e-6,
                               atol=1e-12 * small.density.max())
    assert large.width == pytest.approx(1000 * small.width)


def test_outliers_stand_apart_from_the_bulk():
    """With 1% of the range the five outliers are separate bumps of mass 1/N each, apart from the bulk."""
    result = spectral_density(DenseOperator(torch.diag(SPECTRUM)), runs=1, steps=60, seed=0)
    for outlier in (-30.0, 40.0, 60.0, 80.0, 100.0):
        near = np.abs(result.grid - outlier) <= 3 * result.width
        assert np.trapezoid(result.density[near], result.grid[near]) == pytest.approx(1 / N, rel=0.01)
        gap = np.abs(result.grid - (outlier - 5 * result.width)).argmin()
        assert result.density[gap] < 1e-3 * result.density[near].max()


def test_a_given_width_overrides_the_relative_one_and_bad_widths_are_refused():
    nodes, weights = np.array([[0.0, 10.0]]), np.array([[0.5, 0.5]])
    grid, density, width = gaussian_density(nodes, weights, width=0.5)
    assert width == 0.5 and np.trapezoid(density, grid) == pytest.approx(1.0, abs=1e-9)
    assert gaussian_density(nodes, weights, rel_width=0.05)[2] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="width must be positive"):
        gaussian_density(nodes, weights, width=0.0)


def test_plot_esd_states_the_width_and_keeps_bulk_and_outliers_in_view():
    result = spectral_density(DenseOperator(torch.diag(SPECTRUM)), runs=1, steps=60, seed=0)
    fig, ax = plt.subplots()
    plot_esd(ax, result.grid, result.density, width=result.width)
    lo, hi = ax.get_xlim()
    assert lo <= -30 and hi >= 100 and ax.get_yscale() == "log"
    assert any("1.3" in text.get_text() for text in ax.texts)  # "Gaussian std 1.3"
    plt.close(fig)
