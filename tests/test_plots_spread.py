"""Spread over seeds in the figures: the summary each error bar draws, against a naive loop."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from losstopo.plots.pinn import plot_error_heatmap
from losstopo.plots.spread import plot_spread_against, seed_summary


def table() -> pd.DataFrame:
    rows = [{"beta": b, "lr": lr, "seed": s, "m": b * 10 + s * (1 if b < 5 else -2) + lr, "rel_l2_error": 0.01 * b + s}
            for b in (1, 5, 9) for lr in (0.1, 1.0) for s in (0, 1, 2)]
    rows.append({"beta": 9, "lr": 1.0, "seed": 3, "m": np.inf, "rel_l2_error": np.nan})  # a diverged model
    return pd.DataFrame(rows)


def test_seed_summary_equals_a_loop_and_skips_non_finite_models():
    data = table()
    summary = seed_summary(data, "beta", "m")
    for beta, row in summary.iterrows():
        values = [v for b, v in zip(data["beta"], data["m"]) if b == beta and np.isfinite(v)]
        assert (row["mean"], row["min"], row["max"], row["count"]) == (np.mean(values), min(values), max(values),
                                                                        len(values))
    assert summary.loc[9, "count"] == 6


def test_error_bars_span_min_to_max():
    fig, ax = plt.subplots()
    plot_spread_against(ax, table(), "beta", "m", "rel_l2_error", "m", "error")
    bars = ax.containers[0]
    lines = bars.lines[2][0].get_segments()
    summary = seed_summary(table(), "beta", "m")
    np.testing.assert_allclose([seg[:, 1] for seg in lines], summary[["min", "max"]].to_numpy())
    plt.close(fig)


def test_heatmap_cells_name_mean_and_range():
    fig, ax = plt.subplots()
    means = plot_error_heatmap(ax, table())
    texts = [t.get_text() for t in ax.texts]
    assert means.loc[1.0, 9] == np.mean([0.09, 1.09, 2.09])
    assert "1.1\n[0.09, 2.1]" in texts
    plt.close(fig)
