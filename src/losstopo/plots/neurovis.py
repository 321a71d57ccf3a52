"""Neuro-Visualizer figures drawn onto given Axes: a decoded-grid landscape (log contours of one loss term)
with the trajectory models on top, coloured by their true loss (so point and contour colours should
agree where the view is faithful), by their loss error or projection error; and a CKA-density variant."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm, Normalize

from losstopo.neurovis.result import ProjectionResult
from losstopo.plots.landscape import log_levels, plot_contour

COLOURINGS = ("loss", "loss_error", "projection_error", "density")
MARKERS = ("o", "s", "^", "D", "v", "P", "X", "<", ">", "h")
AXIS_LABELS = {"nv": ("$z_1$", "$z_2$"), "pca": ("PC1", "PC2"), "kpca": ("kernel PC1", "kernel PC2"),
               "umap": ("UMAP 1", "UMAP 2")}
METHOD_NAMES = {"nv": "Neuro-Visualizer", "pca": "PCA", "kpca": "kernel PCA", "umap": "UMAP"}


def axis_labels(result: ProjectionResult) -> tuple[str, str]:
    """Axis names of a method's plane (PCA's with their explained variance)."""
    x, y = AXIS_LABELS.get(result.method, ("dim 1", "dim 2"))
    variance = result.info.get("explained_variance")
    if variance is not None:
        x, y = f"{x} ({100 * variance[0]:.1f}%)", f"{y} ({100 * variance[1]:.1f}%)"
    return x, y


def point_values(result: ProjectionResult, colour: str, term: str = "loss") -> np.ndarray:
    """The per-model values a colouring shows: true loss, |L(m) - L(rec m)|, or ||m - rec m||."""
    if colour == "loss":
        return result.true_terms[term]
    if colour == "loss_error":
        return np.abs(result.true_terms[term] - result.rec_terms[term])
    if colour == "projection_error":
        return result.proj_errors
    raise ValueError(f"unknown point colouring {colour!r}; choose one of {COLOURINGS[:3]}")


def plot_trajectories(ax: Axes, result: ProjectionResult, values: np.ndarray | None = None, *, norm=None,
                      cmap: str = "viridis", line_colour: str = "white", legend: bool = True):
    """Each trajectory as a line with markers (one marker shape per trajectory), the first model with a
    thick border; markers filled by `values` on `norm`/`cmap` when given. Returns the last scatter."""
    scatter = None
    for k, (label, start, stop) in enumerate(zip(result.labels, np.cumsum((0,) + result.lengths[:-1]),
                                                 np.cumsum(result.lengths))):
        xy = result.coords[start:stop]
        marker = MARKERS[k % len(MARKERS)]
        ax.plot(xy[:, 0], xy[:, 1], "-", color=line_colour, lw=0.8, alpha=0.8, zorder=3)
        fill = values[start:stop] if values is not None else line_colour
        scatter = ax.scatter(xy[:, 0], xy[:, 1], c=fill, norm=norm if values is not None else None,
                             cmap=cmap if values is not None else None, marker=marker, s=22, edgecolors="k",
                             linewidths=0.4, zorder=4, label=label)
        ax.scatter(xy[:1, 0], xy[:1, 1], s=70, marker=marker, facecolors="none", edgecolors="k",
                   linewidths=1.8, zorder=5)
    if legend and len(result.labels) > 1:
        ax.legend(fontsize=7, loc="upper left", framealpha=0.7)
    return scatter


def plot_projection_landscape(ax: Axes, result: ProjectionResult, *, term: str = "loss", colour: str = "loss",
                              levels: int | np.ndarray = 30, cmap: str = "viridis", colorbar: bool = True,
                              title: str | None = None, legend: bool = True) -> None:
    """Contours of loss term `term` on the method's grid (log-spaced unless the term takes values <= 0,
    e.g. an energy), with the trajectory models on top."""
    if term not in result.terms:
        raise ValueError(f"loss term {term!r} not in this result; it has {sorted(result.terms)}")
    if np.isscalar(levels):
        levels = shared_levels([result], term, int(levels))
    log = bool(levels[0] > 0)
    plot_contour(ax, result.axes, result.terms[term], levels=levels, log=log, cmap=cmap, colorbar=colorbar,
                 labels=axis_labels(result), title=title, colorbar_label=term)
    if colour == "loss":
        values = np.clip(result.true_terms[term], levels[0], levels[-1])
        norm = LogNorm(levels[0], levels[-1]) if log else Normalize(levels[0], levels[-1])
        plot_trajectories(ax, result, values, norm=norm, cmap=cmap, legend=legend)
        return
    values = point_values(result, colour, term)
    positive = values[values > 0]
    norm = LogNorm(positive.min(), max(positive.max(), positive.min() * 10)) if positive.size else Normalize()
    scatter = plot_trajectories(ax, result, np.clip(values, norm.vmin, None), norm=norm, cmap="hot",
                                legend=legend)
    if colorbar:
        ax.figure.colorbar(scatter, ax=ax, fraction=0.046, pad=0.12,
                           label="|loss error|" if colour == "loss_error" else "projection error")


def plot_density_landscape(ax: Axes, result: ProjectionResult, *, levels: int = 15, cmap: str = "magma",
                           colorbar: bool = True, title: str | None = None, legend: bool = True) -> None:
    """The CKA-similarity density of the decoded grid (paper N eq. 5) with the trajectory models on top."""
    if result.density is None:
        raise ValueError("this result has no density; rerun the neurovis rule with neurovis.density: true")
    plot_contour(ax, result.axes, result.density, levels=levels, log=False, cmap=cmap, colorbar=colorbar,
                 labels=axis_labels(result), title=title, colorbar_label="CKA density")
    plot_trajectories(ax, result, line_colour="white", legend=legend)


def shared_levels(results: Sequence[ProjectionResult], term: str, n: int = 30) -> np.ndarray:
    """Levels spanning `term` over every result's grid and models, to scale several panels equally: log-spaced,
    or linear when the term takes values <= 0."""
    values = np.concatenate([np.concatenate([r.terms[term].ravel(), r.true_terms[term]]) for r in results])
    finite = values[np.isfinite(values)]
    if finite.size and finite.min() <= 0:
        return np.linspace(finite.min(), max(finite.max(), finite.min() + 1e-12), n)
    return log_levels(values, n)
