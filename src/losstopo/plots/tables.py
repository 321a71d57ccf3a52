"""Plots of aggregated tables: correlations with intervals, the findings table, metrics against a sweep."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

LABELS = {
    "n_saddles": "#saddles", "n_minima": "#minima", "avg_persistence": "avg. persistence", "smad": "SMAD",
    "smad_normalised": "SMAD / loss range",
    "top_eigenvalue": r"top-1 eigenvalue $\lambda_1$", "trace": "Hessian trace",
    "rel_l2_error": "rel. L2 error", "mean_abs_error": "absolute error",
}


def plot_correlations(ax: Axes, correlations: pd.DataFrame) -> None:
    """Spearman rho of every (TDA metric, ML metric) row with its bootstrap interval as an error bar; filled
    where the BH-adjusted p is below 0.05, open otherwise; a grey x marks the partial rho of curvature
    controlling for the final loss. Rows that are undefined (a constant metric) are labelled n/a."""
    frame = correlations.reset_index(drop=True)
    y = np.arange(len(frame))[::-1]
    ax.axvline(0, color="0.6", lw=0.8)
    rho, low, high = (frame[c].to_numpy(dtype=float) for c in ("spearman_rho", "ci_low", "ci_high"))
    p_bh = frame["p_bh"].to_numpy(dtype=float) if "p_bh" in frame else np.full(len(frame), np.nan)
    significant = p_bh < 0.05
    for keep, face in ((significant, "tab:blue"), (~significant, "white")):
        shown = keep & np.isfinite(rho)
        ax.errorbar(rho[shown], y[shown], xerr=np.abs(np.vstack([rho - low, high - rho])[:, shown]),
                    fmt="o", ms=4, color="tab:blue", mfc=face, capsize=2, lw=1)
    if "partial_rho" in frame:
        ax.plot(frame["partial_rho"].to_numpy(dtype=float), y, "x", color="0.35", ms=5)
    for yi in y[~np.isfinite(rho)]:
        ax.text(0, yi, "n/a", ha="center", va="center", fontsize=6, color="0.4")
    labels = [f"{_named(r.tda_metric, r.tda_aliases)} ~ {_named(r.ml_metric, r.ml_aliases)}"
              for r in frame.itertuples()]
    ax.set_yticks(y, labels, fontsize=6)
    ax.set_xlim(-1.05, 1.05)
    ax.set_ylim(-0.7, len(frame) - 0.3)
    ax.set_xlabel(r"Spearman $\rho$ (95% bootstrap interval)", fontsize=7)
    ax.tick_params(axis="x", labelsize=7)
    tda = frame["tda_metric"].to_numpy()
    for boundary in np.flatnonzero(tda[1:] != tda[:-1]):
        ax.axhline(y[boundary] - 0.5, color="0.85", lw=0.6)


def _named(metric: str, aliases: object) -> str:
    """A metric's label, with the metrics it stands for (its aliases, "-" for a reversed one) in brackets."""
    others = [a for a in str(aliases).split(";") if a] if isinstance(aliases, str) else []
    named = [("-" if a.startswith("-") else "") + LABELS.get(a.lstrip("-"), a.lstrip("-")) for a in others]
    return LABELS.get(metric, metric) + (f" [={', '.join(named)}]" if named else "")


VERDICT_COLOURS = {"supported": "#b7e1b0", "contradicted": "#f4b6b6", "inconclusive": "#e4e4e4"}


def findings_height(frame: pd.DataFrame) -> float:
    """The height in inches of a figure that `plot_findings` fills with this table."""
    return 0.8 + 0.22 * (len(frame) + 1)


def plot_findings(ax: Axes, frame: pd.DataFrame) -> None:
    """The findings table (findings.csv) in an axes: one row per claim (and kind), its statistic with the
    interval, n and the verdict cell coloured (green supported, red contradicted, grey inconclusive)."""
    def number(value: float) -> str:
        return "n/a" if not np.isfinite(value) else f"{value:.2f}"

    header = ["id", "claim", "kind", "statistic", "value [95% interval]", "n", "expected", "verdict"]
    cells = [[r.id, r.claim, r.kind if isinstance(r.kind, str) else "",
              r.statistic if isinstance(r.statistic, str) else "",
              f"{number(r.value)} [{number(r.ci_low)}, {number(r.ci_high)}]", f"{int(r.n)}", r.expected,
              r.verdict]
             for r in frame.itertuples()]
    ax.axis("off")
    grid = ax.table(cellText=cells, colLabels=header, loc="upper center", cellLoc="left",
                    colWidths=[0.04, 0.47, 0.06, 0.11, 0.14, 0.04, 0.06, 0.08])
    grid.auto_set_font_size(False)
    grid.set_fontsize(7)
    for (row, _), cell in grid.get_celld().items():
        cell.set_height(1.0 / (len(cells) + 1))
        cell.set_linewidth(0.3)
        if row == 0:
            cell.get_text().set_fontweight("bold")
    for i, result in enumerate(frame["verdict"], start=1):
        grid[i, header.index("verdict")].set_facecolor(VERDICT_COLOURS.get(result, "white"))
    counts = frame["verdict"].value_counts()
    ax.set_title("Findings: the papers' claims tested on this run ("
                 + ", ".join(f"{counts.get(v, 0)} {v}" for v in VERDICT_COLOURS) + ")", fontsize=9)


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
