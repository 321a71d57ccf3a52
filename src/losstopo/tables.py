"""Join per-model results into one table and correlate topology with curvature and error.

One row per trained model; columns are the sweep values, the errors, the Hessian summary and, per
landscape kind, the merge-tree metrics (`<kind>_n_saddles`, ...). Paper T Sec. 3 correlates these.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

TDA_METRICS = ("n_saddles", "n_minima", "avg_persistence")
ML_METRICS = ("top_eigenvalue", "trace", "rel_l2_error", "mean_abs_error")
RUN_KEYS = ("beta", "lr", "seed", "rel_l2_error", "mean_abs_error", "rel_linf_error", "loss", "diverged",
            "converged", "iterations")


def run_row(metrics: dict[str, Any], hessian: dict[str, Any], topologies: dict[str, dict[str, Any]]) -> dict:
    """One model's row from its metrics.json, hessian.json and topology JSONs keyed by landscape kind."""
    row = {key: metrics.get(key) for key in RUN_KEYS}
    eigenvalues = hessian["eigenvalues"]
    row.update({f"eigenvalue_{i + 1}": value for i, value in enumerate(eigenvalues)})
    row["top_eigenvalue"] = eigenvalues[0]
    row["trace"], row["trace_stderr"] = hessian["trace"], hessian["trace_stderr"]
    for kind, topology in topologies.items():
        row.update({f"{kind}_{name}": topology[name] for name in (*TDA_METRICS, "total_persistence")})
    return row


def tda_correlations(table: pd.DataFrame, kinds: list[str], experiment: str) -> pd.DataFrame:
    """Spearman rho (and p) of every TDA metric against every ML metric, per landscape kind."""
    rows = []
    for kind in kinds:
        for tda in TDA_METRICS:
            for ml in ML_METRICS:
                pair = table[[f"{kind}_{tda}", ml]].replace([np.inf, -np.inf], np.nan).dropna()
                constant = pair.nunique().min() < 2 if len(pair) else True
                rho, p = (np.nan, np.nan) if len(pair) < 3 or constant else spearmanr(pair.iloc[:, 0], pair.iloc[:, 1])
                rows.append({"experiment": experiment, "kind": kind, "tda_metric": tda, "ml_metric": ml,
                             "spearman_rho": float(rho), "p_value": float(p), "n": len(pair)})
    return pd.DataFrame(rows)
