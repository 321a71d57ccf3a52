"""Join per-model results into one table and correlate topology with curvature, error and the sweep.

One row per trained model (any experiment); columns are the run's sweep values, every scalar of its
metrics.json, the Hessian summary and, per landscape kind, the merge-tree metrics
(`<kind>_n_saddles`, ...). Paper T Sec. 3 correlates these.
"""

from __future__ import annotations

from numbers import Number
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

TDA_METRICS = ("n_saddles", "n_minima", "avg_persistence")


def _scalar(value: str) -> Any:
    """A sweep value from a run folder name as a number where it is one ('0.1' -> 0.1, 'plain' stays)."""
    try:
        return float(value)
    except ValueError:
        return value


def run_row(run: dict[str, str], metrics: dict[str, Any], hessian: dict[str, Any],
            topologies: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """One model's row: its sweep values, metrics.json scalars, hessian.json and topology JSONs by kind."""
    row: dict[str, Any] = {key: _scalar(value) for key, value in run.items()}
    row.update({k: v for k, v in metrics.items() if isinstance(v, (Number, str)) and k not in row})
    eigenvalues = hessian["eigenvalues"]
    row.update({f"eigenvalue_{i + 1}": value for i, value in enumerate(eigenvalues)})
    row["top_eigenvalue"] = eigenvalues[0]
    row["trace"], row["trace_stderr"] = hessian["trace"], hessian["trace_stderr"]
    for kind, topology in topologies.items():
        row.update({f"{kind}_{name}": topology[name] for name in (*TDA_METRICS, "total_persistence")})
    return row


def tda_correlations(table: pd.DataFrame, kinds: list[str], experiment: str,
                     ml_metrics: list[str]) -> pd.DataFrame:
    """Spearman rho (and p) of every TDA metric against every ML metric or sweep variable, per kind."""
    rows = []
    for kind in kinds:
        for tda in TDA_METRICS:
            for ml in ml_metrics:
                pair = table[[f"{kind}_{tda}", ml]].replace([np.inf, -np.inf], np.nan).dropna()
                constant = pair.nunique().min() < 2 if len(pair) else True
                rho, p = (np.nan, np.nan) if len(pair) < 3 or constant else spearmanr(pair.iloc[:, 0], pair.iloc[:, 1])
                rows.append({"experiment": experiment, "kind": kind, "tda_metric": tda, "ml_metric": ml,
                             "spearman_rho": float(rho), "p_value": float(p), "n": len(pair)})
    return pd.DataFrame(rows)
