"""Lanczos on rank-deficient operators: k orthonormal eigenvectors always, exact against a dense oracle."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from losstopo.hessian import HessianOperator, top_eigen
from losstopo.hessian.lanczos import lanczos, random_vector
from losstopo.problems.module import ModuleProblem

SIZE = 50


class DenseOperator:
    """A matrix as an `Operator`, counting its products."""

    def __init__(self, matrix: torch.Tensor) -> None:
        self.matrix, self.size, self.dtype, self.device = matrix, matrix.shape[0], matrix.dtype, matrix.device
        self.n_hvp = 0

    def __call__(self, v: torch.Tensor) -> torch.Tensor:
        self.n_hvp += 1
        return self.matrix @ v


def low_rank(eigenvalues: list[float], seed: int = 0) -> torch.Tensor:
    """A symmetric SIZE x SIZE matrix with the given nonzero eigenvalues in random orthonormal directions."""
    g = torch.Generator().manual_seed(seed)
    q, _ = torch.linalg.qr(torch.randn(SIZE, len(eigenvalues), dtype=torch.float64, generator=g))
    return q @ torch.diag(torch.tensor(eigenvalues, dtype=torch.float64)) @ q.T


def check_eigenpairs(matrix: torch.Tensor, result, expected: list[float]) -> None:
    """Orthonormal vectors, the expected eigenvalues and small true residuals ||A v - lambda v||."""
    k = len(expected)
    v = result.eigenvectors
    assert v.shape == (k, SIZE)
    assert (v @ v.T - torch.eye(k, dtype=v.dtype)).abs().max() < 1e-8
    torch.testing.assert_close(result.eigenvalues, torch.tensor(expected, dtype=torch.float64),
                               rtol=0, atol=1e-10)
    scale = max(abs(x) for x in expected)
    residuals = (v @ matrix - result.eigenvalues[:, None] * v).norm(dim=1)
    assert residuals.max() < 1e-10 * scale, residuals
    assert result.residuals.max() < 1e-10 * scale and result.converged


@pytest.mark.parametrize("spectrum", [[6.0], [6.0, 2.5]], ids=["rank1", "rank2"])
@pytest.mark.parametrize("seed", [0, 1])
def test_top4_of_a_rank_deficient_operator_are_four_orthonormal_vectors(spectrum, seed):
    matrix = low_rank(spectrum, seed)
    op = DenseOperator(matrix)
    result = top_eigen(op, k=4, tol=1e-10, seed=seed)
    check_eigenpairs(matrix, result, spectrum + [0.0] * (4 - len(spectrum)))
    # The nonzero eigenvectors are the matrix's own: the dense eigendecomposition is the oracle.
    values, vectors = torch.linalg.eigh(matrix)
    top = vectors[:, -len(spectrum):].flip(1)
    assert torch.all((result.eigenvectors[: len(spectrum)] @ top).diagonal().abs() > 1 - 1e-10)
    # Null directions found after the restarts are orthogonal to the range of the matrix.
    assert (result.eigenvectors[len(spectrum):] @ top).abs().max() < 1e-8
    assert result.n_hvp == op.n_hvp == 4  # Krylov space of dim rank + 1, then one product per restart


def test_magnitude_order_on_a_rank2_operator_with_a_negative_eigenvalue():
    matrix = low_rank([2.0, -5.0], seed=3)
    result = top_eigen(DenseOperator(matrix), k=4, tol=1e-10, which="magnitude")
    check_eigenpairs(matrix, result, [-5.0, 2.0, 0.0, 0.0])


def test_the_zero_operator_still_gives_k_orthonormal_null_vectors():
    matrix = torch.zeros(SIZE, SIZE, dtype=torch.float64)
    result = top_eigen(DenseOperator(matrix), k=3, tol=1e-6)
    v = result.eigenvectors
    assert (v @ v.T - torch.eye(3, dtype=v.dtype)).abs().max() < 1e-8
    assert torch.all(result.eigenvalues == 0) and result.converged


def test_rank1_hessian_of_a_linear_model_on_one_sample():
    """A real Problem whose Hessian is 2 x x^T / 1: rank 1, like a saturated model's."""
    x = torch.linspace(-1.0, 1.0, SIZE, dtype=torch.float64).unsqueeze(0)
    problem = ModuleProblem(lambda: nn.Linear(SIZE, 1, bias=False), [(x, torch.ones(1, 1))],
                            dtype=torch.float64)
    theta = problem.init(0)
    h = torch.func.hessian(problem.loss)(theta)
    assert torch.linalg.matrix_rank(h) == 1
    result = top_eigen(HessianOperator(problem, theta), k=4, tol=1e-8)
    check_eigenpairs(h, result, [float(2 * x.square().sum()), 0.0, 0.0, 0.0])


def test_without_restart_lanczos_stops_on_the_invariant_subspace():
    """SLQ relies on this: from one start vector, an invariant Krylov space makes its quadrature exact."""
    op = DenseOperator(low_rank([6.0, 2.5]))
    run = lanczos(op, random_vector(op, torch.Generator().manual_seed(0)), steps=10)
    assert run.exhausted and run.alpha.numel() == 3
    restarted = lanczos(op, random_vector(op, torch.Generator().manual_seed(0)), steps=10,
                        restart=torch.Generator().manual_seed(1))
    assert not restarted.exhausted and restarted.alpha.numel() == 10
    assert restarted.beta[2] == 0  # the coupling at the restart: T is block diagonal
    basis = restarted.basis
    assert (basis @ basis.T - torch.eye(10, dtype=basis.dtype)).abs().max() < 1e-12
