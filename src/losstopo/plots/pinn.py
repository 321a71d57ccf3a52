"""PINN plots drawn onto given Axes: the error heat map over the sweep and the solution u(x, t)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.colors import LogNorm


def plot_error_heatmap(ax: Axes, runs: pd.DataFrame, error: str = "rel_l2_error") -> pd.DataFrame:
    """Heat map of the seed-mean `error` over beta (columns) x learning rate (rows), each cell annotated with
    its mean and the range over seeds; returns the table of means."""
    grouped = runs.groupby(["lr", "beta"])[error]
    table = grouped.mean().unstack("beta").sort_index(ascending=False)
    low = grouped.min().unstack("beta").reindex_like(table).to_numpy()
    high = grouped.max().unstack("beta").reindex_like(table).to_numpy()
    notes = np.vectorize(lambda m, lo, hi: f"{m:.2g}\n[{lo:.2g}, {hi:.2g}]")(table.to_numpy(), low, high)
    positive = table.to_numpy()[np.isfinite(table.to_numpy()) & (table.to_numpy() > 0)]
    norm = LogNorm(vmin=positive.min(), vmax=positive.max()) if positive.size else None
    sns.heatmap(table, ax=ax, annot=notes, fmt="", cmap="magma_r", norm=norm, annot_kws={"fontsize": 7},
                cbar_kws={"label": f"mean {error.replace('_', ' ')} over seeds [min, max]"})
    ax.set_xlabel(r"wave speed $\beta$")
    ax.set_ylabel("learning rate")
    ax.set_xticklabels([f"{float(b):g}" for b in table.columns])
    ax.set_yticklabels([f"{float(lr):g}" for lr in table.index], rotation=0)
    return table


def plot_solution(ax: Axes, x: np.ndarray, t: np.ndarray, u: np.ndarray, title: str = "") -> object:
    """u(x, t) as an image with t on the horizontal axis and x vertical, as in Krishnapriyan et al."""
    image = ax.pcolormesh(t, x, u.T, cmap="RdBu_r", vmin=-1.05, vmax=1.05, shading="auto", rasterized=True)
    ax.set_xlabel("t")
    ax.set_ylabel("x")
    ax.set_title(title, fontsize=9)
    return image
