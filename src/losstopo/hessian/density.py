"""Eigenvalue spectral density by stochastic Lanczos quadrature (SLQ), Gaussian-smoothed on a grid.

For a random unit vector v, m Lanczos steps from v give nodes theta_j (Ritz values) and weights
w_j = (first entry of T's j-th eigenvector)^2: a Gauss quadrature of the measure sum_i (u_i.v)^2
delta(lambda - lambda_i), whose mean over Rademacher v is the spectral density (1/P) sum_i
delta(lambda - lambda_i). Averaging runs and smoothing each node with a Gaussian gives the density
of Ghorbani et al. (2019) and PyHessian; the grid is fine and wide enough that it integrates to 1.

Width: a Gaussian of std `rel_width` (default 1%) of the nodes' range lambda_max - lambda_min. Ghorbani
et al. and PyHessian take the *variance* 1e-5 * range, i.e. std sqrt(1e-5 * range): 0.25 for a PINN
whose range is 6,400, far below the spacing of 60 Ritz nodes, so each node draws as an isolated spike.
A width proportional to the range is scale-free (the picture does not change when the loss is scaled)
and, at 1%, wider than the Gauss nodes' spacing in the bulk yet narrow enough to separate outliers
more than 1% of the range apart.

Runs: an outlier eigenvalue's weight (u_i.v)^2 has relative standard deviation ~sqrt(2) per run (a
chi-square of one degree for a delocalised u_i), so its height on the log density axis is known to
~sqrt(2 / runs): 8 runs give +-50% (0.2 decades); the bulk, a sum over thousands of eigenvalues, is
stable from one run. `DEFAULT_RUNS` is that choice.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import numpy as np
import torch

from losstopo.hessian.hvp import Operator
from losstopo.hessian.lanczos import lanczos, random_vector

MAX_GRID = 2_000_000
REL_WIDTH = 0.01
DEFAULT_RUNS = 8


@dataclass
class SpectralDensity:
    """The density on `grid`, and the quadrature behind it: nodes and weights [runs, steps] (0-padded).

    `width` is the Gaussian's std in eigenvalue units (`rel_width` times the nodes' range by default).
    """

    grid: np.ndarray
    density: np.ndarray
    nodes: np.ndarray
    weights: np.ndarray
    width: float
    n_hvp: int
    seconds: float


def quadrature(op: Operator, runs: int = DEFAULT_RUNS, steps: int = 100,
               seed: int = 0) -> tuple[np.ndarray, np.ndarray, int]:
    """SLQ nodes and weights [runs, steps] (zero weight pads early-stopped runs) and the HVPs spent."""
    g = torch.Generator().manual_seed(seed)
    steps = min(steps, op.size)
    nodes, weights = np.zeros((runs, steps)), np.zeros((runs, steps))
    n_hvp = 0
    for r in range(runs):
        run = lanczos(op, random_vector(op, g, rademacher=True), steps)
        values, vectors = run.ritz()
        m = values.numel()
        nodes[r, :m], weights[r, :m] = values.numpy(), (vectors[0] ** 2).numpy()
        n_hvp += m
    return nodes, weights, n_hvp


def relative_width(nodes: np.ndarray, weights: np.ndarray, rel_width: float = REL_WIDTH) -> float:
    """`rel_width` times the range of the weighted nodes (of their largest magnitude if they coincide)."""
    used = nodes[weights > 0]
    lo, hi = float(used.min()), float(used.max())
    scale = hi - lo or max(abs(lo), abs(hi)) or 1.0
    return rel_width * scale


def gaussian_density(nodes: np.ndarray, weights: np.ndarray, width: float | None = None,
                     n_grid: int = 10_000,
                     rel_width: float = REL_WIDTH) -> tuple[np.ndarray, np.ndarray, float]:
    """Grid, run-averaged density of Gaussians of std `width` at the nodes, and width.

    `width` defaults to `rel_width` times the nodes' range (see the module's note). The grid reaches
    6 widths beyond the extreme nodes with a spacing of at most width / 2, so its trapezoid integral
    is 1 to rounding.
    """
    used = nodes[weights > 0]
    lo, hi = float(used.min()), float(used.max())
    if width is None:
        width = relative_width(nodes, weights, rel_width)
    if width <= 0:
        raise ValueError(f"the density's Gaussian width must be positive, got {width}")
    lo, hi = lo - 6 * width, hi + 6 * width
    n = max(n_grid, math.ceil(2 * (hi - lo) / width) + 1)
    if n > MAX_GRID:
        raise ValueError(f"width {width:.3g} needs {n} grid points over [{lo:.3g}, {hi:.3g}]; "
                         "pass a larger width")
    grid = np.linspace(lo, hi, n)
    density = np.zeros(n)
    for node_run, weight_run in zip(nodes, weights):
        for node, weight in zip(node_run, weight_run):
            a, b = np.searchsorted(grid, [node - 9 * width, node + 9 * width])
            density[a:b] += weight * np.exp(-0.5 * ((grid[a:b] - node) / width) ** 2)
    density /= len(nodes) * width * math.sqrt(2 * math.pi)
    return grid, density, width


def spectral_density(op: Operator, runs: int = DEFAULT_RUNS, steps: int = 100, seed: int = 0,
                     width: float | None = None, n_grid: int = 10_000,
                     rel_width: float = REL_WIDTH) -> SpectralDensity:
    """The SLQ spectral density of the operator, smoothed on a grid (see `gaussian_density`)."""
    start = time.perf_counter()
    nodes, weights, n_hvp = quadrature(op, runs, steps, seed)
    grid, density, width = gaussian_density(nodes, weights, width, n_grid, rel_width)
    return SpectralDensity(grid, density, nodes, weights, width, n_hvp, time.perf_counter() - start)
