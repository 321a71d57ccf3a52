"""The Hessian eigenvalue spectral density, drawn as in PyHessian: linear eigenvalues, log density.

A density broadened by a Gaussian 1% of the spectrum's range wide (`losstopo.hessian.density`) shows
on this axis the bulk near 0 as one peak and each outlier as a bump whose area is its share 1/P; the
log density axis keeps both in view, their heights differing by about the parameter count.
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes


def plot_esd(ax: Axes, grid: np.ndarray, density: np.ndarray, *, floor: float = 1e-8,
             label: str | None = None, color: str | None = None, fill: bool = True,
             title: str | None = None, width: float | None = None) -> Axes:
    """Draw the density on `ax` with a log density axis clipped at `floor`, so outliers and bulk both show.

    Given the Gaussian `width` (std) the density was broadened with, the axes state it.
    """
    grid, density = np.asarray(grid, dtype=float), np.asarray(density, dtype=float)
    if grid.shape != density.shape or grid.ndim != 1:
        raise ValueError(f"grid and density must be 1-D of one length, got {grid.shape} and {density.shape}")
    shown = np.maximum(density, floor)
    (line,) = ax.plot(grid, shown, color=color, lw=1.2, label=label)
    if fill:
        ax.fill_between(grid, floor, shown, color=line.get_color(), alpha=0.2, lw=0)
    top, lo, hi = 10 ** np.ceil(np.log10(max(shown.max(), floor * 10))), grid[0], grid[-1]
    if len(ax.lines) > 1:  # overlaying several densities: keep every one in view
        top, (lo, hi) = max(top, ax.get_ylim()[1]), (min(lo, ax.get_xlim()[0]), max(hi, ax.get_xlim()[1]))
    ax.set_yscale("log")
    ax.set_ylim(floor, top)
    ax.set_xlim(lo, hi)
    ax.set_xlabel("eigenvalue")
    ax.set_ylabel("density (log scale)")
    ax.grid(True, which="major", alpha=0.3, lw=0.5)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if title is not None:
        ax.set_title(title)
    if width is not None:
        ax.text(0.98, 0.95, f"Gaussian std {width:.3g}", transform=ax.transAxes, ha="right", va="top",
                fontsize=7, color="0.3")
    if label is not None:
        ax.legend(frameon=False)
    return ax
