"""The joined run table and the TDA correlations, against hand-computed ranks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from losstopo.tables import run_row, tda_correlations


def fake_table() -> pd.DataFrame:
    rows = []
    for i, beta in enumerate([1.0, 3.0, 5.0, 7.0, 9.0]):
        run = {"beta": f"{beta:g}", "lr": "1", "seed": "0"}
        metrics = {"beta": beta, "rel_l2_error": 0.01 * 10**i, "mean_abs_error": 0.5, "loss": 1e-3,
                   "diverged": False, "provenance": {"seed": 0}}
        hessian = {"eigenvalues": [10.0 - i, 1.0, 0.5, 0.1], "trace": [3.0, 1.0, 4.0, 1.0, 5.0][i], "trace_stderr": 0.1}
        topology = {"n_saddles": i, "n_minima": i + 1, "avg_persistence": 1.0 / (i + 1), "total_persistence": 1.0}
        rows.append(run_row(run, metrics, hessian, {"hessian": topology}))
    return pd.DataFrame(rows)


def test_run_row_joins_every_source():
    row = fake_table().iloc[2]
    assert row["top_eigenvalue"] == row["eigenvalue_1"] == 8.0
    assert row["hessian_n_saddles"] == 2 and row["trace"] == 4.0 and row["rel_l2_error"] == pytest.approx(1.0)
    assert row["beta"] == 5.0 and row["seed"] == 0.0 and "provenance" not in row


def test_spearman_against_hand_ranks():
    ml = ["top_eigenvalue", "trace", "rel_l2_error", "mean_abs_error", "beta"]
    result = tda_correlations(fake_table(), ["hessian"], "pinn", ml).set_index(["tda_metric", "ml_metric"])
    assert result.loc[("n_saddles", "rel_l2_error"), "spearman_rho"] == pytest.approx(1.0)
    assert result.loc[("avg_persistence", "beta"), "spearman_rho"] == pytest.approx(-1.0)
    assert result.loc[("avg_persistence", "rel_l2_error"), "spearman_rho"] == pytest.approx(-1.0)
    assert result.loc[("n_saddles", "top_eigenvalue"), "spearman_rho"] == pytest.approx(-1.0)
    # trace ranks (2, 1, 4, 1, 5) -> average ranks of ties: (3, 1.5, 4, 1.5, 5) against (1..5)
    ranks_trace, ranks_saddles = np.array([3, 1.5, 4, 1.5, 5]), np.arange(1, 6)
    expected = np.corrcoef(ranks_trace, ranks_saddles)[0, 1]
    assert result.loc[("n_saddles", "trace"), "spearman_rho"] == pytest.approx(expected)
    assert np.isnan(result.loc[("n_saddles", "mean_abs_error"), "spearman_rho"])  # constant column
    assert (result["n"] == 5).all()
