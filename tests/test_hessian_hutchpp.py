"""Hutch++ against Hutchinson on known spectra and against the dense Hessian of a tiny net."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from losstopo.hessian import HessianOperator, hutchinson_trace
from losstopo.hessian.hutchpp import hutchpp_trace


class DenseOperator:
    """A matrix as an `Operator`, to test the algorithm apart from autograd."""

    def __init__(self, matrix: torch.Tensor) -> None:
        self.matrix, self.size, self.dtype, self.device = matrix, matrix.shape[0], matrix.dtype, matrix.device

    def __call__(self, v: torch.Tensor) -> torch.Tensor:
        return self.matrix @ v


def with_spectrum(eigenvalues: torch.Tensor, seed: int = 0) -> DenseOperator:
    """The symmetric matrix with these eigenvalues in a random orthonormal basis."""
    g = torch.Generator().manual_seed(seed)
    n = len(eigenvalues)
    basis, _ = torch.linalg.qr(torch.randn(n, n, generator=g, dtype=torch.float64))
    return DenseOperator(basis @ torch.diag(eigenvalues) @ basis.T)


K = torch.arange(1, 201, dtype=torch.float64)


@pytest.mark.parametrize("spectrum", [1 / K**2, torch.exp(-(K - 1) / 10)], ids=["inverse_square", "exp"])
def test_hutchpp_beats_hutchinson_with_half_the_products(spectrum):
    """Median absolute error over 50 seeds on a 200-dim operator. Measured: 1/k^2 spectrum, Hutch++ with
    60 products 0.11% of the trace against Hutchinson's 6.9% with 120; exp(-k/10), 1.2% against 2.1%."""
    op, exact = with_spectrum(spectrum), float(spectrum.sum())
    hutchinson = [hutchinson_trace(op, rtol=0.0, min_samples=120, max_samples=120, seed=s) for s in range(50)]
    hutchpp = [hutchpp_trace(op, n_hvp=60, seed=s) for s in range(50)]
    assert {r.n_hvp for r in hutchinson} == {120} and {r.n_hvp for r in hutchpp} == {60}
    error = np.median([abs(r.mean - exact) for r in hutchpp])
    assert error <= np.median([abs(r.mean - exact) for r in hutchinson])
    assert error <= 0.02 * exact


def test_low_rank_operator_is_captured_exactly():
    """A rank-5 operator: 10 sketch probes span its range, so the sampled rest is zero."""
    spectrum = torch.cat([torch.tensor([5.0, 3.0, -2.0, 1.0, 0.5], dtype=torch.float64), torch.zeros(95)])
    result = hutchpp_trace(with_spectrum(spectrum), n_hvp=30, seed=1)
    assert result.mean == pytest.approx(7.5, abs=1e-12)
    assert result.low_rank == pytest.approx(7.5, abs=1e-12)
    assert np.abs(result.samples).max() < 1e-12 and result.n_samples == 10 and result.rank == 10


def test_seeded_and_counted():
    op = with_spectrum(1 / K**2)
    first, again = hutchpp_trace(op, n_hvp=31, seed=4), hutchpp_trace(op, n_hvp=31, seed=4)
    assert first.mean == again.mean and first.n_hvp == 31 and first.n_samples == 11
    assert hutchpp_trace(op, n_hvp=31, seed=5).mean != first.mean
    with pytest.raises(ValueError, match="at least 3"):
        hutchpp_trace(op, n_hvp=2)


def test_full_sketch_equals_dense_hessian_trace(regression):
    """With a sketch as wide as the 161 parameters, Q is a full basis and Hutch++ is the exact trace of
    the dense Hessian (torch.autograd.functional.hessian), using only 2 x 161 of its 3 x 161 products."""
    theta = regression.init(0)
    dense = torch.autograd.functional.hessian(regression.loss, theta)
    op = HessianOperator(regression, theta)
    result = hutchpp_trace(op, n_hvp=3 * theta.numel(), seed=0)
    exact = float(torch.trace(dense))
    assert abs(result.mean - exact) <= 1e-8 * max(1.0, abs(exact))
    assert (result.rank, result.n_hvp, op.n_hvp, result.stderr) == (161, 322, 322, 0.0)
