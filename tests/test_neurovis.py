"""Neuro-Visualizer library: losses, density and metrics against hand-computed values; the auto-encoder
against PCA on a known curved manifold; decoded-grid landscapes against a per-point loop; baselines."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from conftest import tiny_pinn

from losstopo.neurovis import (
    AESettings,
    ProjectionResult,
    auto_hidden_sizes,
    cka_density,
    decoded_landscape,
    e_proj,
    e_relative,
    evaluate_projection,
    fit_autoencoder,
    nv_projection,
    pca_projection,
    trajectory_set,
)
from losstopo.neurovis.losses import anchor_targets, grid_loss, trajectory_spacing_loss
from losstopo.problems.base import ParamSpec


class Quadratic:
    """L(theta) = 0.1 + sum_i a_i (theta_i - c_i)^2: a known, positive, batched loss as a `Problem`."""

    def __init__(self, p: int) -> None:
        g = torch.Generator().manual_seed(3)
        self.spec = ParamSpec.from_shapes([("w", (p,))])
        self.a = torch.rand(p, generator=g, dtype=torch.float64) + 0.5
        self.c = torch.randn(p, generator=g, dtype=torch.float64)

    def init(self, seed: int) -> torch.Tensor:
        return torch.zeros(self.spec.size, dtype=torch.float64)

    def loss_terms(self, thetas: torch.Tensor) -> dict[str, torch.Tensor]:
        sq = ((thetas - self.c) ** 2 * self.a).sum(dim=1)
        return {"sq": sq, "loss": 0.1 + sq}

    def loss(self, theta: torch.Tensor) -> torch.Tensor:
        return self.loss_terms(theta.unsqueeze(0))["loss"][0]

    def evaluate(self, theta: torch.Tensor) -> dict[str, float]:
        return {"loss": float(self.loss(theta))}


def curved_trajectory(n_models: int = 30, p: int = 50) -> torch.Tensor:
    """A path (u, v) = (2t - 1, sin(3 pi t) / 2) on the curved surface phi(u, v) = Q [u, v, u^2, v^2, uv,
    sin 2u, cos 3v] in R^p: it bends out of every plane, so no 2-D PCA plane holds it."""
    g = torch.Generator().manual_seed(0)
    t = torch.linspace(0, 1, n_models, dtype=torch.float64)
    u, v = 2 * t - 1, torch.sin(3 * math.pi * t) / 2
    features = torch.stack([u, v, u**2, v**2, u * v, torch.sin(2 * u), torch.cos(3 * v)], dim=1)
    return features @ torch.randn(7, p, generator=g, dtype=torch.float64)


@pytest.fixture(scope="module")
def curve():
    return trajectory_set([curved_trajectory()])


@pytest.fixture(scope="module")
def polar_fit(curve):
    settings = AESettings(hidden=(32, 8), epochs=800, lr=1e-3, patience=300, restart_epochs=200,
                          weights={"recon": 1.0, "anchor": 1.0}, anchor="polar", seed=0)
    return fit_autoencoder(curve, settings, progress=False)


def test_auto_hidden_sizes_follow_paper_table_2():
    assert auto_hidden_sizes(7851) == (991, 125, 15)


def test_normalisation_z_scores_each_coordinate_and_inverts():
    thetas = torch.tensor([[1.0, 5.0, 2.0], [3.0, 5.0, 4.0], [5.0, 5.0, 9.0]], dtype=torch.float64)
    data = trajectory_set([thetas[:2], thetas[2:]], labels=["a", "b"])
    expected = (thetas - thetas.mean(0)) / (thetas.std(0, correction=0) + 1e-8)
    torch.testing.assert_close(data.x, expected.float())
    assert torch.all(data.x[:, 1] == 0)  # a constant coordinate stays at its mean
    torch.testing.assert_close(data.normaliser.denormalise(data.x.double()), thetas)
    assert data.lengths == (2, 1) and data.offsets == (0, 2, 3) and list(data.trajectory_of()) == [0, 0, 1]


def test_anchor_layouts():
    index, target = anchor_targets("polar", 5)
    assert index.tolist() == [0, 4]
    torch.testing.assert_close(target, torch.tensor([[-0.8, -0.8], [0.8, 0.8]]))
    index, target = anchor_targets("center", 5)
    assert index.tolist() == [4] and target.tolist() == [[0.0, 0.0]]
    index, target = anchor_targets("circle", 4)  # (r sin 2 pi k / 4, r cos 2 pi k / 4)
    torch.testing.assert_close(target, torch.tensor([[0.0, 0.8], [0.8, 0.0], [0.0, -0.8], [-0.8, 0.0]]))
    index, target = anchor_targets("diagonal", 3)
    torch.testing.assert_close(target, torch.tensor([[-0.8, -0.8], [0.0, 0.0], [0.8, 0.8]]))


def test_grid_loss_on_three_models_by_hand():
    z_models = torch.tensor([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0]])
    x_models = torch.tensor([[0.0, 0.0, 0.0], [3.0, 0.0, 0.0], [0.0, 4.0, 0.0]])
    z_grid = torch.tensor([[0.1, 0.0], [0.8, 0.9]])  # nearest models: 0 (at 0.1) and 2 (at sqrt 0.65)
    x_grid = torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 2.0]])  # parameter distances 1 and sqrt 20
    d_max, l_max = 4.0, 2.0  # |first - last| = 4
    target = math.log(4.0) - 2.0
    first = (math.log(1.0) - 0.1 - target) ** 2
    second = (math.log(math.sqrt(20)) - math.sqrt(0.65) - target) ** 2
    value = float(grid_loss(z_grid, x_grid, z_models, x_models, d_max, l_max))
    assert value == pytest.approx((first + second) / 2, rel=1e-6)


def test_trajectory_spacing_loss_by_hand():
    z = torch.tensor([[0.0, 0.0], [3.0, 4.0], [3.0, 5.0]])  # steps 5 and 1: deviations +-2 from their mean 3
    assert float(trajectory_spacing_loss(z, [3])) == pytest.approx(4.0)
    two = torch.cat([z, torch.tensor([[0.0, 0.0], [0.0, 2.0]])])  # second trajectory: one step, no deviation
    assert float(trajectory_spacing_loss(two, [3, 2])) == pytest.approx(8.0 / 3.0)


def test_cka_density_on_three_models_by_hand():
    models = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, -1.0]])  # mean 0; cosines 0, -1/sqrt2, -1/sqrt2
    s01, s02 = 0.5, (1 - 1 / math.sqrt(2)) / 2
    np.testing.assert_allclose(cka_density(models), [s01 + s02, s01 + s02, 2 * s02], rtol=1e-12)


def test_metrics_by_hand():
    assert e_relative(np.array([1.0, 2.0]), np.array([1.5, 1.0])) == pytest.approx((0.5 + 0.5) / 2)
    x = torch.zeros(2, 3)
    assert e_proj(x, torch.tensor([[3.0, 4.0, 0.0], [0.0, 0.0, 1.0]])) == pytest.approx(3.0)


def test_nv_with_polar_pinning_beats_pca_on_a_curved_manifold(curve, polar_fit):
    problem = Quadratic(curve.x.shape[1])
    nv = evaluate_projection(nv_projection(polar_fit, curve, 9), curve, problem)
    pca = evaluate_projection(pca_projection(curve, 9), curve, problem)
    assert nv.e_proj < 0.5 * pca.e_proj
    assert nv.e_relative < 0.5 * pca.e_relative
    assert np.linalg.norm(nv.coords[0] - [-0.8, -0.8]) < 0.05
    assert np.linalg.norm(nv.coords[-1] - [0.8, 0.8]) < 0.05
    assert nv.terms["loss"].shape == (9, 9) and set(nv.terms) == {"sq", "loss"}


def test_training_is_seeded(curve):
    settings = AESettings(hidden=(16, 4), epochs=15, weights={"recon": 1.0, "traj": 1.0, "grid": 0.1}, seed=4)
    a, b = (nv_projection(fit_autoencoder(curve, settings, progress=False), curve, 5) for _ in range(2))
    np.testing.assert_array_equal(a.coords, b.coords)


def test_grid_and_traj_terms_shape_the_manifold(curve):
    """Against reconstruction alone, adding L_grid and L_traj lowers both (L_grid over the whole grid)."""
    grid = torch.cartesian_prod(torch.linspace(-1, 1, 6), torch.linspace(-1, 1, 6))
    d_max = float((curve.x[0] - curve.x[-1]).norm())
    measured = []
    for weights in ({"recon": 1.0}, {"recon": 1.0, "traj": 1.0, "grid": 1.0}):
        settings = AESettings(hidden=(16, 4), epochs=200, lr=1e-3, weights=weights, l_max=1.0, grid_points=6,
                              patience=200, seed=0)
        model = fit_autoencoder(curve, settings, progress=False).model
        with torch.no_grad():
            z = model.encode(curve.x)
            measured.append((float(grid_loss(grid, model.decode(grid), z, curve.x, d_max, 1.0)),
                             float(trajectory_spacing_loss(z, curve.lengths))))
    (grid_alone, traj_alone), (grid_with, traj_with) = measured
    assert grid_with < 0.6 * grid_alone
    assert traj_with < 0.3 * traj_alone


def test_decoded_landscape_equals_a_per_point_loop():
    problem = tiny_pinn(torch.float64)
    g = torch.Generator().manual_seed(0)
    theta0 = problem.init(0).double()
    steps = torch.linspace(0, 1, 10, dtype=torch.float64)[:, None]
    path = theta0 + 0.3 * steps * torch.randn(problem.spec.size, generator=g, dtype=torch.float64) \
        + 0.1 * torch.sin(5 * steps) * torch.randn(problem.spec.size, generator=g, dtype=torch.float64)
    data = trajectory_set([path])
    fit = fit_autoencoder(data, AESettings(hidden=(16, 4), epochs=5, seed=0), progress=False)
    projection = nv_projection(fit, data, 7)
    grid = decoded_landscape(problem, projection.decode, data.normaliser, projection.axes, chunk=10)
    loop = {name: np.zeros((7, 7)) for name in grid}
    for i, a in enumerate(projection.axes[0]):
        for j, b in enumerate(projection.axes[1]):
            with torch.no_grad():
                x = fit.model.decode(torch.tensor([[a, b]], dtype=torch.float32))[0]
            theta = x.double() * data.normaliser.scale + data.normaliser.mean
            for name, value in problem.loss_terms(theta[None]).items():
                loop[name][i, j] = float(value[0])
    assert set(grid) == {"ic", "bc", "r", "loss"}
    for name in grid:
        np.testing.assert_allclose(grid[name], loop[name], rtol=1e-5)


def test_pca_plane_passes_through_the_final_model(curve):
    projection = pca_projection(curve, 5)
    x = curve.x.double()
    np.testing.assert_allclose(projection.coords[-1], [0.0, 0.0], atol=1e-10)
    _, _, vh = np.linalg.svd((x - x[-1]).numpy(), full_matrices=False)
    oracle = (x - x[-1]).numpy() @ vh[:2].T @ vh[:2] + x[-1].numpy()
    np.testing.assert_allclose(projection.reconstruction.numpy(), oracle, atol=1e-9)


def test_result_round_trips_through_npz(tmp_path, curve):
    result = evaluate_projection(pca_projection(curve, 4), curve, Quadratic(curve.x.shape[1]), density=True)
    np.savez(tmp_path / "r.npz", **result.to_arrays())
    with np.load(tmp_path / "r.npz") as archive:
        back = ProjectionResult.from_arrays(archive)
    assert back.method == "pca" and back.labels == result.labels and back.lengths == result.lengths
    assert back.e_proj == result.e_proj and back.e_proj_raw == result.e_proj_raw
    assert back.density.shape == (4, 4)
    for name in result.terms:
        np.testing.assert_array_equal(back.terms[name], result.terms[name])
        np.testing.assert_array_equal(back.rec_terms[name], result.rec_terms[name])


def test_settings_name_what_is_wrong():
    with pytest.raises(ValueError, match="unknown loss weights"):
        AESettings(weights={"recon": 1.0, "grids": 1.0})
    with pytest.raises(ValueError, match="needs an anchor layout"):
        AESettings(weights={"recon": 1.0, "anchor": 1.0}, anchor="none")
    with pytest.raises(ValueError, match="must be positive"):
        AESettings(weights={"recon": 0.0})
    assert AESettings.from_dict({"hidden": [8, 4], "resolution": 25}).hidden == (8, 4)
