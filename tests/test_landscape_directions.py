"""Directions: orthogonality after Li et al. normalisation, per-filter / per-layer norms, PCA planes."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import tiny_pinn

from losstopo.landscape import given_directions, pca_directions, random_directions, target_direction
from losstopo.problems.base import ParamSpec

CONV_SPEC = ParamSpec.from_shapes([("conv.weight", (6, 3, 3, 3)), ("conv.bias", (6,)),
                                   ("fc.weight", (4, 24)), ("fc.bias", (4,)), ("scale", ())])


def _conv_theta() -> torch.Tensor:
    return torch.randn(CONV_SPEC.size, generator=torch.Generator().manual_seed(3), dtype=torch.float64)


def _max_abs_cos(vectors: torch.Tensor) -> float:
    """Largest |cos| between distinct rows, computed here from scratch in float64."""
    v = vectors.double()
    worst = 0.0
    for i in range(len(v)):
        for j in range(i):
            worst = max(worst, abs(float(torch.dot(v[i], v[j]) / (v[i].norm() * v[j].norm()))))
    return worst


def _assert_group_norms(vectors, theta, spec, normalization, ignore_bias):
    """Each filter (row) or layer of every direction has the norm of the weights it perturbs."""
    for d in vectors.double():
        for block in spec.blocks:
            part, w = d[block.offset : block.stop], theta.double()[block.offset : block.stop]
            if block.is_vector and ignore_bias:
                assert torch.count_nonzero(part) == 0, block.name
            elif block.is_vector or normalization == "layer":
                torch.testing.assert_close(part.norm(), w.norm(), rtol=1e-6, atol=0)
            else:
                rows = block.shape[0]
                torch.testing.assert_close(part.reshape(rows, -1).norm(dim=1),
                                           w.reshape(rows, -1).norm(dim=1), rtol=1e-6, atol=0)


@pytest.mark.parametrize("normalization", ["filter", "layer"])
@pytest.mark.parametrize("ignore_bias", [True, False])
@pytest.mark.parametrize("dim", [2, 3, 4])
@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
def test_random_directions_orthogonal_and_normalised_pinn(normalization, ignore_bias, dim, dtype):
    # The PINN's first-layer filters have 2 entries: for dim 3 and 4 they cannot be orthogonal alone.
    problem = tiny_pinn(dtype)
    theta = problem.init(0)
    dirs = random_directions(theta, problem.spec, dim, normalization, ignore_bias, seed=7)
    assert dirs.vectors.shape == (dim, problem.spec.size) and dirs.vectors.dtype == dtype
    assert _max_abs_cos(dirs.vectors) < 1e-6
    _assert_group_norms(dirs.vectors, theta, problem.spec, normalization, ignore_bias)


@pytest.mark.parametrize("normalization", ["filter", "layer"])
def test_random_directions_conv_filters(normalization):
    theta = _conv_theta()
    dirs = random_directions(theta, CONV_SPEC, 4, normalization, ignore_bias=False, seed=1)
    assert _max_abs_cos(dirs.vectors) < 1e-6
    _assert_group_norms(dirs.vectors, theta, CONV_SPEC, normalization, ignore_bias=False)


def test_normalising_without_orthogonalising_leaves_cosines():
    """The oracle can fail: plain normalised Gaussians are not orthogonal to 1e-6."""
    problem = tiny_pinn()
    theta = problem.init(0)
    dirs = random_directions(theta, problem.spec, 3, "filter", seed=7, orthogonal=False)
    assert _max_abs_cos(dirs.vectors) > 1e-3
    _assert_group_norms(dirs.vectors, theta, problem.spec, "filter", True)


def test_random_directions_none_keeps_gaussian_scale_and_is_seeded():
    problem = tiny_pinn()
    theta = problem.init(0)
    a = random_directions(theta, problem.spec, 3, "none", ignore_bias=False, seed=2)
    b = random_directions(theta, problem.spec, 3, "none", ignore_bias=False, seed=2)
    c = random_directions(theta, problem.spec, 3, "none", ignore_bias=False, seed=3)
    assert torch.equal(a.vectors, b.vectors) and not torch.equal(a.vectors, c.vectors)
    assert _max_abs_cos(a.vectors) < 1e-6
    norms = a.vectors.norm(dim=1) / np.sqrt(problem.spec.size)
    assert torch.all((norms > 0.7) & (norms < 1.3))


def test_orthogonality_impossible_is_explained():
    spec = ParamSpec.from_shapes([("w", (10, 1))])
    with pytest.raises(ValueError, match="fewer than 2 entries"):
        random_directions(torch.ones(10, dtype=torch.float64), spec, 2, "filter")
    with pytest.raises(ValueError, match="weights it would perturb are all zero"):
        random_directions(torch.zeros(10, dtype=torch.float64), spec, 1, "filter")


def test_given_directions_normalised_filterwise():
    problem = tiny_pinn()
    theta = problem.init(0)
    raw = torch.randn(2, problem.spec.size, dtype=torch.float64, generator=torch.Generator().manual_seed(0))
    kept = given_directions(raw, theta, problem.spec)
    assert torch.equal(kept.vectors, raw)
    scaled = given_directions(raw, theta, problem.spec, "filter", ignore_bias=True, kind="hessian")
    assert scaled.kind == "hessian"
    _assert_group_norms(scaled.vectors, theta, problem.spec, "filter", True)
    for block in problem.spec.blocks:  # each filter keeps its direction, only its length changes
        if not block.is_vector:
            rows = block.shape[0]
            a = raw[:, block.offset : block.stop].reshape(2, rows, -1)
            b = scaled.vectors[:, block.offset : block.stop].reshape(2, rows, -1)
            torch.testing.assert_close(torch.nn.functional.cosine_similarity(a, b, dim=2),
                                       torch.ones(2, rows, dtype=torch.float64))


def test_pca_recovers_the_plane_of_a_planar_trajectory():
    g = torch.Generator().manual_seed(0)
    p, k = 300, 25
    u, v = torch.randn(p, generator=g, dtype=torch.float64), torch.randn(p, generator=g, dtype=torch.float64)
    v = v + 0.5 * u  # a plane given by two non-orthogonal vectors
    final = torch.randn(p, generator=g, dtype=torch.float64)
    t = torch.linspace(0, 1, k, dtype=torch.float64)
    a, b = 3 * (1 - t) ** 2, torch.sin(4 * t) * (1 - t)
    thetas = final + a[:, None] * u + b[:, None] * v
    dirs = pca_directions(thetas, dim=2)

    basis, _ = torch.linalg.qr(torch.stack([u, v], dim=1))
    projector_true = basis @ basis.T
    projector_pca = dirs.vectors.T @ dirs.vectors
    torch.testing.assert_close(projector_pca, projector_true, atol=1e-10, rtol=0)
    assert np.isclose(dirs.explained_variance.sum(), 1.0)
    assert dirs.explained_variance[0] >= dirs.explained_variance[1]
    recon = torch.as_tensor(dirs.trajectory_coords) @ dirs.vectors
    torch.testing.assert_close(recon, thetas - final, atol=1e-10, rtol=0)
    assert np.allclose(dirs.trajectory_coords[-1], 0.0)


def test_pca_explained_variance_of_a_noisy_plane():
    g = torch.Generator().manual_seed(1)
    p, k = 200, 40
    plane = torch.randn(2, p, generator=g, dtype=torch.float64)
    coeffs = torch.randn(k, 2, generator=g, dtype=torch.float64) * torch.tensor([5.0, 2.0]).double()
    thetas = coeffs @ plane + 1e-3 * torch.randn(k, p, generator=g, dtype=torch.float64)
    dirs = pca_directions(thetas, dim=3, center=torch.zeros(p, dtype=torch.float64))
    assert dirs.explained_variance[:2].sum() > 0.999 and dirs.explained_variance[2] < 1e-4
    with pytest.raises(ValueError, match="K > dim"):
        pca_directions(thetas[:3], dim=3)


def test_target_direction_reaches_the_second_model():
    theta0, theta1 = torch.zeros(5), torch.arange(5.0)
    d = target_direction(theta0, theta1)
    assert torch.equal(theta0 + 1.0 * d.vectors[0], theta1) and d.kind == "target"
