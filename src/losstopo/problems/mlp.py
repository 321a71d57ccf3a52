"""Fully connected tanh networks, as a module (for init and interop) and as a batched function.

The batched function evaluates B parameter vectors at once with one `bmm` per layer and carries the
directional input derivative alongside the value (forward-mode by hand), which a PINN residual needs
and which is ~1.5x faster than `vmap` over `jvp` on a CPU.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from losstopo.problems.base import ParamSpec


class MLP(nn.Module):
    """widths[0] -> widths[1] -> ... -> widths[-1], tanh between layers, PyTorch default init."""

    def __init__(self, widths: list[int]) -> None:
        super().__init__()
        if len(widths) < 2 or min(widths) < 1:
            raise ValueError(f"an MLP needs >= 2 positive layer widths, got {widths}")
        self.widths = list(widths)
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:]))

    def forward(self, x: Tensor) -> Tensor:
        for i, layer in enumerate(self.layers):
            x = layer(x)
            if i < len(self.layers) - 1:
                x = torch.tanh(x)
        return x


def mlp_spec(widths: list[int]) -> ParamSpec:
    """The flat layout of `MLP(widths)`: per layer its weight [out, in] then its bias [out]."""
    shapes = []
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        shapes += [(f"layers.{i}.weight", (b, a)), (f"layers.{i}.bias", (b,))]
    return ParamSpec.from_shapes(shapes)


def batched_mlp(
    spec: ParamSpec, thetas: Tensor, x: Tensor, n_tangent: int = 0, direction: Tensor | None = None
) -> tuple[Tensor, Tensor | None]:
    """Outputs [B, N, out] of B networks at inputs x [N, in], and derivatives along `direction`.

    The derivative d/ds u(x + s * direction) is returned for the first `n_tangent` rows of x, as a
    tensor [B, n_tangent, out] (None when n_tangent is 0).
    """
    params = spec.unflatten(thetas)
    n_layers = len(spec.blocks) // 2
    n = x.shape[0]
    h = tangent = None
    for i in range(n_layers):
        w = params[f"layers.{i}.weight"].transpose(-1, -2)
        b = params[f"layers.{i}.bias"].unsqueeze(-2)
        if i == 0:
            h = torch.matmul(x, w) + b
            if n_tangent:
                tangent = torch.matmul(direction.to(x.dtype).reshape(1, -1), w).expand(-1, n_tangent, -1)
            continue
        a = torch.tanh(h)
        if n_tangent:
            tangent = (1 - a[:, :n_tangent] ** 2) * tangent
            z = torch.bmm(torch.cat([a, tangent], dim=1), w)
            h, tangent = z[:, :n] + b, z[:, n:]
        else:
            h = torch.bmm(a, w) + b
    return h, tangent
