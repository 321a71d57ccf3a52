"""Grid evaluation against a naive per-point loop, one batched call per chunk, memory planning."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from conftest import tiny_classifier, tiny_pinn, tiny_regression

from losstopo.landscape import grid_losses, plan_chunk, random_directions, uniform_axes
from losstopo.landscape.grid import probe_bytes_per_point


class CountingProblem:
    """Wraps a problem and records the batch size of every `loss_terms` call."""

    def __init__(self, problem):
        self.problem, self.spec, self.batches = problem, problem.spec, []

    def loss_terms(self, thetas):
        self.batches.append(thetas.shape[0])
        return self.problem.loss_terms(thetas)


def _naive(problem, theta0, vectors, axes, flat_index):
    """The loop the engine replaces: copy the vector, step along each direction, call `loss`."""
    shape = tuple(len(a) for a in axes)
    mesh = np.meshgrid(*axes, indexing="ij")
    values = []
    for k in flat_index:
        theta = theta0.clone()
        for i in range(len(axes)):
            theta += float(mesh[i].reshape(-1)[k]) * vectors[i]
        values.append(float(problem.loss(theta)))
    assert len(shape) == len(axes)
    return np.array(values)


@pytest.mark.parametrize("make", [tiny_pinn, tiny_regression, tiny_classifier,
                                  lambda: tiny_pinn(torch.float32)])
@pytest.mark.parametrize("dim, steps", [(2, 13), (3, 6)])
def test_engine_matches_naive_loop(make, dim, steps):
    problem = make()
    theta0 = problem.init(0)
    dirs = random_directions(theta0, problem.spec, dim, "filter", seed=1)
    axes = uniform_axes(dim, 0.8, steps)
    counted = CountingProblem(problem)
    land = grid_losses(counted, theta0, dirs, axes, chunk=7, device="cpu")
    n = steps**dim
    assert land.shape == (steps,) * dim and land.evaluated_points == n
    assert counted.batches == [7] * (n // 7) + ([n % 7] if n % 7 else [])  # one call per chunk
    picks = np.random.default_rng(0).choice(n, size=50, replace=False)
    expected = _naive(problem, theta0, dirs.vectors, axes, picks)
    np.testing.assert_allclose(land.loss.reshape(-1)[picks], expected, rtol=1e-5, atol=0)
    assert set(land.terms) >= {"loss"}
    if hasattr(problem, "terms"):  # the PINN returns each term, and they add up to the total
        total = land.terms["ic"] + land.terms["bc"] + problem.config.c_r * land.terms["r"]
        np.testing.assert_allclose(total, land.loss, rtol=1e-6)


def test_centre_is_the_model_and_axis_i_is_direction_i():
    problem = tiny_regression()
    theta0 = problem.init(0)
    dirs = random_directions(theta0, problem.spec, 2, seed=3)
    axes = (np.linspace(-1, 1, 5), np.linspace(-0.5, 0.5, 3))
    land = grid_losses(problem, theta0, dirs, axes, chunk=4)
    assert land.loss[2, 1] == pytest.approx(float(problem.loss(theta0)), rel=1e-12)
    expected = float(problem.loss(theta0 + 1.0 * dirs.vectors[0] - 0.5 * dirs.vectors[1]))
    assert land.loss[4, 0] == pytest.approx(expected, rel=1e-10)


class BlowUpProblem(CountingProblem):
    """NaN where the first coordinate is positive, +inf at the far corner: to be kept, not repaired."""

    def __init__(self, problem, theta0, direction):
        super().__init__(problem)
        self.theta0, self.direction = theta0, direction

    def loss_terms(self, thetas):
        terms = dict(super().loss_terms(thetas))
        a0 = (thetas - self.theta0) @ self.direction / self.direction.dot(self.direction)
        loss = torch.where(a0 > 0.4, torch.nan, terms["loss"])
        terms["loss"] = torch.where(a0 < -0.9, torch.inf, loss)
        return terms


def test_nonfinite_values_are_kept_and_counted():
    problem = tiny_regression()
    theta0 = problem.init(0)
    dirs = random_directions(theta0, problem.spec, 2, "none", seed=0)
    axes = uniform_axes(2, 1.0, 9)
    land = grid_losses(BlowUpProblem(problem, theta0, dirs.vectors[0]), theta0, dirs, axes, chunk=10)
    a0 = np.broadcast_to(axes[0][:, None], (9, 9))
    assert np.isnan(land.loss[a0 > 0.4]).all() and np.isposinf(land.loss[a0 < -0.9]).all()
    assert np.isfinite(land.loss[(a0 <= 0.4) & (a0 >= -0.9)]).all()
    assert land.n_nonfinite == {"loss": int((a0 > 0.4).sum() + (a0 < -0.9).sum())}


def test_chunk_planned_from_memory_budget():
    problem = tiny_pinn()
    theta0 = problem.init(0)
    dirs = random_directions(theta0, problem.spec, 2, seed=0).vectors
    per_point, fixed = probe_bytes_per_point(problem, theta0, dirs)
    # The PINN's batched pass keeps [n_inputs, width] activations per point: at least that many bytes.
    n_rows = problem.inputs.shape[0]
    assert per_point >= n_rows * 8 * 8
    small, large = (plan_chunk(problem, theta0, dirs, mb, 10**6) for mb in (1, 8))
    assert 1 <= small < large
    assert large * per_point + fixed <= 8 * 2**20 < (large + 1) * per_point + fixed
    assert plan_chunk(problem, theta0, dirs, 1e-6, 10**6) == 1
    assert plan_chunk(problem, theta0, dirs, 1e6, 50) == 50
    counted = CountingProblem(problem)
    land = grid_losses(counted, theta0, dirs, uniform_axes(2, 1.0, 20), memory_mb=1)
    assert land.chunk == small and max(counted.batches[2:]) == small  # the first two calls are the probe


def test_shape_errors_speak():
    problem = tiny_regression()
    theta0 = problem.init(0)
    dirs = random_directions(theta0, problem.spec, 2, seed=0)
    with pytest.raises(ValueError, match="3 grid axes given for 2 directions"):
        grid_losses(problem, theta0, dirs, uniform_axes(3, 1.0, 3))
    with pytest.raises(ValueError, match="directions must be"):
        grid_losses(problem, theta0, dirs.vectors[:, :5], uniform_axes(2, 1.0, 3))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_engine_on_cuda_matches_cpu():
    problem = tiny_pinn()
    theta0 = problem.init(0)
    dirs = random_directions(theta0, problem.spec, 2, seed=0)
    axes = uniform_axes(2, 1.0, 11)
    cpu = grid_losses(problem, theta0, dirs, axes, chunk=16, device="cpu")
    gpu = grid_losses(problem, theta0.cuda(), dirs.vectors.cuda(), axes, chunk=16, device="cuda")
    for name in cpu.terms:
        np.testing.assert_allclose(gpu.terms[name], cpu.terms[name], rtol=1e-10)
