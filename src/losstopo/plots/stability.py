"""The stability figure: each topology metric against the grid resolution, with the spread over draws."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from losstopo.topology.stability import METRICS

LABELS = {
    "n_minima": "#minima", "n_saddles": "#saddles", "avg_persistence": "avg. persistence",
    "total_persistence": "total persistence", "max_persistence": "max. persistence", "smad": "SMAD",
    "smad_normalised": "SMAD / loss range", "smad_weighted": "SMAD, basin-weighted",
    "max_basin_depth": "deepest basin (loss range)",
}
STYLES = {"random": "-", "hessian": "--", "pca": ":"}
COUNTS = ("n_minima", "n_saddles")


def plot_resolution(ax: Axes, table: pd.DataFrame, metric: str, colour: str, label: str) -> None:
    """One run's `metric` against the points per axis, a line per kind: the mean over draws, bars from the
    smallest to the largest draw, each draw a faint point. Counts are drawn as they are, the other metrics
    relative to the line's mean (runs differ by orders of magnitude; the spread is the point)."""
    rows = table[(table["factor"] == "resolution") & (table["metric"] == metric)]
    for kind, group in rows.groupby("kind", sort=False):
        scale = abs(group["value"].mean())
        if metric not in COUNTS and scale > 0:
            group = group.assign(value=group["value"] / scale)
        spread = group.groupby("level")["value"].agg(["mean", "min", "max"]).sort_index()
        ax.errorbar(spread.index, spread["mean"], yerr=[spread["mean"] - spread["min"], spread["max"] - spread["mean"]],
                    color=colour, linestyle=STYLES.get(kind, "-"), marker="o", markersize=3, capsize=2,
                    label=f"{label}, {kind}")
        ax.plot(group["level"], group["value"], ".", color=colour, alpha=0.3, markersize=3)


def draw_stability(runs: dict[str, pd.DataFrame]) -> Figure:
    """A panel per metric (`METRICS`), a colour per run (`runs`: label -> its stability table)."""
    cols = 3
    rows = int(np.ceil(len(METRICS) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(4.4 * cols, 2.9 * rows), layout="constrained", squeeze=False)
    colours = plt.get_cmap("tab10")
    for ax, metric in zip(axes.flat, METRICS):
        for i, (label, table) in enumerate(runs.items()):
            plot_resolution(ax, table, metric, colours(i % 10), label)
        relative = "" if metric in COUNTS else ", relative to the line's mean"
        ax.set_title(LABELS.get(metric, metric) + relative, fontsize=10)
        ax.set_xlabel("points per axis")
    for ax in axes.flat[len(METRICS):]:
        ax.axis("off")
    if runs:
        handles, labels = axes.flat[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=min(4, len(labels)), fontsize=8)
    else:
        fig.text(0.5, 0.5, "no stability runs configured", ha="center")
    fig.suptitle("Metric stability: 2-D topology metrics against the grid resolution\nmean over direction draws "
                 "(Hessian: both orientations), bars from min to max, faint points: each draw")
    return fig
