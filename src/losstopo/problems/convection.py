"""The 1-D convection PINN of Krishnapriyan et al. (2021): u_t + beta u_x = 0, u(x, 0) = sin(x).

Domain x in [0, 2pi) (periodic), t in [0, 1]; exact solution u = sin(x - beta t).
Loss = L_ic + L_bc + c_r * L_r with
  L_ic = mean((u(x_i, 0) - sin x_i)^2)            on the x grid,
  L_bc = mean((u(0, t_j) - u(2pi, t_j))^2)         on the t grid (periodicity),
  L_r  = mean((u_t + beta u_x)^2)                  on N_f collocation points drawn from the grid's interior.
The residual u_t + beta u_x is the derivative of u along the input direction (beta, 1), carried
forward through the network by `batched_mlp`. With `n_test` > 0 the terms also hold
  L_test = mean((u - sin(x - beta t))^2)          on n_test points drawn from the x-t grid,
the prediction error on the test domain that paper N draws landscapes of (not part of the loss).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import Tensor

from losstopo.problems.base import ParamSpec
from losstopo.problems.mlp import MLP, Workspace, batched_mlp, mlp_spec


@dataclass(frozen=True)
class ConvectionConfig:
    """Everything that defines one convection PINN problem (defaults: Krishnapriyan et al.)."""

    beta: float = 1.0
    c_r: float = 1.0
    hidden: tuple[int, ...] = (50, 50, 50, 50)
    n_x: int = 256
    n_t: int = 100
    n_f: int = 100
    n_test: int = 0
    data_seed: int = 0
    dtype: torch.dtype = field(default=torch.float32)

    def __post_init__(self) -> None:
        if self.beta < 0:
            raise ValueError(f"beta must be >= 0, got {self.beta}")
        if min(self.n_x, self.n_t, self.n_f) < 1:
            raise ValueError("n_x, n_t and n_f must be positive")
        if self.n_f > (self.n_x - 1) * (self.n_t - 1):
            raise ValueError(f"n_f={self.n_f} exceeds the interior of the {self.n_x}x{self.n_t} grid")
        if not 0 <= self.n_test <= self.n_x * self.n_t:
            raise ValueError(f"n_test={self.n_test} must lie in [0, {self.n_x * self.n_t}] (the {self.n_x}x"
                             f"{self.n_t} grid)")


def exact_solution(x: np.ndarray, t: np.ndarray, beta: float) -> np.ndarray:
    """u(x, t) = sin(x - beta t), broadcasting x and t."""
    return np.sin(x - beta * t)


class ConvectionPINN:
    """The convection PINN as a `Problem` over flat parameter vectors."""

    terms = ("ic", "bc", "r")

    def __init__(self, config: ConvectionConfig = ConvectionConfig()) -> None:
        self.config = config
        self.widths = [2, *config.hidden, 1]
        self.spec: ParamSpec = mlp_spec(self.widths)
        dt = config.dtype
        self.x = np.linspace(0.0, 2.0 * math.pi, config.n_x, endpoint=False)
        self.t = np.linspace(0.0, 1.0, config.n_t)
        grid_x, grid_t = np.meshgrid(self.x, self.t)  # [n_t, n_x]
        self.grid = torch.tensor(np.stack([grid_x.ravel(), grid_t.ravel()], axis=1), dtype=dt)
        self.u_exact = exact_solution(grid_x, grid_t, config.beta)

        # Collocation points come from the grid's interior (t > 0, x > 0), as in the reference code.
        interior = self.grid.reshape(config.n_t, config.n_x, 2)[1:, 1:].reshape(-1, 2)
        rng = np.random.default_rng(config.data_seed)
        collocation = interior[torch.as_tensor(rng.choice(interior.shape[0], size=config.n_f, replace=False))]
        initial = torch.tensor(np.stack([self.x, np.zeros_like(self.x)], axis=1), dtype=dt)
        lower = torch.tensor(np.stack([np.zeros_like(self.t), self.t], axis=1), dtype=dt)
        upper = torch.tensor(np.stack([np.full_like(self.t, 2 * math.pi), self.t], axis=1), dtype=dt)
        # One input matrix for all loss terms; the residual rows come first (they carry tangents).
        self.inputs = torch.cat([collocation, initial, lower, upper])
        self.u0 = torch.sin(initial[:, 0])
        test = torch.as_tensor(rng.choice(self.grid.shape[0], size=config.n_test, replace=False))
        self.test_inputs = self.grid[test]
        self.test_u = torch.tensor(self.u_exact.ravel()[test.numpy()], dtype=dt)
        self.direction = torch.tensor([config.beta, 1.0], dtype=dt)
        self.workspace = Workspace()

    def init(self, seed: int) -> Tensor:
        """PyTorch's default initialisation of the network under `seed`, as a flat vector."""
        torch.manual_seed(seed)
        module = MLP(self.widths).to(self.config.dtype)
        return self.spec.flatten(dict(module.named_parameters()))

    def loss_terms(self, thetas: Tensor) -> dict[str, Tensor]:
        """L_ic, L_bc, L_r, the total (and L_test if n_test > 0) for parameter vectors [B, P]; each [B]."""
        c = self.config
        taped = torch.is_grad_enabled() and thetas.requires_grad  # reused buffers only off the tape
        u, residual = batched_mlp(self.spec, thetas, self.inputs.to(thetas.device), c.n_f,
                                  self.direction.to(thetas.device), None if taped else self.workspace)
        u = u[..., 0]
        u_ic = u[:, c.n_f : c.n_f + c.n_x]
        u_lower, u_upper = u[:, c.n_f + c.n_x : c.n_f + c.n_x + c.n_t], u[:, c.n_f + c.n_x + c.n_t :]
        terms = {
            "ic": ((u_ic - self.u0.to(thetas.device)) ** 2).mean(dim=1),
            "bc": ((u_lower - u_upper) ** 2).mean(dim=1),
            "r": (residual[..., 0] ** 2).mean(dim=1),
        }
        terms["loss"] = terms["ic"] + terms["bc"] + c.c_r * terms["r"]
        if c.n_test:
            u_test, _ = batched_mlp(self.spec, thetas, self.test_inputs.to(thetas.device))
            terms["test"] = ((u_test[..., 0] - self.test_u.to(thetas.device)) ** 2).mean(dim=1)
        return terms

    def loss(self, theta: Tensor) -> Tensor:
        """The scalar total loss of one flat vector, twice differentiable."""
        return self.loss_terms(theta.unsqueeze(0))["loss"][0]

    def predict(self, theta: Tensor) -> np.ndarray:
        """u(x, t) on the evaluation grid, shape [n_t, n_x]."""
        with torch.no_grad():
            u, _ = batched_mlp(self.spec, theta.detach().unsqueeze(0), self.grid.to(theta.device))
        return u[0, :, 0].cpu().double().numpy().reshape(self.config.n_t, self.config.n_x)

    def evaluate(self, theta: Tensor) -> dict[str, float]:
        """Errors against the exact solution on the n_x x n_t grid, and the loss terms."""
        u = self.predict(theta)
        diff = u - self.u_exact
        metrics = {
            "rel_l2_error": float(np.linalg.norm(diff) / np.linalg.norm(self.u_exact)),
            "mean_abs_error": float(np.mean(np.abs(diff))),
            "rel_linf_error": float(np.max(np.abs(diff)) / np.max(np.abs(self.u_exact))),
        }
        with torch.no_grad():
            terms = self.loss_terms(theta.detach().unsqueeze(0))
        metrics.update({f"loss_{k}" if k != "loss" else k: float(v[0]) for k, v in terms.items()})
        return metrics


def build(settings: dict, buffers: dict[str, Tensor] | None = None) -> ConvectionPINN:
    """The registry's builder: a convection PINN from a config slice (`dtype` as a string)."""
    from losstopo.problems.registry import DTYPES

    settings = dict(settings)
    dtype = DTYPES[settings.pop("dtype", "float32")]
    hidden = tuple(settings.pop("hidden", (50, 50, 50, 50)))
    return ConvectionPINN(ConvectionConfig(hidden=hidden, dtype=dtype, **settings))
