"""Plots of aggregated tables: correlation heat maps and metric-vs-parameter panels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes

LABELS = {
    "n_saddles": "#saddles", "n_minima": "#minima", "avg_persistence": "avg. persistence",
    "top_eigenvalue": r"top-1 eigenvalue $\lambda_1$", "trace": "Hessian trace",
    "rel_l2_error": "rel. L2 error", "mean_abs_error": "absolute error",
}


def plot_correlations(ax: Axes, correlations: pd.DataFrame) -> None:
    """Heat map of Spearman rho, TDA metrics (rows) x ML metrics (columns), annotated with p-values."""
    rho = correlations.pivot(index="tda_metric", columns="ml_metric", values="spearman_rho")
    p = correlations.pivot(index="tda_metric", columns="ml_metric", values="p_value")
    labels = np.vectorize(lambda r, q: "n/a" if np.isnan(r) else f"{r:.2f}\n(p={q:.2g})")(rho.to_numpy(), p.to_numpy())
    sns.heatmap(rho, ax=ax, vmin=-1, vmax=1, cmap="RdBu_r", annot=labels, fmt="", annot_kws={"fontsize": 7},
                cbar_kws={"label": r"Spearman $\rho$"})
    ax.set_xticklabels([LABELS.get(t.get_text(), t.get_text()) for t in ax.get_xticklabels()], rotation=30, ha="right")
    ax.set_yticklabels([LABELS.get(t.get_text(), t.get_text()) for t in ax.get_yticklabels()], rotation=0)
    ax.set_xlabel("")
    ax.set_ylabel("")


def plot_metric_against(ax: Axes, x: pd.Series, tda: pd.Series, ml: pd.Series, tda_label: str, ml_label: str,
                        log_ml: bool = False) -> None:
    """A TDA metric (left axis, blue) and an ML metric (right axis, orange) against one parameter."""
    ax.plot(x, tda, "o-", color="tab:blue")
    ax.set_ylabel(tda_label, color="tab:blue")
    twin = ax.twinx()
    twin.plot(x, ml, "s--", color="tab:orange")
    twin.set_ylabel(ml_label, color="tab:orange")
    if log_ml and (ml > 0).all():
        twin.set_yscale("log")
