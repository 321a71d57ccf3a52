"""What every 2-D view of a trajectory provides, whichever method made it: the models' coordinates,
the grid to draw, and a decoder from grid coordinates back to (normalised) parameter vectors."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import Tensor

from losstopo.neurovis.autoencoder import AEFit
from losstopo.neurovis.data import TrajectorySet


@dataclass(frozen=True)
class Projection:
    """coords [K, 2] of the models, grid `axes` (x, y), `decode`: [B, 2] -> normalised [B, P], and the
    reconstruction rec(m) [K, P] (normalised) of every model; `seconds` spent fitting."""

    method: str
    coords: np.ndarray
    axes: tuple[np.ndarray, np.ndarray]
    decode: Callable[[np.ndarray], Tensor]
    reconstruction: Tensor
    seconds: float
    info: dict[str, Any] = field(default_factory=dict)


def square_axes(coords: np.ndarray, resolution: int, margin: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Equal-scale axes of a square around the coordinates' bounding box, widened by `margin` of its size."""
    lo, hi = coords.min(axis=0), coords.max(axis=0)
    centre, half = (lo + hi) / 2, max(float((hi - lo).max()) / 2, 1e-12) * (1 + margin)
    return tuple(np.linspace(c - half, c + half, resolution) for c in centre)


def unit_axes(resolution: int) -> tuple[np.ndarray, np.ndarray]:
    """The Neuro-Visualizer's grid [-1, 1]^2."""
    return np.linspace(-1.0, 1.0, resolution), np.linspace(-1.0, 1.0, resolution)


def nv_projection(fit: AEFit, data: TrajectorySet, resolution: int) -> Projection:
    """The trained auto-encoder as a projection: codes of the models, its decoder on [-1, 1]^2."""
    model = fit.model.eval()

    def decode(z: np.ndarray) -> Tensor:
        with torch.no_grad():
            return model.decode(torch.as_tensor(z, dtype=torch.float32))

    with torch.no_grad():
        rec, z = model(data.x)
    final = {k: v[fit.best_epoch] for k, v in fit.history.items()}
    info = {"hidden": list(model.hidden), "epochs": fit.epochs, "steps": fit.steps,
            "best_epoch": fit.best_epoch, "final_losses": final}
    coords = z.numpy().astype(np.float64)
    return Projection("nv", coords, unit_axes(resolution), decode, rec, fit.seconds, info)
