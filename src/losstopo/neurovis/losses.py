"""The Neuro-Visualizer's training losses (paper N, Sec. 3 and App. A), each a mean so weights compare.

All distances are Euclidean: parameter-space ones in the normalised space the auto-encoder works in,
latent ones on the grid [-1, 1]^2.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import torch
from torch import Tensor

ANCHORS = ("none", "polar", "center", "circle", "diagonal")
RADIUS = 0.8  # the paper's r for polar and circle pinning


def reconstruction_loss(x: Tensor, x_rec: Tensor) -> Tensor:
    """L_rec (eq. 1): mean squared error over models and coordinates."""
    return ((x_rec - x) ** 2).mean()


def anchor_targets(kind: str, n_models: int, radius: float = RADIUS) -> tuple[Tensor, Tensor]:
    """Indices of the anchored models in the stacked trajectory and their grid targets [A, 2].

    polar: first at (-r, -r), last at (r, r); center: last at (0, 0); circle: model k at angle 2 pi k / K,
    (r sin, r cos); diagonal: every model, evenly spaced from (-r, -r) to (r, r).
    """
    last = n_models - 1
    if kind == "polar":
        return torch.tensor([0, last]), torch.tensor([[-radius, -radius], [radius, radius]])
    if kind == "center":
        return torch.tensor([last]), torch.zeros(1, 2)
    if kind == "circle":
        angle = 2 * math.pi * torch.arange(n_models, dtype=torch.float64) / n_models
        return torch.arange(n_models), (radius * torch.stack([angle.sin(), angle.cos()], dim=1)).float()
    if kind == "diagonal":
        t = torch.linspace(-radius, radius, n_models)
        return torch.arange(n_models), torch.stack([t, t], dim=1)
    raise ValueError(f"unknown anchor {kind!r}; choose one of {ANCHORS}")


def anchor_loss(z: Tensor, targets: Tensor) -> Tensor:
    """L_anch (eq. 2): mean squared distance of the anchored models' codes [A, 2] from their targets."""
    return ((z - targets.to(z)) ** 2).mean()


def grid_loss(z_grid: Tensor, x_grid: Tensor, z_models: Tensor, x_models: Tensor, d_max: float,
              l_max: float) -> Tensor:
    """L_grid (eq. 3): mean of ((log d_m - l_m) - (log d_max - l_max))^2 over grid points m.

    For grid point m (code z_grid, decoding x_grid) the nearest model in latent space (codes z_models,
    vectors x_models) is at latent distance l_m and parameter distance d_m, so the loss holds
    d_m / d_max = exp(l_m - l_max): parameter distance grows by e per unit of grid distance, and a larger
    l_max zooms onto the trajectory. Pass detached `z_models` so only the grid points move.
    """
    latent = torch.cdist(z_grid, z_models)
    l_m, nearest = latent.min(dim=1)
    d_m = (x_grid - x_models[nearest]).norm(dim=1).clamp_min(1e-12)
    return ((torch.log(d_m) - l_m - (math.log(d_max) - l_max)) ** 2).mean()


def trajectory_spacing_loss(z: Tensor, lengths: Sequence[int]) -> Tensor:
    """L_traj: mean squared deviation of each latent step ||z_{i+1} - z_i|| from its trajectory's mean."""
    deviations = []
    for part in torch.split(z, list(lengths)):
        if part.shape[0] < 2:
            continue
        steps = (part[1:] - part[:-1]).norm(dim=1)
        deviations.append(steps - steps.mean())
    if not deviations:
        return z.new_zeros(())
    return (torch.cat(deviations) ** 2).mean()


def weighted_total(terms: Mapping[str, Tensor], weights: Mapping[str, float]) -> Tensor:
    """The weighted sum of the computed terms (paper: L_total = c_rec L_rec + sum_i c_i L_i)."""
    return sum(weights[name] * value for name, value in terms.items())
