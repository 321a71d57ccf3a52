"""The Neuro-Visualizer auto-encoder (paper N, Sec. 3 and App. A) and its seeded training loop.

Encoder: Linear -> LayerNorm -> ReLU blocks down to 2 units and a tanh, so codes lie in [-1, 1]^2;
decoder: the mirror image with a linear output. Trained with RMSprop under cosine warm restarts on
minibatches of models, with the constraint losses chosen by non-zero weights, early stopping on the
epoch mean of the total loss, and the best weights restored.
"""

from __future__ import annotations

import copy
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn
from torch.optim.lr_scheduler import CosineAnnealingWarmRestarts
from tqdm import tqdm

from losstopo.neurovis.data import TrajectorySet
from losstopo.neurovis.losses import (
    ANCHORS,
    anchor_loss,
    anchor_targets,
    grid_loss,
    reconstruction_loss,
    trajectory_spacing_loss,
    weighted_total,
)

WEIGHT_NAMES = ("recon", "anchor", "grid", "traj")


def auto_hidden_sizes(n_inputs: int, n_hidden: int = 3) -> tuple[int, ...]:
    """Hidden widths log-spaced from the input size down to 2 (7851 inputs -> 991, 125, 15, paper Table 2)."""
    sizes = np.logspace(np.log10(n_inputs), np.log10(2), n_hidden + 2)
    return tuple(int(s) for s in sizes[1:-1])


def _blocks(widths: list[int]) -> nn.Sequential:
    layers: list[nn.Module] = []
    for a, b in zip(widths[:-2], widths[1:-1]):
        layers += [nn.Linear(a, b), nn.LayerNorm(b), nn.ReLU()]
    layers.append(nn.Linear(widths[-2], widths[-1]))
    return nn.Sequential(*layers)


class NeuroVisualizerAE(nn.Module):
    """n -> hidden... -> 2 (tanh) -> reversed hidden... -> n."""

    def __init__(self, n_inputs: int, hidden: tuple[int, ...]) -> None:
        super().__init__()
        if not hidden or min(hidden) < 1:
            raise ValueError(f"hidden sizes must be positive integers, got {hidden}")
        self.hidden = tuple(hidden)
        self.encoder = _blocks([n_inputs, *hidden, 2])
        self.decoder = _blocks([2, *reversed(hidden), n_inputs])

    def encode(self, x: Tensor) -> Tensor:
        return torch.tanh(self.encoder(x))

    def decode(self, z: Tensor) -> Tensor:
        return self.decoder(z)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        z = self.encode(x)
        return self.decode(z), z


@dataclass(frozen=True)
class AESettings:
    """Training settings; `hidden` is a tuple of widths or "auto" (log-spaced, 3 layers).

    `weights` maps recon/anchor/grid/traj to their coefficients (0 switches a term off); `anchor` picks
    the anchoring layout; `l_max` is eq. 3's zoom; `grid_points` per axis of the latent grid L_grid
    samples; `patience` and `restart_epochs` count epochs.
    """

    hidden: tuple[int, ...] | str = "auto"
    epochs: int = 1000
    lr: float = 1e-3
    batch_size: int = 32
    patience: int = 200
    restart_epochs: int = 200
    weights: dict[str, float] = field(default_factory=lambda: {"recon": 1.0, "anchor": 0.0, "grid": 0.0,
                                                               "traj": 0.0})
    anchor: str = "none"
    l_max: float = 2.0
    grid_points: int = 20
    seed: int = 0

    def __post_init__(self) -> None:
        unknown = set(self.weights) - set(WEIGHT_NAMES)
        if unknown:
            raise ValueError(f"unknown loss weights {sorted(unknown)}; expected keys among {WEIGHT_NAMES}")
        if not any(self.weight(name) > 0 for name in WEIGHT_NAMES):
            raise ValueError(f"at least one of the loss weights {WEIGHT_NAMES} must be positive")
        if self.anchor not in ANCHORS:
            raise ValueError(f"anchor must be one of {ANCHORS}, got {self.anchor!r}")
        if self.weight("anchor") > 0 and self.anchor == "none":
            raise ValueError("weights.anchor > 0 needs an anchor layout (polar, center, circle or diagonal)")
        if min(self.epochs, self.batch_size, self.patience, self.restart_epochs, self.grid_points) < 1:
            raise ValueError("epochs, batch_size, patience, restart_epochs and grid_points must be positive")

    def weight(self, name: str) -> float:
        return float(self.weights.get(name, 0.0))

    @classmethod
    def from_dict(cls, settings: dict[str, Any]) -> AESettings:
        """The fields of this class found in `settings`; other keys (e.g. the grid resolution) are ignored."""
        names = {f for f in cls.__dataclass_fields__}
        chosen = {k: v for k, v in settings.items() if k in names}
        if isinstance(chosen.get("hidden"), list):
            chosen["hidden"] = tuple(int(h) for h in chosen["hidden"])
        return cls(**chosen)


@dataclass
class AEFit:
    """A trained auto-encoder with its per-epoch loss history (unweighted terms and the weighted total)."""

    model: NeuroVisualizerAE
    history: dict[str, list[float]]
    best_epoch: int
    epochs: int
    steps: int
    seconds: float


def _latent_grid(points: int) -> Tensor:
    axis = torch.linspace(-1.0, 1.0, points)
    a, b = torch.meshgrid(axis, axis, indexing="ij")
    return torch.stack([a.reshape(-1), b.reshape(-1)], dim=1)


class _Objective:
    """The (unweighted) loss terms of one minibatch step, for the terms with a positive weight."""

    def __init__(self, data: TrajectorySet, settings: AESettings, generator: torch.Generator) -> None:
        self.x, self.lengths, self.s = data.x, data.lengths, settings
        self.generator = generator
        if settings.anchor != "none":
            self.anchor_index, self.anchor_target = anchor_targets(settings.anchor, data.n_models)
        self.d_max = float((self.x[0] - self.x[-1]).norm())
        if settings.weight("grid") > 0 and self.d_max == 0:
            raise ValueError("L_grid needs distinct first and last models (d_max = 0)")
        self.grid = _latent_grid(settings.grid_points)
        self.grid_order = torch.randperm(len(self.grid), generator=generator)
        self.grid_cursor = 0

    def _grid_batch(self) -> Tensor:
        if self.grid_cursor >= len(self.grid_order):
            self.grid_order = torch.randperm(len(self.grid), generator=self.generator)
            self.grid_cursor = 0
        take = self.grid_order[self.grid_cursor:self.grid_cursor + self.s.batch_size]
        self.grid_cursor += self.s.batch_size
        return self.grid[take]

    def terms(self, model: NeuroVisualizerAE, batch: Tensor) -> dict[str, Tensor]:
        s, out = self.s, {}
        if s.weight("recon") > 0:
            out["recon"] = reconstruction_loss(self.x[batch], model(self.x[batch])[0])
        z_all = model.encode(self.x) if s.weight("traj") > 0 or s.weight("grid") > 0 else None
        if s.weight("anchor") > 0:
            z_anchor = model.encode(self.x[self.anchor_index]) if z_all is None else z_all[self.anchor_index]
            out["anchor"] = anchor_loss(z_anchor, self.anchor_target)
        if s.weight("traj") > 0:
            out["traj"] = trajectory_spacing_loss(z_all, self.lengths)
        if s.weight("grid") > 0:
            z_grid = self._grid_batch()
            out["grid"] = grid_loss(z_grid, model.decode(z_grid), z_all.detach(), self.x, self.d_max, s.l_max)
        return out


def fit_autoencoder(data: TrajectorySet, settings: AESettings, progress: bool = True) -> AEFit:
    """Train a Neuro-Visualizer on the normalised models of `data` (seeded: same inputs, same result)."""
    start = time.perf_counter()
    torch.manual_seed(settings.seed)
    generator = torch.Generator().manual_seed(settings.seed)
    n_models, n_inputs = data.x.shape
    hidden = auto_hidden_sizes(n_inputs) if settings.hidden == "auto" else tuple(settings.hidden)
    model = NeuroVisualizerAE(n_inputs, hidden)
    objective = _Objective(data, settings, generator)
    weights = {name: settings.weight(name) for name in WEIGHT_NAMES}
    optimizer = torch.optim.RMSprop(model.parameters(), lr=settings.lr)
    scheduler = CosineAnnealingWarmRestarts(optimizer, T_0=settings.restart_epochs)
    n_batches = -(-n_models // settings.batch_size)
    history: dict[str, list[float]] = {}
    best, best_epoch, best_state, wait, epoch = float("inf"), 0, copy.deepcopy(model.state_dict()), 0, 0
    bar = tqdm(range(settings.epochs), desc="neuro-visualizer", disable=not progress, mininterval=1)
    for epoch in bar:
        sums: dict[str, float] = {}
        order = torch.randperm(n_models, generator=generator)
        for b, batch in enumerate(torch.split(order, settings.batch_size)):
            terms = objective.terms(model, batch)
            total = weighted_total(terms, weights)
            optimizer.zero_grad(set_to_none=True)
            total.backward()
            optimizer.step()
            scheduler.step(epoch + (b + 1) / n_batches)
            for k, v in {**terms, "total": total}.items():
                sums[k] = sums.get(k, 0.0) + float(v.detach()) / n_batches
        for k, v in sums.items():
            history.setdefault(k, []).append(v)
        if sums["total"] < best:
            best, best_epoch, wait = sums["total"], epoch, 0
            best_state = copy.deepcopy(model.state_dict())
        else:
            wait += 1
        bar.set_postfix(total=f"{sums['total']:.3e}", best=f"{best:.3e}")
        if wait >= settings.patience:
            break
    bar.close()
    model.load_state_dict(best_state)
    model.eval()
    return AEFit(model=model, history=history, best_epoch=best_epoch, epochs=epoch + 1,
                 steps=(epoch + 1) * n_batches, seconds=time.perf_counter() - start)
