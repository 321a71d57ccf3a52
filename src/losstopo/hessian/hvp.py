"""Hessian-vector products of a problem's loss at a fixed point, counted, as a linear operator.

The default method differentiates the loss once with `create_graph=True` and then reuses that
gradient graph for every product (reverse-over-reverse): on the 7,851-parameter convection PINN
this measured ~4.7 ms per product in float32 (~8 ms in float64) against ~18 ms (~21 ms) for
`torch.func` jvp-of-grad, on one CPU thread (benchmarks/hessian.py prints the comparison).
A loader-mean loss is split into its per-batch parts; their graphs are all kept when they fit in
`memory_mb` (measured on the first part), otherwise each product rebuilds them one batch at a time,
trading time (about 2x per product) for memory.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Protocol

import torch
from torch import Tensor
from torch.func import grad, jvp

from losstopo.problems.base import Problem

METHODS = ("graph", "jvp")


class Operator(Protocol):
    """A symmetric linear map on flat vectors of `size` entries: what the curvature algorithms need."""

    size: int
    dtype: torch.dtype
    device: torch.device

    def __call__(self, v: Tensor) -> Tensor: ...


def loss_parts(problem: Problem) -> list[Callable[[Tensor], Tensor]]:
    """The loss as a sum of per-batch parts for a loader mean (`batches`, `n_samples`), else itself."""
    batches = getattr(problem, "batches", None)
    if batches is None or len(batches) < 2 or not hasattr(problem, "n_samples"):
        return [problem.loss]
    parts = []
    for batch in batches:
        part = copy.copy(problem)
        part.batches = [batch]  # keeps n_samples: the part is this batch's share of the full mean
        parts.append(part.loss)
    return parts


def _graph_bytes(loss: Callable[[Tensor], Tensor], theta: Tensor) -> tuple[Tensor, int]:
    """The differentiable gradient of `loss` at `theta` and the bytes its graph saves."""
    saved = 0

    def pack(t: Tensor) -> Tensor:
        nonlocal saved
        saved += t.numel() * t.element_size()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        (g,) = torch.autograd.grad(loss(theta), theta, create_graph=True)
    return g, saved


class HessianOperator:
    """v -> H v for the Hessian H of `problem.loss` at `theta`; `n_hvp` counts the products.

    `on_product` (e.g. a progress bar's `update`) is called after every product.
    """

    def __init__(self, problem: Problem, theta: Tensor, method: str = "graph", memory_mb: float = 2048,
                 on_product: Callable[[], object] | None = None) -> None:
        if method not in METHODS:
            raise ValueError(f"unknown HVP method {method!r}; choose one of {METHODS}")
        if theta.ndim != 1 or theta.numel() != problem.spec.size:
            raise ValueError(f"theta must be a flat vector of {problem.spec.size} entries, "
                             f"got shape {tuple(theta.shape)}")
        self.theta = theta.detach().clone().requires_grad_(True)
        self.size, self.dtype, self.device = theta.numel(), theta.dtype, theta.device
        self.method, self.n_hvp, self.on_product = method, 0, on_product
        self.parts = loss_parts(problem)
        self.grad: Tensor | None = None
        self.graph_bytes, self.keep_graphs = 0, False
        if method == "jvp":
            self._grad_fn = grad(problem.loss)
            return
        g, self.graph_bytes = _graph_bytes(self.parts[0], self.theta)
        self.keep_graphs = len(self.parts) * self.graph_bytes <= memory_mb * 2**20
        if self.keep_graphs:
            self.grad = sum((torch.autograd.grad(f(self.theta), self.theta, create_graph=True)[0]
                             for f in self.parts[1:]), start=g)

    def __call__(self, v: Tensor) -> Tensor:
        self.n_hvp += 1
        if self.on_product is not None:
            self.on_product()
        v = v.to(self.device, self.dtype)
        if self.method == "jvp":
            return jvp(self._grad_fn, (self.theta.detach(),), (v,))[1]
        if self.keep_graphs:
            return torch.autograd.grad(self.grad, self.theta, v, retain_graph=True)[0]
        total = torch.zeros_like(v)
        for f in self.parts:
            (g,) = torch.autograd.grad(f(self.theta), self.theta, create_graph=True)
            total += torch.autograd.grad(g, self.theta, v)[0]
        return total
