"""Train a `Problem` from a flat initial vector with L-BFGS or Adam, keeping a checkpoint trajectory.

L-BFGS follows the reference PINN code (strong Wolfe line search, history 50, tolerances 1e-7);
it runs in segments of `checkpoint_every` iterations whose optimiser state carries over, so the
checkpoints cost no extra work beyond one loss evaluation per segment.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import torch
from torch import Tensor
from tqdm import tqdm

from losstopo.problems.base import Problem

OPTIMIZERS = ("lbfgs", "adam")
# Line-search evaluations allowed per L-BFGS iteration: enough that a segment ends only at its
# iteration count or at the tolerance (torch's default, 1.25, would end segments early).
EVALS_PER_ITERATION = 25


@dataclass(frozen=True)
class TrainConfig:
    """Optimiser settings; `iterations` counts L-BFGS iterations or Adam steps."""

    optimizer: str = "lbfgs"
    lr: float = 1.0
    iterations: int = 1000
    checkpoint_every: int = 100
    history_size: int = 50
    tolerance: float = 1e-7

    def __post_init__(self) -> None:
        if self.optimizer not in OPTIMIZERS:
            raise ValueError(f"optimizer must be one of {OPTIMIZERS}, got {self.optimizer!r}")
        if self.lr <= 0 or self.iterations < 1 or self.checkpoint_every < 1:
            raise ValueError("lr, iterations and checkpoint_every must be positive")


@dataclass
class TrainResult:
    """The final vector, the checkpoints (step 0 = initialisation) and what happened on the way."""

    theta: Tensor
    trajectory: Tensor
    steps: list[int]
    losses: list[float]
    diverged: bool = False
    converged: bool = False
    seconds: float = 0.0


def _make_optimizer(param: Tensor, config: TrainConfig, segment: int) -> torch.optim.Optimizer:
    if config.optimizer == "adam":
        return torch.optim.Adam([param], lr=config.lr)
    return torch.optim.LBFGS(
        [param],
        lr=config.lr,
        max_iter=segment,
        max_eval=segment * EVALS_PER_ITERATION,
        history_size=config.history_size,
        tolerance_grad=config.tolerance,
        tolerance_change=config.tolerance,
        line_search_fn="strong_wolfe",
    )


def train(problem: Problem, theta0: Tensor, config: TrainConfig, progress: bool = True) -> TrainResult:
    """Minimise `problem.loss` from `theta0`; stops early on L-BFGS convergence or a non-finite loss."""
    param = theta0.detach().clone().requires_grad_(True)
    optimizer = _make_optimizer(param, config, config.checkpoint_every)

    def closure() -> Tensor:
        optimizer.zero_grad()
        loss = problem.loss(param)
        loss.backward()
        return loss

    start = time.perf_counter()
    snapshots, steps, losses = [param.detach().clone()], [0], [float(problem.loss(param.detach()))]
    diverged = converged = False
    done = 0
    bar = tqdm(total=config.iterations, desc=f"train ({config.optimizer})", disable=not progress, mininterval=1)
    while done < config.iterations and not (diverged or converged):
        segment = min(config.checkpoint_every, config.iterations - done)
        if config.optimizer == "lbfgs":
            optimizer.param_groups[0].update(max_iter=segment, max_eval=segment * EVALS_PER_ITERATION)
            before = optimizer.state[param].get("n_iter", 0)
            optimizer.step(closure)
            taken = optimizer.state[param]["n_iter"] - before
            converged = taken < segment
        else:
            for _ in range(segment):
                optimizer.step(closure)
            taken = segment
        done += taken
        loss = float(problem.loss(param.detach()))
        diverged = not math.isfinite(loss) or not bool(torch.isfinite(param).all())
        snapshots.append(param.detach().clone())
        steps.append(done)
        losses.append(loss)
        bar.update(taken)
        bar.set_postfix(loss=f"{loss:.3e}")
    bar.close()
    return TrainResult(
        theta=param.detach().clone(),
        trajectory=torch.stack(snapshots),
        steps=steps,
        losses=losses,
        diverged=diverged,
        converged=converged,
        seconds=time.perf_counter() - start,
    )
