"""Topology plots drawn onto given Axes: landscape profiles, merge trees and persistence diagrams; and the
topology stage's figure file (`draw_topology`).

Colours follow paper P: minima are red dots, saddles orange dots, and the profile is filled with a
colour ramp of the loss. With `log_scale=True` the loss axis is logarithmic (losses must be positive).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.cm import ScalarMappable
from matplotlib.collections import LineCollection
from matplotlib.colors import LogNorm, Normalize
from matplotlib.patches import Polygon
from matplotlib.ticker import FormatStrFormatter, LogLocator, NullFormatter

from losstopo.topology import (
    MINIMUM,
    SADDLE,
    LandscapeProfile,
    LandscapeTopology,
    MergeTree,
    PersistencePairs,
    landscape_profile,
)

MINIMUM_COLOUR, SADDLE_COLOUR, ROOT_COLOUR = "tab:red", "tab:orange", "0.2"


def plot_profile(ax: Axes, source: MergeTree | LandscapeProfile | LandscapeTopology, *, cmap: str = "viridis",
                 log_scale: bool = False, colorbar: bool = False, critical_points: bool = True,
                 max_points: int = 20000, label: str = "loss") -> ScalarMappable:
    """The landscape profile filled with a loss colour ramp, minima and saddles as dots; returns the ramp."""
    profile = _profile_of(source)
    x, y = _decimate(profile.x, profile.y, max_points)
    norm = _norm(y, log_scale)
    floor = norm.vmin
    levels = np.geomspace(norm.vmin, norm.vmax, 257) if log_scale else np.linspace(norm.vmin, norm.vmax, 257)
    x_edges = np.array([np.floor(x[0]), np.ceil(x[-1])])
    ramp = ax.pcolormesh(x_edges, levels, levels[:-1, None], cmap=cmap, norm=norm, shading="flat",
                         rasterized=True)
    outline = np.column_stack([np.r_[x_edges[0], x, x_edges[1]], np.r_[y[0], y, y[-1]]])
    shape = Polygon(np.vstack([outline, [[x_edges[1], floor], [x_edges[0], floor]]]), closed=True,
                    facecolor="none", edgecolor="none", transform=ax.transData)
    ax.add_patch(shape)
    ramp.set_clip_path(shape)
    ax.plot(outline[:, 0], outline[:, 1], color="0.15", linewidth=0.6)
    if critical_points:
        ax.scatter(profile.saddles_x, profile.saddles_y, s=10, color=SADDLE_COLOUR, zorder=3,
                   edgecolors="none", label="saddles")
        ax.scatter(profile.minima_x, profile.minima_y, s=10, color=MINIMUM_COLOUR, zorder=4,
                   edgecolors="none", label="minima")
    if log_scale:
        _log_axis(ax, "y", norm)
    ax.set_xlim(x_edges)
    ax.set_ylim(floor, norm.vmax)
    ax.set_xlabel("basin width (landscape points)")
    ax.set_ylabel(label)
    if colorbar:
        _colorbar(ax, ramp, label, log_scale)
    return ramp


def plot_merge_tree(ax: Axes, source: MergeTree | LandscapeTopology, *, log_scale: bool = False,
                    label: str = "loss", color_arcs: bool = True, cmap: str = "viridis",
                    colorbar: bool = False) -> ScalarMappable:
    """The merge tree as a dendrogram: minima at the bottom in profile order, arcs rising to saddles."""
    tree = source.tree if isinstance(source, LandscapeTopology) else source
    x = _dendrogram_x(tree)
    y = tree.node_value
    norm = _norm(y, log_scale)
    arcs = tree.arcs
    segments = [[(x[a], y[a]), (x[a], y[p]), (x[p], y[p])] for a, p in arcs]
    lines = LineCollection(segments, linewidths=1.0, cmap=cmap, norm=norm)
    if color_arcs:
        lines.set_array(0.5 * (y[arcs[:, 0]] + y[arcs[:, 1]]))
    else:
        lines.set_color("0.3")
    ax.add_collection(lines)
    for kind, colour, name in ((SADDLE, SADDLE_COLOUR, "saddles"), (MINIMUM, MINIMUM_COLOUR, "minima")):
        pick = tree.node_kind == kind
        ax.scatter(x[pick], y[pick], s=12, color=colour, zorder=3, edgecolors="none", label=name)
    roots = tree.node_parent < 0
    ax.scatter(x[roots], y[roots], s=14, marker="s", color=ROOT_COLOUR, zorder=3, label="root")
    if log_scale:
        _log_axis(ax, "y", norm)
    ax.set_xlim(x.min() - 0.5, x.max() + 0.5)
    ax.set_ylim(*_padded(y, log_scale))
    ax.set_xticks([])
    ax.set_xlabel("minima")
    ax.set_ylabel(label)
    if colorbar and color_arcs:
        _colorbar(ax, lines, label, log_scale)
    return lines


def plot_persistence_diagram(ax: Axes, source: PersistencePairs | LandscapeTopology, *,
                             log_scale: bool = False, label: str = "loss", cmap: str | None = None,
                             colorbar: bool = False) -> ScalarMappable | None:
    """Death against birth of each pair over the diagonal; the essential pair as a triangle at the top."""
    pairs = source.pairs if isinstance(source, LandscapeTopology) else source
    finite = pairs.finite()
    values = np.r_[pairs.birth, pairs.death]
    low, high = _padded(values, log_scale)
    ax.plot([low, high], [low, high], color="0.5", linewidth=0.8, linestyle="--", zorder=1)
    colour = finite.persistence if cmap else MINIMUM_COLOUR
    points = ax.scatter(finite.birth, finite.death, s=12, c=colour, cmap=cmap, zorder=3,
                        edgecolors="none", label="pairs")
    essential = pairs.essential
    ax.scatter(pairs.birth[essential], pairs.death[essential], s=30, marker="^", color=ROOT_COLOUR,
               zorder=3, label="essential (closed at max)")
    if log_scale:
        for which in "xy":
            _log_axis(ax, which, _norm(values, log_scale))
    ax.set_xlim(low, high)
    ax.set_ylim(low, high)
    ax.set_aspect("equal", adjustable="box")
    ax.set_xlabel(f"birth ({label} at minimum)")
    ax.set_ylabel(f"death ({label} at saddle)")
    if colorbar and cmap:
        ax.figure.colorbar(points, ax=ax, label="persistence")
    return points if cmap else None


def draw_topology(path: str | Path, topology: LandscapeTopology) -> None:
    """Merge tree, persistence diagram and landscape profile side by side."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axs = plt.subplots(1, 3, figsize=(13, 3.8), layout="constrained")
    plot_merge_tree(axs[0], topology)
    plot_persistence_diagram(axs[1], topology)
    plot_profile(axs[2], topology)
    fig.savefig(path, dpi=150)
    plt.close(fig)


def _profile_of(source: MergeTree | LandscapeProfile | LandscapeTopology) -> LandscapeProfile:
    """The profile held by, or drawn from, `source`."""
    if isinstance(source, LandscapeTopology):
        return source.profile
    return source if isinstance(source, LandscapeProfile) else landscape_profile(source)


def _norm(values: np.ndarray, log_scale: bool) -> Normalize:
    """A colour and axis range for `values`, logarithmic if asked (then they must be positive)."""
    low, high = float(np.min(values)), float(np.max(values))
    if log_scale:
        if low <= 0:
            raise ValueError(f"log scale needs positive losses, but the smallest is {low:g}; "
                             "use log_scale=False")
        return LogNorm(vmin=low, vmax=high if high > low else low * 10)
    return Normalize(vmin=low, vmax=high if high > low else low + 1)


def _colorbar(ax: Axes, mappable: ScalarMappable, label: str, log_scale: bool) -> None:
    """A colourbar beside `ax`, labelled like the loss axis."""
    bar = ax.figure.colorbar(mappable, ax=ax, label=label)
    if log_scale:
        _log_axis(bar.ax, "y", mappable.norm)


def _log_axis(ax: Axes, which: str, norm: Normalize) -> None:
    """Axis `which` ("x" or "y") in log scale, labelled in plain numbers, also at 2 and 5 when narrow."""
    getattr(ax, f"set_{which}scale")("log")
    axis = getattr(ax, f"{which}axis")
    axis.set_major_formatter(FormatStrFormatter("%.3g"))
    axis.set_minor_locator(LogLocator(subs=(2.0, 5.0)))
    narrow = np.log10(norm.vmax / norm.vmin) < 1.5
    axis.set_minor_formatter(FormatStrFormatter("%.3g") if narrow else NullFormatter())


def _padded(values: np.ndarray, log_scale: bool) -> tuple[float, float]:
    """Axis limits a little wider than the values, in log or linear space."""
    norm = _norm(values, log_scale)
    if log_scale:
        span = np.log10(norm.vmax / norm.vmin)
        return norm.vmin / 10 ** (0.05 * span), norm.vmax * 10 ** (0.05 * span)
    span = norm.vmax - norm.vmin
    return norm.vmin - 0.05 * span, norm.vmax + 0.05 * span


def _dendrogram_x(tree: MergeTree) -> np.ndarray:
    """Horizontal node positions: minima evenly spaced in profile order, others amid their children."""
    x = np.zeros(len(tree.node_vertex))
    leaves = tree.branch_node[np.argsort(landscape_profile(tree).minima_x, kind="stable")]
    x[leaves] = np.arange(len(leaves), dtype=float)
    total = np.zeros(len(x))
    count = np.zeros(len(x))
    for node in range(len(x)):
        if count[node]:
            x[node] = total[node] / count[node]
        parent = tree.node_parent[node]
        if parent >= 0:
            total[parent] += x[node]
            count[parent] += 1
    return x


def _decimate(x: np.ndarray, y: np.ndarray, max_points: int) -> tuple[np.ndarray, np.ndarray]:
    """At most about `max_points` points of the polyline, keeping each bin's lowest and highest."""
    if len(x) <= max_points:
        return x, y
    size = -(-len(y) // max(max_points // 2, 1))
    bins = np.r_[y, np.full(-len(y) % size, np.nan)].reshape(-1, size)
    base = np.arange(len(bins)) * size
    lowest, highest = base + np.nanargmin(bins, axis=1), base + np.nanargmax(bins, axis=1)
    keep = np.unique(np.r_[0, len(y) - 1, lowest, highest])
    return x[keep], y[keep]
