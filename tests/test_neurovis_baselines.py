"""Kernel PCA and UMAP baselines of the Neuro-Visualizer comparison: they fit, decode a grid and score."""

from __future__ import annotations

import numpy as np
import pytest
from test_neurovis import Quadratic, curved_trajectory

from losstopo.neurovis import evaluate_projection, kpca_projection, trajectory_set, umap_projection


@pytest.mark.parametrize("make", [kpca_projection, umap_projection], ids=["kpca", "umap"])
def test_nonlinear_baselines_give_finite_errors(make):
    curve = trajectory_set([curved_trajectory()])
    problem = Quadratic(curve.x.shape[1])
    projection = make(curve, 6, seed=0)
    result = evaluate_projection(projection, curve, problem)
    assert np.isfinite(result.e_relative) and np.isfinite(result.e_proj) and result.e_proj > 0
    assert result.terms["loss"].shape == (6, 6) and np.isfinite(result.terms["loss"]).all()
    assert result.coords.shape == (curve.n_models, 2)
    reconstructed = curve.normaliser.denormalise(projection.reconstruction)
    np.testing.assert_allclose(result.rec_terms["loss"], problem.loss_terms(reconstructed)["loss"].numpy(),
                               rtol=1e-10)
