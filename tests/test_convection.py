"""The convection PINN: loss terms against independent oracles, training, determinism, DeepXDE."""

from __future__ import annotations

import math
import os

import numpy as np
import pytest
import torch
from conftest import tiny_pinn

from losstopo.problems.convection import ConvectionConfig, ConvectionPINN, exact_solution
from losstopo.problems.mlp import MLP
from losstopo.training.optimize import TrainConfig, train


def module_loss_terms(problem: ConvectionPINN, theta: torch.Tensor) -> dict[str, float]:
    """The loss terms recomputed the textbook way: an nn.Module and autograd input derivatives."""
    net = MLP(problem.widths).to(problem.config.dtype)
    net.load_state_dict(problem.spec.unflatten(theta))
    c = problem.config
    xf = problem.inputs[: c.n_f].clone().requires_grad_(True)
    u = net(xf)
    du = torch.autograd.grad(u.sum(), xf)[0]
    residual = (du[:, 1] + c.beta * du[:, 0]).detach()
    x = torch.tensor(problem.x, dtype=c.dtype)
    t = torch.tensor(problem.t, dtype=c.dtype)
    with torch.no_grad():
        u_ic = net(torch.stack([x, torch.zeros_like(x)], 1))[:, 0]
        u_lo = net(torch.stack([torch.zeros_like(t), t], 1))[:, 0]
        u_hi = net(torch.stack([torch.full_like(t, 2 * math.pi), t], 1))[:, 0]
    terms = {
        "ic": float(((u_ic - torch.sin(x)) ** 2).mean()),
        "bc": float(((u_lo - u_hi) ** 2).mean()),
        "r": float((residual**2).mean()),
    }
    terms["loss"] = terms["ic"] + terms["bc"] + c.c_r * terms["r"]
    return terms


def test_loss_terms_match_autograd_module(pinn):
    theta = pinn.init(3)
    ours = {k: float(v[0]) for k, v in pinn.loss_terms(theta[None]).items()}
    oracle = module_loss_terms(pinn, theta)
    for key in oracle:
        assert ours[key] == pytest.approx(oracle[key], rel=1e-10), key


def test_batched_loss_equals_single_evaluations():
    problem = ConvectionPINN(ConvectionConfig(beta=5.0))
    theta = problem.init(0)
    thetas = theta + 0.05 * torch.randn(16, theta.numel(), generator=torch.Generator().manual_seed(0))
    batched = problem.loss_terms(thetas)
    for i in range(16):
        single = module_loss_terms(problem, thetas[i])
        for key, value in single.items():
            assert float(batched[key][i]) == pytest.approx(value, rel=1e-5), (i, key)


def test_residual_matches_finite_differences(pinn):
    """u_t + beta u_x from the carried tangent equals a central difference along (beta, 1)."""
    from losstopo.problems.mlp import batched_mlp

    theta = pinn.init(1)[None]
    points = pinn.inputs[:10]
    _, tangent = batched_mlp(pinn.spec, theta, points, 10, pinn.direction)
    h = 1e-5
    up, _ = batched_mlp(pinn.spec, theta, points + h * pinn.direction)
    down, _ = batched_mlp(pinn.spec, theta, points - h * pinn.direction)
    fd = (up - down) / (2 * h)
    np.testing.assert_allclose(tangent[0, :, 0].numpy(), fd[0, :, 0].numpy(), rtol=1e-6, atol=1e-9)


def test_exact_solution_solves_the_pde():
    x, t, beta, h = np.linspace(0.1, 6, 50), np.linspace(0.1, 0.9, 50), 7.0, 1e-6
    u_t = (exact_solution(x, t + h, beta) - exact_solution(x, t - h, beta)) / (2 * h)
    u_x = (exact_solution(x + h, t, beta) - exact_solution(x - h, t, beta)) / (2 * h)
    np.testing.assert_allclose(u_t + beta * u_x, 0.0, atol=1e-6)
    np.testing.assert_allclose(exact_solution(x, 0 * t, beta), np.sin(x))


def test_collocation_points_are_interior_and_seeded():
    a, b = tiny_pinn(), tiny_pinn()
    c = ConvectionPINN(ConvectionConfig(hidden=(8, 8), n_x=32, n_t=16, n_f=40, data_seed=1, dtype=torch.float64))
    xf = a.inputs[: a.config.n_f]
    assert torch.equal(xf, b.inputs[: b.config.n_f]) and not torch.equal(xf, c.inputs[:40])
    assert (xf[:, 0] > 0).all() and (xf[:, 1] > 0).all()
    assert len({tuple(p) for p in xf.tolist()}) == a.config.n_f


@pytest.mark.parametrize("beta,bound", [(1.0, 5e-2), (9.0, 0.5)])
def test_reference_settings_reproduce_the_failure_mode(beta, bound):
    """Krishnapriyan et al.'s defaults: beta=1 is learned, beta=9 fails (reference: ~1e-2 and ~1.1)."""
    torch.set_num_threads(2)
    problem = ConvectionPINN(ConvectionConfig(beta=beta))
    result = train(problem, problem.init(0), TrainConfig(iterations=2000, checkpoint_every=500), progress=False)
    error = problem.evaluate(result.theta)["rel_l2_error"]
    assert (error < bound) if beta == 1.0 else (error > bound), error


def test_same_seed_gives_bitwise_identical_checkpoints(pinn):
    config = TrainConfig(iterations=40, checkpoint_every=10)
    first = train(pinn, pinn.init(7), config, progress=False)
    second = train(pinn, pinn.init(7), config, progress=False)
    other = train(pinn, pinn.init(8), config, progress=False)
    assert torch.equal(first.trajectory, second.trajectory)
    assert first.trajectory.shape[0] == len(first.steps) >= 2
    assert not torch.equal(first.trajectory[-1], other.trajectory[-1])


def test_adam_lowers_the_loss(pinn):
    result = train(pinn, pinn.init(0), TrainConfig(optimizer="adam", lr=1e-2, iterations=60, checkpoint_every=20),
                   progress=False)
    assert result.steps == [0, 20, 40, 60]
    assert result.losses[-1] < 0.7 * result.losses[0]


def test_divergence_is_kept_and_marked(pinn):
    result = train(pinn, pinn.init(0), TrainConfig(optimizer="adam", lr=1e300, iterations=30, checkpoint_every=10),
                   progress=False)
    assert result.diverged
    assert result.trajectory.shape[0] == len(result.losses) and not math.isfinite(result.losses[-1])


def test_deepxde_fnn_imports_with_equal_predictions_and_loss(monkeypatch):
    monkeypatch.setenv("DDE_BACKEND", "pytorch")
    os.environ.setdefault("DDEBACKEND", "pytorch")
    import deepxde as dde

    from losstopo.interop.deepxde import deepxde_widths, flat_from_deepxde

    dde.config.set_default_float("float64")
    torch.manual_seed(0)
    net = dde.nn.FNN([2, 8, 8, 1], "tanh", "Glorot normal")
    for layer in net.linears:  # DeepXDE zero-initialises biases; make them count in the comparison
        torch.nn.init.normal_(layer.bias, std=0.3)
    problem = tiny_pinn()
    assert deepxde_widths(net) == problem.widths
    theta = flat_from_deepxde(net, problem.spec)
    grid = problem.grid
    with torch.no_grad():
        expected = net(grid)[:, 0].numpy().reshape(problem.config.n_t, problem.config.n_x)
    np.testing.assert_allclose(problem.predict(theta), expected, rtol=1e-12, atol=1e-12)
    assert float(problem.loss(theta)) == pytest.approx(module_loss_terms(problem, theta)["loss"], rel=1e-10)

    wrong = dde.nn.FNN([2, 9, 8, 1], "tanh", "Glorot normal")
    with pytest.raises(ValueError, match="do not match"):
        flat_from_deepxde(wrong, problem.spec)


def autograd_module_loss(problem: ConvectionPINN, theta: torch.Tensor) -> torch.Tensor:
    """The total loss via a tanh nn.Module and create_graph input derivatives: differentiable in theta."""
    from torch.func import functional_call

    c = problem.config
    net = MLP(problem.widths).to(c.dtype)
    params = problem.spec.unflatten(theta)
    xf = problem.inputs[: c.n_f].clone().requires_grad_(True)
    u = functional_call(net, params, (xf,))
    du = torch.autograd.grad(u.sum(), xf, create_graph=True)[0]
    rest = functional_call(net, params, (problem.inputs[c.n_f :],))[:, 0]
    u_ic, u_lo, u_hi = rest[: c.n_x], rest[c.n_x : c.n_x + c.n_t], rest[c.n_x + c.n_t :]
    residual = du[:, 1] + c.beta * du[:, 0]
    return ((u_ic - problem.u0) ** 2).mean() + ((u_lo - u_hi) ** 2).mean() + c.c_r * (residual**2).mean()


def test_gradient_and_hessian_vector_product_match_autograd_module():
    problem = ConvectionPINN(ConvectionConfig(beta=7.0, hidden=(12, 9, 7), n_x=24, n_t=10, n_f=30,
                                              dtype=torch.float64))
    theta = problem.init(0).requires_grad_(True)
    v = torch.randn(theta.numel(), dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    results = []
    for loss_fn in (problem.loss, lambda th: autograd_module_loss(problem, th)):
        grad = torch.autograd.grad(loss_fn(theta), theta, create_graph=True)[0]
        results.append((grad.detach(), torch.autograd.grad(grad @ v, theta)[0]))
    torch.testing.assert_close(results[0][0], results[1][0], rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(results[0][1], results[1][1], rtol=1e-9, atol=1e-10)


def test_reused_buffers_do_not_change_values(pinn):
    thetas = pinn.init(0) + 0.2 * torch.randn(5, pinn.spec.size, dtype=torch.float64,
                                              generator=torch.Generator().manual_seed(2))
    first = pinn.loss_terms(thetas)["loss"].clone()
    pinn.loss_terms(thetas[:3] * 2)
    second = pinn.loss_terms(thetas)["loss"]
    assert torch.equal(first, second) and pinn.workspace.buffers


def test_test_term_is_the_prediction_error_at_grid_points():
    """L_test of each vector equals the squared error of `predict` against sin(x - beta t) at its points."""
    config = ConvectionConfig(beta=3.0, hidden=(8, 8), n_x=32, n_t=16, n_f=40, n_test=50, dtype=torch.float64)
    pinn, plain = ConvectionPINN(config), ConvectionPINN(ConvectionConfig(**{**config.__dict__, "n_test": 0}))
    thetas = torch.stack([pinn.init(seed) for seed in range(3)])
    terms = pinn.loss_terms(thetas)
    x, t = pinn.test_inputs[:, 0].numpy(), pinn.test_inputs[:, 1].numpy()
    col, row = np.rint(x / (2 * math.pi / 32)).astype(int), np.rint(t * 15).astype(int)
    assert len({(r, c) for r, c in zip(row, col)}) == 50
    for b, theta in enumerate(thetas):
        expected = np.mean((pinn.predict(theta)[row, col] - exact_solution(x, t, 3.0)) ** 2)
        assert float(terms["test"][b]) == pytest.approx(expected, rel=1e-10)
    assert set(plain.loss_terms(thetas)) == {"ic", "bc", "r", "loss"}
    assert torch.equal(terms["loss"], plain.loss_terms(thetas)["loss"])
    with pytest.raises(ValueError, match="n_test=513"):
        ConvectionConfig(n_x=32, n_t=16, n_f=40, n_test=513)
