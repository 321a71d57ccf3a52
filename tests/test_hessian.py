"""The curvature engine against its oracle: the dense Hessian of tiny nets, from torch.func.hessian."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.special import ndtr

from losstopo.hessian import (
    HessianOperator,
    hutchinson_trace,
    loss_parts,
    power_iteration,
    quadrature,
    spectral_density,
    top_eigen,
)

PROBLEMS = ["regression", "pinn", "classifier"]


def dense(problem, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """theta, the dense Hessian at theta, and its eigen-decomposition (ascending)."""
    theta = problem.init(seed)
    h = torch.func.hessian(problem.loss)(theta)
    values, vectors = torch.linalg.eigh(h)
    return theta, h, (values, vectors)


class DenseOperator:
    """A matrix as an `Operator`, to test the algorithms apart from autograd."""

    def __init__(self, matrix: torch.Tensor) -> None:
        self.matrix, self.size, self.dtype, self.device = matrix, matrix.shape[0], matrix.dtype, matrix.device

    def __call__(self, v: torch.Tensor) -> torch.Tensor:
        return self.matrix @ v


@pytest.mark.parametrize("name", PROBLEMS)
@pytest.mark.parametrize("method", ["graph", "jvp"])
def test_hvp_matches_dense_hessian(name, method, request):
    problem = request.getfixturevalue(name)
    theta, h, _ = dense(problem)
    op = HessianOperator(problem, theta, method=method)
    v = torch.randn(theta.numel(), dtype=theta.dtype, generator=torch.Generator().manual_seed(3))
    torch.testing.assert_close(op(v), h @ v, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(op(2 * v), 2 * (h @ v), rtol=1e-10, atol=1e-12)
    assert op.n_hvp == 2


def test_loader_loss_splits_into_batches_and_rebuilds_graphs_over_budget(classifier):
    theta, h, _ = dense(classifier)
    parts = loss_parts(classifier)
    assert len(parts) == 2
    torch.testing.assert_close(sum(f(theta) for f in parts), classifier.loss(theta))
    kept, rebuilt = HessianOperator(classifier, theta), HessianOperator(classifier, theta, memory_mb=0)
    assert kept.keep_graphs and not rebuilt.keep_graphs and rebuilt.graph_bytes > 0
    v = torch.ones_like(theta)
    torch.testing.assert_close(rebuilt(v), h @ v, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(kept(v), h @ v, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", PROBLEMS)
def test_lanczos_top3_matches_dense_eigenpairs(name, request):
    problem = request.getfixturevalue(name)
    theta, _, (values, vectors) = dense(problem)
    result = top_eigen(HessianOperator(problem, theta), k=3, tol=1e-6, max_iter=100, seed=0)
    exact = values.flip(0)[:3]
    assert result.converged
    assert torch.all((result.eigenvalues - exact).abs() <= 1e-4 * exact.abs())
    cosines = (result.eigenvectors @ vectors[:, -3:].flip(1)).diagonal().abs()
    assert torch.all(cosines > 0.999), cosines
    torch.testing.assert_close(result.eigenvectors.norm(dim=1), torch.ones(3, dtype=theta.dtype))
    assert result.n_hvp < theta.numel() / 2  # a Krylov method, not a dense factorisation in disguise


def test_lanczos_largest_magnitude_and_power_iteration_agree_with_dense(pinn):
    theta, _, (values, vectors) = dense(pinn, seed=1)
    order = values.abs().argsort(descending=True)[:2]
    op = HessianOperator(pinn, theta)
    krylov = top_eigen(op, 2, tol=1e-8, which="magnitude")
    for result in (krylov, power_iteration(op, 2, tol=1e-8, max_iter=3000)):
        assert result.converged
        torch.testing.assert_close(result.eigenvalues, values[order], rtol=1e-6, atol=0)
        assert torch.all((result.eigenvectors @ vectors[:, order]).diagonal().abs() > 0.999)
    assert op.n_hvp > 0


def test_lanczos_on_a_known_spectrum_stops_on_the_ritz_residual():
    g = torch.Generator().manual_seed(0)
    q, _ = torch.linalg.qr(torch.randn(300, 300, dtype=torch.float64, generator=g))
    spectrum = torch.cat([torch.tensor([50.0, 20.0, 10.0, -30.0]), torch.linspace(-1, 1, 296)]).double()
    op = DenseOperator(q @ torch.diag(spectrum) @ q.T)
    loose, tight = top_eigen(op, 3, tol=1e-2), top_eigen(op, 3, tol=1e-10)
    assert loose.n_hvp < tight.n_hvp < 60
    torch.testing.assert_close(tight.eigenvalues, torch.tensor([50.0, 20.0, 10.0], dtype=torch.float64))
    assert torch.all(tight.residuals <= 1e-10 * 50)
    assert torch.all(loose.residuals <= 1e-2 * 50) and torch.any(loose.residuals > 1e-10 * 50)
    torch.testing.assert_close(top_eigen(op, 1, which="magnitude", tol=1e-10).eigenvalues,
                               torch.tensor([50.0], dtype=torch.float64))
    torch.testing.assert_close(top_eigen(op, 4, which="magnitude", tol=1e-10).eigenvalues[-1],
                               torch.tensor(10.0, dtype=torch.float64))


def test_results_are_seeded(regression):
    theta = regression.init(0)
    op = HessianOperator(regression, theta)
    a, b = top_eigen(op, 2, tol=1e-3, seed=5), top_eigen(op, 2, tol=1e-3, seed=5)
    assert torch.equal(a.eigenvectors, b.eigenvectors) and a.n_hvp == b.n_hvp
    t1, t2 = hutchinson_trace(op, rtol=0.1, seed=2), hutchinson_trace(op, rtol=0.1, seed=2)
    assert np.array_equal(t1.samples, t2.samples)
    assert not np.array_equal(t1.samples, hutchinson_trace(op, rtol=0.1, seed=3).samples)


@pytest.mark.parametrize("name", PROBLEMS)
def test_hutchinson_trace_within_three_standard_errors(name, request):
    problem = request.getfixturevalue(name)
    theta, h, _ = dense(problem)
    exact = float(h.trace())
    op = HessianOperator(problem, theta)
    plain = hutchinson_trace(op, rtol=0.05, max_samples=600, seed=0)
    deflated = hutchinson_trace(op, rtol=0.05, max_samples=600, seed=0, deflate=top_eigen(op, 3, tol=1e-6))
    for result in (plain, deflated):
        assert abs(result.mean - exact) <= 3 * result.stderr
        assert 0 < result.stderr <= 0.1 * abs(exact)
        assert result.n_hvp == result.n_samples <= 600
    assert deflated.deflated != 0.0


def test_hutchinson_is_exact_on_diagonals_and_unbiased_to_the_percent(regression):
    diagonal = DenseOperator(torch.diag(torch.linspace(-1.0, 3.0, 50, dtype=torch.float64)))
    exact_probes = hutchinson_trace(diagonal, rtol=1e-3, seed=0)  # z^T D z = tr D for every +-1 vector z
    assert exact_probes.mean == pytest.approx(50.0, abs=1e-10) and exact_probes.n_samples == 10
    theta, h, _ = dense(regression)
    many = hutchinson_trace(DenseOperator(h), rtol=0.01, max_samples=20_000, seed=1)
    assert abs(many.mean - float(h.trace())) <= 3 * many.stderr <= 0.04 * float(h.trace())


def test_slq_with_full_steps_recovers_the_exact_spectrum(pinn):
    theta, _, (values, _) = dense(pinn)
    nodes, weights, n_hvp = quadrature(HessianOperator(pinn, theta), runs=1, steps=theta.numel(), seed=0)
    assert n_hvp == theta.numel()
    np.testing.assert_allclose(np.sort(nodes[0]), values.numpy(), atol=1e-8 * float(values.abs().max()))
    assert weights.sum() == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("name", PROBLEMS)
def test_slq_density_integrates_to_one_where_the_eigenvalues_are(name, request):
    problem = request.getfixturevalue(name)
    theta, _, (values, _) = dense(problem)
    result = spectral_density(HessianOperator(problem, theta), runs=8, steps=30, seed=0)
    assert result.n_hvp == 8 * 30
    assert np.trapezoid(result.density, result.grid) == pytest.approx(1.0, abs=1e-6)
    steps = np.diff(result.grid) * (result.density[1:] + result.density[:-1]) / 2
    cdf = np.concatenate([[0.0], np.cumsum(steps)])
    # The exact spectrum smoothed by the same Gaussian: its CDF is the mean of normal CDFs.
    exact_cdf = ndtr((result.grid[:, None] - values.numpy()[None]) / result.width).mean(axis=1)
    assert np.max(np.abs(cdf - exact_cdf)) < 0.12
    lo, hi = float(values[0]), float(values[-1])
    inside = (result.grid >= lo - 3 * result.width) & (result.grid <= hi + 3 * result.width)
    assert np.trapezoid(result.density[inside], result.grid[inside]) == pytest.approx(1.0, abs=1e-3)


def test_pyhessian_top_eigenvalue_agrees_on_a_classifier(classifier):
    from pyhessian import hessian

    theta, _, (values, _) = dense(classifier)
    model = classifier.make_module().double()
    model.load_state_dict(classifier.spec.unflatten(theta))
    default = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # pyhessian draws its vectors in the default dtype
    try:
        theirs, _ = hessian(model, torch.nn.CrossEntropyLoss(), dataloader=classifier.batches,
                            cuda=False).eigenvalues(maxIter=500, tol=1e-7)
    finally:
        torch.set_default_dtype(default)
    ours = top_eigen(HessianOperator(classifier, theta), 1, tol=1e-6)
    assert float(ours.eigenvalues[0]) == pytest.approx(theirs[0], rel=1e-4)
    assert float(ours.eigenvalues[0]) == pytest.approx(float(values[-1]), rel=1e-8)
