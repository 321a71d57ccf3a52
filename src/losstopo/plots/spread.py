"""Metrics over several models drawn with their spread: the seed mean with error bars, every model faint.

A claim about a trend rests on more than one seed; these draw the mean over the models of each setting
with bars from the smallest to the largest value (n is small, so the range says more than a standard
error), and each model as a small point beside it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes


def seed_summary(table: pd.DataFrame, by: str, column: str) -> pd.DataFrame:
    """Per value of `by`: mean, min, max and n of the finite values of `column`."""
    finite = table[[by, column]].replace([np.inf, -np.inf], np.nan).dropna()
    return finite.groupby(by)[column].agg(["mean", "min", "max", "count"]).sort_index()


def plot_spread(ax: Axes, table: pd.DataFrame, by: str, column: str, colour: str, marker: str = "o",
                log: bool = False) -> pd.DataFrame:
    """Mean of `column` over the models of each `by` value, bars from min to max, each model faint."""
    summary = seed_summary(table, by, column)
    ax.errorbar(summary.index, summary["mean"],
                yerr=[summary["mean"] - summary["min"], summary["max"] - summary["mean"]],
                fmt=f"{marker}-", color=colour, capsize=3, lw=1.2, ms=4)
    ax.scatter(table[by], table[column], color=colour, alpha=0.3, s=10, lw=0)
    if log and (table[column] > 0).all():
        ax.set_yscale("log")
    return summary


def plot_spread_against(ax: Axes, table: pd.DataFrame, by: str, tda: str, ml: str, tda_label: str,
                        ml_label: str, log_ml: bool = False) -> None:
    """A TDA metric (left axis, blue) and an ML metric (right axis, orange) against `by`, each with its
    spread over the models of each setting."""
    plot_spread(ax, table, by, tda, "tab:blue")
    ax.set_ylabel(tda_label, color="tab:blue")
    twin = ax.twinx()
    plot_spread(twin, table, by, ml, "tab:orange", marker="s", log=log_ml)
    twin.set_ylabel(ml_label, color="tab:orange")


def plot_group_means(ax: Axes, table: pd.DataFrame, group: str, x: str, y: str, colours: dict[str, str]) -> None:
    """Per group (e.g. variant): the mean of (x, y) over its models with bars from min to max on both."""
    for name, rows in table.groupby(group, sort=False):
        mx, my = rows[x].mean(), rows[y].mean()
        ax.errorbar(mx, my, xerr=[[mx - rows[x].min()], [rows[x].max() - mx]],
                    yerr=[[my - rows[y].min()], [rows[y].max() - my]], fmt="D", color=colours.get(name),
                    ms=7, capsize=3, mfc="white", mew=1.5)
