"""Landscape figures drawn onto given matplotlib Axes: log-level contours, 3-D surfaces, centre slices
of 3-D/4-D grids and trajectory overlays for PCA directions; and the landscape stage's figure file
(`draw_landscape_report`), which the workflow, the CLI and `Analysis.save` write beside its data.

Grids follow the engine's convention: `values[i, j]` sits at (axes[0][i], axes[1][j]), so direction 0
runs along the horizontal axis. Non-finite values are left blank, never filled in.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm, Normalize
from matplotlib.contour import QuadContourSet
from matplotlib.ticker import LogFormatterSciNotation, NullFormatter

if TYPE_CHECKING:  # both import torch; drawing needs only their arrays
    from losstopo.landscape import Directions
    from losstopo.stages.landscape import LandscapeReport


def log_levels(values: np.ndarray, n: int = 30) -> np.ndarray:
    """`n` log-spaced contour levels from the smallest positive to the largest finite value."""
    finite = np.asarray(values, dtype=float)[np.isfinite(values)]
    positive = finite[finite > 0]
    if positive.size == 0:
        raise ValueError("log-spaced levels need at least one positive finite value")
    lo, hi = positive.min(), positive.max()
    if hi <= lo:
        hi = lo * 10
    return np.geomspace(lo, hi, n)


def _log_ticks(lo: float, hi: float) -> list[float]:
    """1, 2, 5 times powers of ten between lo and hi (the decades alone when there are many)."""
    decades = range(int(np.floor(np.log10(lo))), int(np.ceil(np.log10(hi))) + 1)
    subs = (1.0,) if len(decades) > 4 else (1.0, 2.0, 5.0)
    return [m * 10.0**e for e in decades for m in subs if lo <= m * 10.0**e <= hi]


def _style(ax: Axes, labels: Sequence[str], title: str | None) -> None:
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    ax.set_aspect("equal", adjustable="box")
    if title is not None:
        ax.set_title(title)


def plot_contour(
    ax: Axes,
    axes: Sequence[np.ndarray],
    values: np.ndarray,
    *,
    levels: int | np.ndarray = 30,
    log: bool = True,
    cmap: str = "viridis",
    colorbar: bool = True,
    lines: bool = True,
    labels: Sequence[str] = (r"$\alpha_1$", r"$\alpha_2$"),
    title: str | None = None,
    colorbar_label: str = "loss",
) -> QuadContourSet:
    """Filled contours of a 2-D landscape (log-spaced levels by default) with thin level lines."""
    values = np.asarray(values, dtype=float)
    if values.shape != (len(axes[0]), len(axes[1])):
        raise ValueError(f"values {values.shape} do not match the axes {(len(axes[0]), len(axes[1]))}")
    if np.isscalar(levels):
        if log:
            levels = log_levels(values, int(levels))
        else:
            finite = values[np.isfinite(values)]
            levels = np.linspace(finite.min(), finite.max(), int(levels))
    norm = LogNorm(levels[0], levels[-1]) if log else Normalize(levels[0], levels[-1])
    shown = np.ma.masked_invalid(np.clip(values, levels[0], levels[-1]) if log else values).T
    filled = ax.contourf(axes[0], axes[1], shown, levels=levels, norm=norm, cmap=cmap)
    if lines:
        ax.contour(axes[0], axes[1], shown, levels=levels[::3], norm=norm, colors="k", linewidths=0.3,
                   alpha=0.5)
    if colorbar:
        bar = ax.figure.colorbar(filled, ax=ax, fraction=0.046, pad=0.04)
        if log:  # 1-2-5 ticks inside the range, so a bar spanning less than a decade still reads
            bar.set_ticks(_log_ticks(levels[0], levels[-1]))
            bar.ax.yaxis.set_major_formatter(LogFormatterSciNotation(labelOnlyBase=False))
            bar.ax.yaxis.set_minor_formatter(NullFormatter())
        bar.set_label(colorbar_label)
    _style(ax, labels, title)
    return filled


def plot_surface(
    ax: Axes,
    axes: Sequence[np.ndarray],
    values: np.ndarray,
    *,
    log: bool = True,
    cmap: str = "viridis",
    labels: Sequence[str] = (r"$\alpha_1$", r"$\alpha_2$"),
    title: str | None = None,
):
    """A 3-D surface of a 2-D landscape on a 3-D Axes (`projection="3d"`), log10 heights by default."""
    if not hasattr(ax, "plot_surface"):
        raise TypeError("plot_surface needs a 3-D Axes: fig.add_subplot(projection='3d')")
    values = np.asarray(values, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        heights = np.log10(values) if log else values
    heights = np.where(np.isfinite(heights), heights, np.nan)
    x, y = np.meshgrid(axes[0], axes[1], indexing="ij")
    surface = ax.plot_surface(x, y, heights, cmap=cmap, linewidth=0, antialiased=True, rcount=100, ccount=100)
    ax.set_xlabel(labels[0])
    ax.set_ylabel(labels[1])
    ax.set_zlabel(r"$\log_{10}$ loss" if log else "loss")
    if title is not None:
        ax.set_title(title)
    return surface


def center_slice(values: np.ndarray, i: int, j: int) -> np.ndarray:
    """The 2-D slice of an N-D grid along axes i and j through the centre of every other axis."""
    index = tuple(slice(None) if k in (i, j) else n // 2 for k, n in enumerate(values.shape))
    plane = values[index]
    return plane if i < j else plane.T


def plot_center_slices(
    axs: Sequence[Axes],
    axes: Sequence[np.ndarray],
    values: np.ndarray,
    *,
    levels: int = 30,
    log: bool = True,
    cmap: str = "viridis",
    colorbar: bool = True,
) -> list[QuadContourSet]:
    """Contours of every axis pair's centre slice of a 3-D / 4-D landscape, on shared levels.

    `axs` holds one Axes per pair (3 for 3-D, 6 for 4-D), in the order (0,1), (0,2), ..., (2,3).
    """
    pairs = list(combinations(range(values.ndim), 2))
    if len(axs) != len(pairs):
        raise ValueError(f"a {values.ndim}-D landscape has {len(pairs)} axis pairs; got {len(axs)} Axes")
    slices = [center_slice(values, i, j) for i, j in pairs]
    every = np.concatenate([s.ravel() for s in slices])
    finite = every[np.isfinite(every)]
    shared = log_levels(every, levels) if log else np.linspace(finite.min(), finite.max(), levels)
    out = []
    for ax, (i, j), plane in zip(axs, pairs, slices):
        out.append(plot_contour(ax, (axes[i], axes[j]), plane, levels=shared, log=log, cmap=cmap,
                                colorbar=colorbar, labels=(rf"$\alpha_{i + 1}$", rf"$\alpha_{j + 1}$"),
                                title=f"directions {i + 1}, {j + 1}"))
    return out


def plot_trajectory(
    ax: Axes,
    coords: np.ndarray,
    *,
    explained_variance: np.ndarray | None = None,
    color: str = "white",
    label: str | None = "trajectory",
) -> None:
    """Overlay a trajectory's PCA coordinates [K, 2] (start circle, final star), labelling the axes
    with the explained variance when given."""
    coords = np.asarray(coords, dtype=float)
    if coords.ndim != 2 or coords.shape[1] < 2:
        raise ValueError(f"trajectory coordinates must be [K, >=2], got {coords.shape}")
    ax.plot(coords[:, 0], coords[:, 1], "-", color=color, lw=1.0, label=label)
    ax.plot(coords[:, 0], coords[:, 1], ".", color=color, ms=3)
    ax.plot(coords[0, 0], coords[0, 1], "o", mfc="none", mec=color, ms=6)
    ax.plot(coords[-1, 0], coords[-1, 1], "*", color=color, mec="k", mew=0.4, ms=10)
    if explained_variance is not None:
        ax.set_xlabel(f"PC1 ({100 * explained_variance[0]:.1f}%)")
        ax.set_ylabel(f"PC2 ({100 * explained_variance[1]:.1f}%)")


def draw_landscape_report(path: str | Path, report: LandscapeReport, title: str) -> None:
    """The landscape stage's figure: the landscape, or a message naming its status when no loss is finite."""
    if np.isfinite(report.loss).any():
        draw_landscape(path, report.axes, report.loss, report.directions, title)
    else:
        draw_message(path, f"{title}: no finite loss ({report.meta.get('status', 'not finite')})")


def draw_message(path: str | Path, message: str) -> None:
    """A figure that only says why there is nothing to draw."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 2))
    ax.text(0.5, 0.5, message, ha="center", va="center", wrap=True)
    ax.set_axis_off()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def draw_landscape(
    path: str | Path, axes: tuple[np.ndarray, ...], loss: np.ndarray, directions: Directions, title: str
) -> None:
    """Contour and surface of a 2-D landscape (with the trajectory for PCA), centre slices otherwise."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    dim = loss.ndim
    if dim == 2:
        fig = plt.figure(figsize=(10, 4.2))
        ax = fig.add_subplot(1, 2, 1)
        plot_contour(ax, axes, loss)
        if directions.trajectory_coords is not None:
            plot_trajectory(
                ax, directions.trajectory_coords, explained_variance=directions.explained_variance
            )
        labels = ("PC1", "PC2") if directions.kind == "pca" else (r"$\alpha_1$", r"$\alpha_2$")
        plot_surface(fig.add_subplot(1, 2, 2, projection="3d"), axes, loss, labels=labels)
        # a fixed layout: tight_layout would draw the 3-D axes twice
        fig.subplots_adjust(left=0.07, right=0.97, bottom=0.12, top=0.88, wspace=0.12)
    else:
        n_pairs = dim * (dim - 1) // 2
        cols = 3
        n_rows = (n_pairs + cols - 1) // cols
        fig, axs = plt.subplots(n_rows, cols, figsize=(4.2 * cols, 3.8 * n_rows))
        plot_center_slices(list(np.ravel(axs))[:n_pairs], axes, loss)
        fig.tight_layout(rect=(0, 0, 1, 0.95))
    fig.suptitle(title)
    fig.savefig(path, dpi=150)
    plt.close(fig)
