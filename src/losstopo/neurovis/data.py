"""Trajectories as the auto-encoder sees them: flat checkpoint vectors, z-scored per coordinate.

Every method (Neuro-Visualizer and the baselines) works and is measured in this normalised space;
a decoded vector is un-normalised before any loss evaluation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor


@dataclass(frozen=True)
class Normaliser:
    """Per-coordinate mean and scale (std + eps) of the checkpoints, both [P] in the raw dtype."""

    mean: Tensor
    scale: Tensor

    def normalise(self, thetas: Tensor) -> Tensor:
        return (thetas.to(self.mean) - self.mean) / self.scale

    def denormalise(self, x: Tensor) -> Tensor:
        """Raw parameter vectors (dtype of the checkpoints) of normalised vectors [..., P]."""
        return x.to(self.mean) * self.scale + self.mean


@dataclass(frozen=True)
class TrajectorySet:
    """One or several trajectories stacked in order: raw [K, P], normalised float32 [K, P], lengths."""

    thetas: Tensor
    x: Tensor
    lengths: tuple[int, ...]
    labels: tuple[str, ...]
    normaliser: Normaliser

    @property
    def n_models(self) -> int:
        return self.thetas.shape[0]

    @property
    def offsets(self) -> tuple[int, ...]:
        """Index of each trajectory's first model in the stack, plus the total at the end."""
        return tuple(int(o) for o in np.concatenate([[0], np.cumsum(self.lengths)]))

    def trajectory_of(self) -> np.ndarray:
        """The trajectory index of every model [K]."""
        return np.repeat(np.arange(len(self.lengths)), self.lengths)


def trajectory_set(trajectories: Sequence[Tensor | np.ndarray], labels: Sequence[str] | None = None,
                   eps: float = 1e-8, dtype: torch.dtype = torch.float64) -> TrajectorySet:
    """Stack trajectories [K_i, P] and z-score each coordinate over all K checkpoints (population std)."""
    if not trajectories:
        raise ValueError("need at least one trajectory")
    blocks = [torch.as_tensor(np.asarray(t)).to(dtype) for t in trajectories]
    sizes = {b.shape[1] if b.ndim == 2 else None for b in blocks}
    if len(sizes) != 1 or None in sizes:
        shapes = [tuple(b.shape) for b in blocks]
        raise ValueError(f"trajectories must be [K_i, P] with one common P; got {shapes}"
                         " - are they from models with the same architecture?")
    thetas = torch.cat(blocks)
    if thetas.shape[0] < 2:
        raise ValueError("need at least two checkpoints to normalise a trajectory")
    labels = tuple(labels) if labels is not None else tuple(f"trajectory {i}" for i in range(len(blocks)))
    if len(labels) != len(blocks):
        raise ValueError(f"{len(labels)} labels for {len(blocks)} trajectories")
    normaliser = Normaliser(thetas.mean(dim=0), thetas.std(dim=0, correction=0) + eps)
    return TrajectorySet(thetas=thetas, x=normaliser.normalise(thetas).to(torch.float32),
                         lengths=tuple(b.shape[0] for b in blocks), labels=labels, normaliser=normaliser)
