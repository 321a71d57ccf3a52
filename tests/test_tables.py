"""The joined run table and the TDA correlations, against hand-computed ranks and the stats functions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from losstopo.stats import benjamini_hochberg, partial_spearman, spearman_interval
from losstopo.tables import correlation_row, run_row, tda_correlations, with_fdr

TRACE = [3.0, 1.0, 4.0, 1.0, 5.0]
PERSISTENCE = [0.5, 0.2, 0.3, 0.1, 0.05]
LOSS = [0.3, 0.1, 0.2, 0.5, 0.4]
TOP = [9.0, 10.0, 7.0, 8.0, 6.0]


def fake_table(n: int = 5) -> pd.DataFrame:
    rows = []
    for i, beta in enumerate([1.0, 3.0, 5.0, 7.0, 9.0][:n]):
        run = {"beta": f"{beta:g}", "lr": "1", "seed": "0"}
        metrics = {"beta": beta, "rel_l2_error": 0.01 * 10**i, "accuracy": 1 - 0.001 * 10**i,
                   "mean_abs_error": 0.5, "loss": LOSS[i], "diverged": False, "provenance": {"seed": 0}}
        hessian = {"eigenvalues": [TOP[i], 1.0, 0.5, 0.1], "trace": TRACE[i], "trace_stderr": 0.1,
                   "trace_hutchpp": TRACE[i] + 0.01}
        topology = {"n_saddles": i, "n_minima": i + 1, "avg_persistence": PERSISTENCE[i],
                    "total_persistence": 1.0, "smad": 0.1 * i**2 % 0.7, "n_basins": i + 1}
        rows.append(run_row(run, metrics, hessian, {"hessian": topology}))
    return pd.DataFrame(rows)


def test_run_row_joins_every_source():
    row = fake_table().iloc[2]
    assert row["top_eigenvalue"] == row["eigenvalue_1"] == 7.0
    assert row["hessian_n_saddles"] == 2 and row["trace"] == 4.0 and row["rel_l2_error"] == pytest.approx(1.0)
    assert row["beta"] == 5.0 and row["seed"] == 0.0 and "provenance" not in row
    assert row["trace_hutchpp"] == 4.01 and row["hessian_n_basins"] == 3 and "hessian_smad" in row


def test_run_row_of_files_without_the_new_keys():
    """Topology and Hessian files written before SMAD, basins and Hutch++ still make a row, without them."""
    row = run_row({"seed": "0"}, {}, {"eigenvalues": [2.0], "trace": 3.0, "trace_stderr": 0.1},
                  {"random": {"n_saddles": 1, "n_minima": 2, "avg_persistence": 0.5,
                              "total_persistence": 0.5}})
    assert row["random_n_saddles"] == 1 and "random_smad" not in row and "trace_hutchpp" not in row


def test_spearman_intervals_aliases_and_partial_against_hand_ranks():
    ml = ["top_eigenvalue", "trace", "rel_l2_error", "accuracy", "mean_abs_error", "beta"]
    table = fake_table()
    result = tda_correlations(table, ["hessian"], "pinn", ml, control="loss")
    # n_minima = n_saddles + 1 is one metric; accuracy = 1 - error / 10 reverses rel_l2_error and beta ranks
    # as the error does: each is reported once, by the first in order
    assert set(result["tda_metric"]) == {"n_saddles", "avg_persistence", "smad"}
    assert set(result["ml_metric"]) == {"top_eigenvalue", "trace", "rel_l2_error", "mean_abs_error"}
    indexed = result.set_index(["tda_metric", "ml_metric"])
    assert indexed.loc[("n_saddles", "trace"), "tda_aliases"] == "n_minima"
    assert indexed.loc[("smad", "rel_l2_error"), "ml_aliases"] == "-accuracy;beta"
    assert indexed.loc[("n_saddles", "rel_l2_error"), "spearman_rho"] == pytest.approx(1.0)
    # top eigenvalue ranks (4, 5, 2, 3, 1): rho = 1 - 6 (9 + 9 + 1 + 1 + 16) / 120 = -0.8
    assert indexed.loc[("n_saddles", "top_eigenvalue"), "spearman_rho"] == pytest.approx(-0.8)
    # trace (3, 1, 4, 1, 5) -> average ranks of ties (3, 1.5, 4, 1.5, 5) against (1..5)
    expected = np.corrcoef([3, 1.5, 4, 1.5, 5], np.arange(1, 6))[0, 1]
    row = indexed.loc[("n_saddles", "trace")]
    assert row["spearman_rho"] == pytest.approx(expected)
    reference = spearman_interval(table["hessian_n_saddles"], table["trace"])
    assert (row["ci_low"], row["ci_high"], row["n"]) == (reference.low, reference.high, 5)
    assert row["ci_low"] <= row["spearman_rho"] <= row["ci_high"]
    partial = partial_spearman(table["hessian_avg_persistence"], table["trace"], table["loss"])
    row = indexed.loc[("avg_persistence", "trace")]
    assert (row["partial_rho"], row["partial_p"], row["partial_control"]) == (partial.rho, partial.p, "loss")
    assert np.isnan(indexed.loc[("n_saddles", "rel_l2_error"), "partial_rho"])  # not a curvature metric
    assert np.isnan(indexed.loc[("n_saddles", "mean_abs_error"), "spearman_rho"])  # constant column
    assert (result["n"] == 5).all()


def test_no_aliases_below_five_models():
    """Four models agree in rank by chance too often (2 / 4! = 8%) to merge two metrics."""
    result = tda_correlations(fake_table(4), ["hessian"], "pinn", ["rel_l2_error", "accuracy"])
    assert {"n_saddles", "n_minima"} <= set(result["tda_metric"]) and "accuracy" in set(result["ml_metric"])
    assert (result["tda_aliases"] == "").all()


def test_benjamini_hochberg_over_the_whole_table_and_alias_lookup():
    ml = ["trace", "rel_l2_error"]
    parts = [tda_correlations(fake_table(), ["hessian"], name, ml) for name in ("a", "b")]
    table = with_fdr(pd.concat(parts, ignore_index=True))
    np.testing.assert_array_equal(table["p_bh"], benjamini_hochberg(table["p_value"].to_numpy()))
    assert list(table.columns).index("p_bh") == list(table.columns).index("p_value") + 1
    row = correlation_row(table, "b", "hessian", "n_minima", "rel_l2_error")
    assert row["tda_metric"] == "n_saddles" and row["experiment"] == "b"
    assert correlation_row(table, "b", "random", "n_saddles", "rel_l2_error") is None
