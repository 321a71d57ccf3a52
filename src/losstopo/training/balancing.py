"""Loss-balancing strategies for multi-term objectives, and an Adam trainer that applies them.

Paper N (Sec. 4.2.4, App. I) compares six ways of weighting the PINN's terms L_r, L_ic, L_bc:
Equal Weights, Constant Weights (c_r = 1, c_ic = c_bc = 100), Dynamic Weight Averaging (Liu et al.
2019), Learning-Rate Annealing (Wang et al. 2021), GradNorm (Chen et al. 2018) and Random Loss
Weighting (Lin et al. 2022). Each is a small object with the `Balancer` interface: `reset` before
training, then `weights` once per step with the current term values (and, on the steps where
`needs_gradients(step)`, the per-term gradients [T, P] w.r.t. the shared parameters, here the whole
flat vector); it returns the T weights of that step's objective sum_i w_i L_i. `train_balanced` runs
Adam with one of them and logs the weights of every step.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import torch
from torch import Tensor

from losstopo.problems.base import Problem


class Balancer(Protocol):
    """A loss-weighting rule: T weights per step from the term values (and their gradients)."""

    def needs_gradients(self, step: int) -> bool: ...

    def reset(self, terms: Sequence[str], seed: int) -> None: ...

    def weights(self, step: int, theta: Tensor, losses: Tensor, grads: Tensor | None) -> Tensor: ...


class EqualWeights:
    """EW: every term has weight 1."""

    def needs_gradients(self, step: int) -> bool:
        return False

    def reset(self, terms: Sequence[str], seed: int) -> None:
        self.n = len(terms)

    def weights(self, step: int, theta: Tensor, losses: Tensor, grads: Tensor | None) -> Tensor:
        return torch.ones(self.n, dtype=losses.dtype)


class ConstantWeights:
    """CW: fixed weights per term name (paper N: c_r = 1, c_ic = c_bc = 100); unnamed terms get 1."""

    def needs_gradients(self, step: int) -> bool:
        return False

    def __init__(self, constants: dict[str, float] | None = None) -> None:
        self.constants = dict(constants if constants is not None else {"r": 1.0, "ic": 100.0, "bc": 100.0})

    def reset(self, terms: Sequence[str], seed: int) -> None:
        self.values = [float(self.constants.get(t, 1.0)) for t in terms]

    def weights(self, step: int, theta: Tensor, losses: Tensor, grads: Tensor | None) -> Tensor:
        return torch.tensor(self.values, dtype=losses.dtype)


class DynamicWeightAveraging:
    """DWA (Liu et al. 2019): w_k(t) = T softmax_k(r_k / temperature), r_k = L_k(t-1) / L_k(t-2).

    The loss ratios use the two previous steps' values (an "epoch" is one full-batch step here);
    the first two steps have all weights 1, as in the paper.
    """

    def needs_gradients(self, step: int) -> bool:
        return False

    def __init__(self, temperature: float = 2.0) -> None:
        if temperature <= 0:
            raise ValueError(f"DWA temperature must be > 0, got {temperature}")
        self.temperature = temperature

    def reset(self, terms: Sequence[str], seed: int) -> None:
        self.n = len(terms)
        self.history: list[Tensor] = []

    def weights(self, step: int, theta: Tensor, losses: Tensor, grads: Tensor | None) -> Tensor:
        if len(self.history) < 2:
            w = torch.ones(self.n, dtype=losses.dtype)
        else:
            ratio = self.history[-1] / self.history[-2]
            w = self.n * torch.softmax(ratio / self.temperature, dim=0)
        self.history = [*self.history[-1:], losses.detach().clone()]
        return w


class LearningRateAnnealing:
    """LRA (Wang et al. 2021): lambda_i <- (1 - alpha) lambda_i + alpha max|grad L_ref| / mean|grad L_i|.

    The reference term (the PDE residual "r") keeps weight 1; the statistic is recomputed every
    `every` steps (Wang et al. use 10) and the weights held in between.
    """

    def needs_gradients(self, step: int) -> bool:
        return step % self.every == 0

    def __init__(self, alpha: float = 0.9, every: int = 10, reference: str = "r") -> None:
        if not 0 < alpha <= 1 or every < 1:
            raise ValueError(f"LRA needs 0 < alpha <= 1 and every >= 1, got alpha={alpha}, every={every}")
        self.alpha, self.every, self.reference = alpha, every, reference

    def reset(self, terms: Sequence[str], seed: int) -> None:
        if self.reference not in terms:
            raise ValueError(f"LRA reference term {self.reference!r} is not among the terms {list(terms)}")
        self.ref = list(terms).index(self.reference)
        self.lam = torch.ones(len(terms), dtype=torch.float64)

    def weights(self, step: int, theta: Tensor, losses: Tensor, grads: Tensor | None) -> Tensor:
        if grads is not None:
            self.lam = (1 - self.alpha) * self.lam + self.alpha * gradient_statistic(grads, self.ref)
        return self.lam.to(losses.dtype)


def gradient_statistic(grads: Tensor, reference: int) -> Tensor:
    """max |grad L_ref| / mean |grad L_i| per term (1 for the reference term itself), in float64."""
    g = grads.detach().abs().double()
    stat = g[reference].max() / g.mean(dim=1)
    stat[reference] = 1.0
    return stat


class GradNorm:
    """GradNorm (Chen et al. 2018): learnable weights that equalise the terms' weighted gradient norms.

    Each step the weights w take one Adam step (rate `lr`) on L_grad = sum_i |w_i G_i - mean(w G) r_i^alpha|,
    G_i = ||grad L_i||, r_i = (L_i / L_i(0)) / mean_j (L_j / L_j(0)), the targets held constant; then
    they are renormalised to sum to the number of terms. alpha = 0 pulls all w_i G_i to one value.
    """

    def needs_gradients(self, step: int) -> bool:
        return True

    def __init__(self, alpha: float = 1.5, lr: float = 0.025) -> None:
        if alpha < 0 or lr <= 0:
            raise ValueError(f"GradNorm needs alpha >= 0 and lr > 0, got alpha={alpha}, lr={lr}")
        self.alpha, self.lr = alpha, lr

    def reset(self, terms: Sequence[str], seed: int) -> None:
        self.n = len(terms)
        self.w = torch.ones(self.n, dtype=torch.float64, requires_grad=True)
        self.optimizer = torch.optim.Adam([self.w], lr=self.lr)
        self.initial: Tensor | None = None

    def weights(self, step: int, theta: Tensor, losses: Tensor, grads: Tensor | None) -> Tensor:
        current = self.w.detach().clone()
        norms = grads.detach().double().norm(dim=1)
        losses = losses.detach().double()
        if self.initial is None:
            self.initial = losses.clone()
        ratio = losses / self.initial
        target = (current * norms).mean() * (ratio / ratio.mean()) ** self.alpha
        # d/dw_i |w_i G_i - target_i| with the target held constant, as in Chen et al.
        self.w.grad = torch.sign(current * norms - target) * norms
        self.optimizer.step()
        with torch.no_grad():
            self.w.clamp_(min=1e-6)
            self.w.mul_(self.n / self.w.sum())
        return current.to(losses.dtype)


class RandomLossWeighting:
    """RLW (Lin et al. 2022): w = T softmax(z), z ~ N(0, I) drawn afresh every step (seeded generator)."""

    def needs_gradients(self, step: int) -> bool:
        return False

    def reset(self, terms: Sequence[str], seed: int) -> None:
        self.n = len(terms)
        self.generator = torch.Generator().manual_seed(seed)

    def weights(self, step: int, theta: Tensor, losses: Tensor, grads: Tensor | None) -> Tensor:
        z = torch.randn(self.n, generator=self.generator, dtype=torch.float64)
        return (self.n * torch.softmax(z, dim=0)).to(losses.dtype)


class CophySchedule:
    """CoPhy-PGNN's weights as a `Balancer` over ("train", "c", "s"): 1, lambda_C(t), lambda_S(t).

    lambda_S(t) = lambda_s0 exp(-t / anneal_steps) (annealed: steers to the ground state early);
    lambda_C(t) = lambda_c sigmoid((t - cold_start) / cold_width) (cold-started: enforced later).
    """

    def __init__(self, lambda_c: float = 1.0, lambda_s0: float = 1.0, anneal_steps: float = 100.0,
                 cold_start: float = 150.0, cold_width: float = 30.0) -> None:
        if anneal_steps <= 0 or cold_width <= 0:
            raise ValueError(f"anneal_steps and cold_width must be > 0, got {anneal_steps}, {cold_width}")
        self.lambda_c, self.lambda_s0 = lambda_c, lambda_s0
        self.anneal_steps, self.cold_start, self.cold_width = anneal_steps, cold_start, cold_width

    def needs_gradients(self, step: int) -> bool:
        return False

    def reset(self, terms: Sequence[str], seed: int) -> None:
        if tuple(terms) != ("train", "c", "s"):
            raise ValueError(f"CophySchedule weights the terms ('train', 'c', 's'), got {tuple(terms)}")

    def lambdas(self, step: int) -> tuple[float, float]:
        """(lambda_C, lambda_S) at `step`."""
        lambda_c = self.lambda_c / (1.0 + math.exp(-(step - self.cold_start) / self.cold_width))
        return lambda_c, self.lambda_s0 * math.exp(-step / self.anneal_steps)

    def weights(self, step: int, theta: Tensor, losses: Tensor, grads: Tensor | None) -> Tensor:
        return torch.tensor([1.0, *self.lambdas(step)], dtype=losses.dtype)


@dataclass
class BalancedResult:
    """Checkpoints (step 0 = init) with the problem's "loss", and every step's term values and weights."""

    theta: Tensor
    trajectory: Tensor
    steps: list[int]
    losses: list[float]
    terms: tuple[str, ...]
    term_history: Tensor
    weight_history: Tensor
    diverged: bool = False
    seconds: float = 0.0


def term_gradients(values: Tensor, param: Tensor) -> Tensor:
    """The gradient of each of the T values w.r.t. `param`, stacked [T, P] (the graph is kept)."""
    return torch.stack([torch.autograd.grad(v, param, retain_graph=True)[0] for v in values])


def train_balanced(
    problem: Problem,
    theta0: Tensor,
    strategy: Balancer,
    steps: int,
    lr: float,
    checkpoint_every: int,
    seed: int,
    terms: Sequence[str] | None = None,
) -> BalancedResult:
    """Adam on sum_i w_i(t) L_i, the weights from `strategy` (reset with `seed`); stops on a non-finite loss.

    `terms` defaults to `problem.terms` (the PINN's ("ic", "bc", "r")). Checkpoints record
    `problem.loss_terms(...)["loss"]`, the problem's own objective, so trajectories of different
    strategies are comparable on one landscape.
    """
    if steps < 1 or checkpoint_every < 1 or lr <= 0:
        raise ValueError(f"steps, checkpoint_every and lr must be positive, got steps={steps}, "
                         f"checkpoint_every={checkpoint_every}, lr={lr}")
    names = tuple(terms if terms is not None else getattr(problem, "terms", ()))
    if not names:
        raise ValueError("train_balanced needs the loss terms to weight: pass terms=... or give the problem "
                         "a `terms` attribute")
    strategy.reset(names, seed)
    param = theta0.detach().clone().requires_grad_(True)
    optimizer = torch.optim.Adam([param], lr=lr)
    start = time.perf_counter()
    snapshots, steps_done, losses = [param.detach().clone()], [0], [total_loss(problem, param)]
    term_history, weight_history = [], []
    diverged = False
    for step in range(steps):
        computed = problem.loss_terms(param.unsqueeze(0))
        missing = [t for t in names if t not in computed]
        if missing:
            raise KeyError(f"loss terms {missing} not returned by {type(problem).__name__}.loss_terms "
                           f"(it returns {sorted(computed)}); pass terms= with names it returns")
        values = torch.stack([computed[t][0] for t in names])
        grads = term_gradients(values, param) if strategy.needs_gradients(step) else None
        w = strategy.weights(step, param.detach(), values.detach(), grads).to(values)
        optimizer.zero_grad()
        if grads is not None:
            param.grad = (w.unsqueeze(1) * grads).sum(dim=0)
        else:
            (w * values).sum().backward()
        optimizer.step()
        term_history.append(values.detach().clone())
        weight_history.append(w.detach().clone())
        if (step + 1) % checkpoint_every == 0 or step + 1 == steps:
            loss = total_loss(problem, param)
            diverged = not math.isfinite(loss) or not bool(torch.isfinite(param).all())
            snapshots.append(param.detach().clone())
            steps_done.append(step + 1)
            losses.append(loss)
            if diverged:
                break
    return BalancedResult(
        theta=param.detach().clone(),
        trajectory=torch.stack(snapshots),
        steps=steps_done,
        losses=losses,
        terms=names,
        term_history=torch.stack(term_history),
        weight_history=torch.stack(weight_history),
        diverged=diverged,
        seconds=time.perf_counter() - start,
    )


def total_loss(problem: Problem, theta: Tensor) -> float:
    """The problem's own "loss" term at `theta`, without a graph."""
    with torch.no_grad():
        return float(problem.loss_terms(theta.detach().unsqueeze(0))["loss"][0])


STRATEGIES = {
    "ew": EqualWeights,
    "const": EqualWeights,
    "cw": ConstantWeights,
    "dwa": DynamicWeightAveraging,
    "lra": LearningRateAnnealing,
    "gradnorm": GradNorm,
    "rlw": RandomLossWeighting,
}


def make_balancer(method: str, **settings: object) -> Balancer:
    """The strategy named `method` (ew | cw | dwa | lra | gradnorm | rlw | const), built with its settings.

    "const" is the constant (all-ones) weighting that Wang et al. 2022 compare NTK weighting against.
    """
    if method not in STRATEGIES:
        raise ValueError(f"unknown balancing method {method!r}; choose one of {sorted(STRATEGIES)} "
                         f"(ntk: losstopo.training.ntk.NTKWeights)")
    return STRATEGIES[method](**settings)
