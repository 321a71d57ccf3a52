"""Loss landscapes on a decoded 2-D grid: every grid point decoded to a model, every loss term evaluated.

Points go through the problem's batched `loss_terms` in chunks, one call per chunk (no per-point loop);
grids follow the landscape engine's convention values[i, j] at (axes[0][i], axes[1][j]).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import Tensor

from losstopo.landscape.grid import grid_coordinates
from losstopo.neurovis.data import Normaliser
from losstopo.problems.base import Problem


def evaluate_models(problem: Problem, thetas: Tensor, chunk: int = 256) -> dict[str, np.ndarray]:
    """Every loss term of the raw parameter vectors [N, P], as float64 arrays [N]."""
    out: dict[str, list[np.ndarray]] = {}
    with torch.no_grad():
        for part in torch.split(thetas, chunk):
            for name, value in problem.loss_terms(part).items():
                out.setdefault(name, []).append(value.detach().double().cpu().numpy())
    return {name: np.concatenate(values) for name, values in out.items()}


def decode_grid(decode: Callable[[np.ndarray], Tensor], axes: Sequence[np.ndarray], start: int,
                stop: int) -> Tensor:
    """Normalised decodings [stop - start, P] of the flat grid indices start..stop-1."""
    return decode(grid_coordinates(axes, start, stop))


def decoded_landscape(problem: Problem, decode: Callable[[np.ndarray], Tensor], normaliser: Normaliser,
                      axes: Sequence[np.ndarray], chunk: int = 256) -> dict[str, np.ndarray]:
    """Every loss term on the grid [len(axes[0]), len(axes[1])], decoded and un-normalised chunk by chunk."""
    shape = tuple(len(a) for a in axes)
    total = int(np.prod(shape))
    out: dict[str, list[np.ndarray]] = {}
    for start in range(0, total, chunk):
        thetas = normaliser.denormalise(decode_grid(decode, axes, start, min(start + chunk, total)))
        for name, values in evaluate_models(problem, thetas, chunk).items():
            out.setdefault(name, []).append(values)
    return {name: np.concatenate(values).reshape(shape) for name, values in out.items()}
