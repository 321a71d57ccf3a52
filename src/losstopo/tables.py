"""Join per-model results into one table and correlate topology with curvature, error and the sweep.

One row per trained model (any experiment); columns are the run's sweep values, every scalar of its
metrics.json, the Hessian summary and, per landscape kind, the merge-tree and basin metrics
(`<kind>_n_saddles`, `<kind>_smad`, ...). Keys that a topology or Hessian file of an older version
lacks (SMAD, basins, `trace_hutchpp`) are left out of its row, not an error. Paper T Sec. 3 correlates
these.

`tda_correlations` gives, for every (kind, TDA metric, ML metric) of one experiment, Spearman's rho with a
percentile-bootstrap 95% interval over models (`stats.spearman_interval`), n and p; for curvature (top
eigenvalue, trace) also the partial Spearman rho controlling for the experiment's final loss
(`Experiment.final_loss`: the loss at the point where the Hessian is taken). A metric whose ranks over
the experiment's models equal another's (|rho| > `ALIAS_RHO`, e.g. #minima = #saddles + 1 on a connected
grid, test error = 1 - accuracy) is reported once: the first in order keeps its rows and names the
others in `tda_aliases` / `ml_aliases` (a leading "-" for a reversed order). `with_fdr` adds the
Benjamini-Hochberg adjusted p over every row of the finished table (one family: the whole
tda_correlations.csv, all experiments and kinds together).
"""

from __future__ import annotations

from numbers import Number
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import spearmanr

from losstopo.stats import benjamini_hochberg, partial_spearman, spearman_interval

TDA_METRICS = ("n_saddles", "n_minima", "avg_persistence", "smad", "smad_normalised")
TOPOLOGY_REQUIRED = ("n_saddles", "n_minima", "avg_persistence", "total_persistence")
TOPOLOGY_OPTIONAL = ("smad", "smad_normalised", "smad_weighted", "n_basins", "max_basin_depth",
                     "mean_basin_size")
CURVATURE = ("top_eigenvalue", "trace")
ALIAS_RHO = 0.999
# Two metrics count as one only on enough models: below 5, no rank agreement is evidence (2 / 4! > 0.05).
ALIAS_MIN_N = 5
COLUMNS = ["experiment", "kind", "tda_metric", "ml_metric", "spearman_rho", "ci_low", "ci_high", "n",
           "n_boot", "p_value", "partial_rho", "partial_p", "partial_n", "partial_control", "tda_aliases",
           "ml_aliases"]


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
    if "trace_hutchpp" in hessian:
        row["trace_hutchpp"] = hessian["trace_hutchpp"]
    for kind, topology in topologies.items():
        row.update({f"{kind}_{name}": topology[name] for name in TOPOLOGY_REQUIRED})
        row.update({f"{kind}_{name}": topology[name] for name in TOPOLOGY_OPTIONAL if name in topology})
    return row


def _finite(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.replace([np.inf, -np.inf], np.nan).dropna()


def aliases(table: pd.DataFrame, columns: list[str]) -> dict[str, list[str]]:
    """Kept column -> the later columns whose ranks equal its own (|Spearman rho| > ALIAS_RHO over at least
    ALIAS_MIN_N models; "-name" when reversed). A column not in the result is an alias of a kept one."""
    kept: dict[str, list[str]] = {}
    for column in columns:
        for first in kept:
            pair = _finite(table[[first, column]])
            if len(pair) < ALIAS_MIN_N or pair.nunique().min() < 2:
                continue
            rho = spearmanr(pair.iloc[:, 0], pair.iloc[:, 1]).statistic
            if abs(rho) > ALIAS_RHO:
                kept[first].append(("-" if rho < 0 else "") + column)
                break
        else:
            kept[column] = []
    return kept


def tda_correlations(table: pd.DataFrame, kinds: list[str], experiment: str, ml_metrics: list[str], *,
                     control: str | None = None, n_boot: int = 2000, level: float = 0.95,
                     seed: int = 0) -> pd.DataFrame:
    """Spearman rho, its bootstrap interval, n and p of every TDA metric against every ML metric or sweep
    variable, per kind; for curvature also the partial rho controlling for the `control` column. Metrics
    absent from the table are skipped; aliases are reported once (see the module's docstring)."""
    ml_kept = aliases(table, [m for m in ml_metrics if m in table])
    rows = []
    for kind in kinds:
        columns = [f"{kind}_{tda}" for tda in TDA_METRICS if f"{kind}_{tda}" in table]
        tda_kept = aliases(table, columns)
        for column, tda_aliases in tda_kept.items():
            for ml, ml_aliases in ml_kept.items():
                result = spearman_interval(table[column], table[ml], n_boot=n_boot, level=level, seed=seed)
                partial = {"partial_rho": np.nan, "partial_p": np.nan, "partial_n": 0, "partial_control": ""}
                if ml in CURVATURE and control is not None and control in table and control != ml:
                    part = partial_spearman(table[column], table[ml], table[control])
                    partial = {"partial_rho": part.rho, "partial_p": part.p, "partial_n": part.n,
                               "partial_control": control}
                rows.append({
                    "experiment": experiment, "kind": kind, "tda_metric": column.removeprefix(f"{kind}_"),
                    "ml_metric": ml, "spearman_rho": result.rho, "ci_low": result.low, "ci_high": result.high,
                    "n": result.n, "n_boot": result.n_boot, "p_value": result.p, **partial,
                    "tda_aliases": ";".join(a.replace(f"{kind}_", "", 1) for a in tda_aliases),
                    "ml_aliases": ";".join(ml_aliases),
                })
    return pd.DataFrame(rows, columns=COLUMNS)


def with_fdr(correlations: pd.DataFrame) -> pd.DataFrame:
    """The table with `p_bh`, the Benjamini-Hochberg adjusted `p_value` over all its rows (one family)."""
    frame = correlations.copy()
    adjusted = benjamini_hochberg(frame["p_value"].to_numpy(dtype=float))
    frame.insert(frame.columns.get_loc("p_value") + 1, "p_bh", adjusted)
    return frame


def correlation_row(correlations: pd.DataFrame, experiment: str, kind: str, tda: str,
                    ml: str) -> pd.Series | None:
    """The row of tda_correlations.csv that reports (experiment, kind, tda, ml), directly or as an alias."""
    def named(column: str, alias_column: str, name: str) -> pd.Series:
        listed = correlations[alias_column].fillna("").astype(str).str.split(";")
        return (correlations[column] == name) | listed.apply(lambda a: name in a or f"-{name}" in a)

    hit = correlations[(correlations["experiment"] == experiment) & (correlations["kind"] == kind)
                       & named("tda_metric", "tda_aliases", tda) & named("ml_metric", "ml_aliases", ml)]
    return hit.iloc[0] if len(hit) else None
