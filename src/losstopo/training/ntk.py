"""NTK-adaptive loss weighting (Wang, Yu, Perdikaris 2022) for the convection PINN.

The NTK of a PINN has one diagonal block per loss term, K_ii = J_i J_i^T, J_i the Jacobian of that
term's pointwise residuals (the vector whose mean square is L_i) w.r.t. theta. The weights are
lambda_i = trace(K) / trace(K_ii), trace(K) = sum_j trace(K_jj), with trace(K_ii) = sum over the
term's points of ||d res_p / d theta||^2 = ||J_i||_F^2, from per-point gradients batched with
torch.func (vmap of grad): O(N) work, where a full reverse-mode Jacobian costs O(N^2). The weights
are recomputed every `every` steps.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import Tensor
from torch.func import grad, vmap

from losstopo.problems.convection import ConvectionPINN
from losstopo.problems.mlp import batched_mlp

# (f(theta, one point) -> scalar residual, the points [N, d])
PointResidual = tuple[Callable[[Tensor, Tensor], Tensor], Tensor]


def pinn_residuals(pinn: ConvectionPINN, theta: Tensor) -> dict[str, Tensor]:
    """Pointwise residuals of one vector: "ic" u(x,0) - sin x, "bc" u(0,t) - u(2pi,t), "r" u_t + beta u_x.

    Their mean squares are `pinn.loss_terms`' "ic", "bc" and "r".
    """
    c = pinn.config
    u, residual = batched_mlp(pinn.spec, theta.unsqueeze(0), pinn.inputs.to(theta.device), c.n_f,
                              pinn.direction.to(theta.device))
    u = u[0, :, 0]
    lower = u[c.n_f + c.n_x : c.n_f + c.n_x + c.n_t]
    upper = u[c.n_f + c.n_x + c.n_t :]
    return {
        "ic": u[c.n_f : c.n_f + c.n_x] - pinn.u0.to(theta.device),
        "bc": lower - upper,
        "r": residual[0, :, 0],
    }


def pinn_point_residuals(pinn: ConvectionPINN) -> dict[str, PointResidual]:
    """Each term's residual as a function of (theta, one point) with its points, for per-point gradients.

    "r" at (x, t) is u_t + beta u_x; "ic" at (x, 0, sin x) is u(x, 0) - sin x; "bc" at the pair
    ((0, t), (2pi, t)) is u(0, t) - u(2pi, t).
    """
    c = pinn.config
    spec, direction = pinn.spec, pinn.direction
    collocation, initial, lower, upper = pinn.inputs.split([c.n_f, c.n_x, c.n_t, c.n_t])

    def residual(theta: Tensor, point: Tensor) -> Tensor:
        _, tangent = batched_mlp(spec, theta.unsqueeze(0), point.unsqueeze(0), 1, direction.to(theta))
        return tangent[0, 0, 0]

    def initial_error(theta: Tensor, point: Tensor) -> Tensor:
        u, _ = batched_mlp(spec, theta.unsqueeze(0), point[:2].unsqueeze(0))
        return u[0, 0, 0] - point[2]

    def periodicity(theta: Tensor, pair: Tensor) -> Tensor:
        u, _ = batched_mlp(spec, theta.unsqueeze(0), pair.reshape(2, 2))
        return u[0, 0, 0] - u[0, 1, 0]

    return {
        "ic": (initial_error, torch.cat([initial, pinn.u0.unsqueeze(1).to(initial)], dim=1)),
        "bc": (periodicity, torch.cat([lower, upper], dim=1)),
        "r": (residual, collocation),
    }


def ntk_traces(point_residuals: dict[str, PointResidual], theta: Tensor) -> dict[str, Tensor]:
    """trace(K_ii) = sum over the term's points of ||d res_p / d theta||^2, per-point gradients under vmap."""
    theta = theta.detach()
    traces = {}
    for term, (function, points) in point_residuals.items():
        jacobian = vmap(grad(function), in_dims=(None, 0))(theta, points.to(theta))  # [N_i, P]
        traces[term] = (jacobian**2).sum()
    return traces


def ntk_weights(traces: dict[str, Tensor], terms: Sequence[str]) -> Tensor:
    """lambda_i = sum_j trace(K_jj) / trace(K_ii), in the order of `terms`."""
    missing = [t for t in terms if t not in traces]
    if missing:
        raise KeyError(f"no NTK trace for terms {missing}; the residual functions cover {sorted(traces)}")
    values = torch.stack([traces[t] for t in terms])
    return values.sum() / values


class NTKWeights:
    """The NTK weighting as a `Balancer` (losstopo.training.balancing): recomputed every `every` steps."""

    def __init__(self, point_residuals: dict[str, PointResidual], every: int = 100) -> None:
        if every < 1:
            raise ValueError(f"NTK weights need every >= 1, got {every}")
        self.point_residuals, self.every = point_residuals, every

    def needs_gradients(self, step: int) -> bool:
        return False

    def reset(self, terms: Sequence[str], seed: int) -> None:
        self.terms = tuple(terms)
        self.current: Tensor | None = None

    def weights(self, step: int, theta: Tensor, losses: Tensor, grads: Tensor | None) -> Tensor:
        if self.current is None or step % self.every == 0:
            traces = ntk_traces(self.point_residuals, theta)
            self.current = ntk_weights(traces, self.terms).detach()
        return self.current.to(losses.dtype)
