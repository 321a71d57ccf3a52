"""NTK weights of a tiny convection PINN against a dense Jacobian built one residual at a time."""

from __future__ import annotations

import torch

from losstopo.problems.convection import ConvectionConfig, ConvectionPINN
from losstopo.training.balancing import train_balanced
from losstopo.training.ntk import NTKWeights, ntk_traces, ntk_weights, pinn_point_residuals, pinn_residuals

TERMS = ("ic", "bc", "r")


def tiny_pinn() -> ConvectionPINN:
    """A 2 -> 6 -> 6 -> 1 PINN (67 parameters) with 12 collocation, 16 initial and 8 boundary points."""
    config = ConvectionConfig(beta=3.0, hidden=(6, 6), n_x=16, n_t=8, n_f=12, dtype=torch.float64)
    return ConvectionPINN(config)


def dense_traces(pinn, theta: torch.Tensor) -> dict[str, float]:
    """Oracle: the full Jacobian of each residual vector, row by row with autograd; trace = ||J||_F^2."""
    theta = theta.detach().clone().requires_grad_(True)
    traces = {}
    for term, values in pinn_residuals(pinn, theta).items():
        rows = [torch.autograd.grad(v, theta, retain_graph=True)[0] for v in values]
        jacobian = torch.stack(rows)
        traces[term] = float(torch.trace(jacobian @ jacobian.T))
    return traces


def test_residuals_square_to_the_loss_terms():
    pinn = tiny_pinn()
    theta = pinn.init(3)
    terms = pinn.loss_terms(theta.unsqueeze(0))
    for term, values in pinn_residuals(pinn, theta).items():
        torch.testing.assert_close((values**2).mean(), terms[term][0])


def test_point_residuals_match_the_residual_vectors():
    pinn = tiny_pinn()
    theta = pinn.init(1)
    vectors = pinn_residuals(pinn, theta)
    for term, (function, points) in pinn_point_residuals(pinn).items():
        torch.testing.assert_close(torch.stack([function(theta, p) for p in points]), vectors[term])


def test_ntk_traces_and_weights_equal_a_dense_jacobian_computation():
    pinn = tiny_pinn()
    theta = pinn.init(0)
    expected = dense_traces(pinn, theta)
    traces = ntk_traces(pinn_point_residuals(pinn), theta)
    for term in TERMS:
        assert abs(float(traces[term]) - expected[term]) <= 1e-10 * expected[term]
    total = sum(expected.values())
    torch.testing.assert_close(ntk_weights(traces, TERMS),
                               torch.tensor([total / expected[t] for t in TERMS], dtype=torch.float64))


def test_ntk_weights_are_recomputed_on_schedule_during_training():
    pinn = tiny_pinn()
    strategy = NTKWeights(pinn_point_residuals(pinn), every=5)
    result = train_balanced(pinn, pinn.init(0), strategy, steps=12, lr=1e-2, checkpoint_every=5, seed=0)
    w = result.weight_history
    assert torch.equal(w[0], w[4]) and torch.equal(w[5], w[9]) and torch.equal(w[10], w[11])
    assert not torch.equal(w[0], w[5])
    for block, checkpoint in [(0, 0), (5, 1), (10, 2)]:  # trajectory[k] is the vector at step 5 k
        traces = ntk_traces(pinn_point_residuals(pinn), result.trajectory[checkpoint])
        torch.testing.assert_close(w[block], ntk_weights(traces, TERMS))
