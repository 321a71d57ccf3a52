"""Any `torch.nn.Module` with a data set, seen as a `Problem` over flat parameter vectors.

The batched loss runs `torch.func.functional_call` under `vmap`, so B perturbed copies of the model
are evaluated in one call. Data come as a list of (input, target) batches: the loss is the mean over
all samples (a fixed evaluation batch is a list of one; a loader mean is a list of many).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.func import functional_call

from losstopo.problems.base import ParamSpec

LOSSES: dict[str, Callable[[Tensor, Tensor], Tensor]] = {
    "mse": lambda out, y: ((out - y) ** 2).reshape(out.shape[0], -1).mean(dim=1),
    "cross_entropy": lambda out, y: F.cross_entropy(out, y, reduction="none").reshape(out.shape[0], -1).mean(dim=1),
}


class ModuleProblem:
    """A module factory, a per-sample loss and data batches, as a `Problem`."""

    def __init__(
        self,
        make_module: Callable[[], nn.Module],
        batches: Sequence[tuple[Tensor, Tensor]],
        loss: str = "mse",
        dtype: torch.dtype = torch.float32,
    ) -> None:
        if loss not in LOSSES:
            raise ValueError(f"unknown loss {loss!r}; choose one of {sorted(LOSSES)}")
        if not batches:
            raise ValueError("a ModuleProblem needs at least one (input, target) batch")
        self.make_module = make_module
        self.dtype = dtype
        self.module = make_module().to(dtype).eval()
        self.spec: ParamSpec = ParamSpec.from_module(self.module)
        self.buffers = dict(self.module.named_buffers())
        self.batches = [(x.to(dtype) if x.is_floating_point() else x, y) for x, y in batches]
        self.sample_loss = LOSSES[loss]
        self.n_samples = sum(x.shape[0] for x, _ in self.batches)

    def init(self, seed: int) -> Tensor:
        torch.manual_seed(seed)
        return self.spec.flatten(dict(self.make_module().to(self.dtype).named_parameters()))

    def _batch_loss(self, theta: Tensor, x: Tensor, y: Tensor) -> Tensor:
        params = self.spec.unflatten(theta)
        out = functional_call(self.module, (params, self.buffers), (x,))
        return self.sample_loss(out, y).sum()

    def loss_terms(self, thetas: Tensor) -> dict[str, Tensor]:
        total = 0.0
        for x, y in self.batches:
            x, y = x.to(thetas.device), y.to(thetas.device)
            total = total + torch.vmap(self._batch_loss, in_dims=(0, None, None))(thetas, x, y)
        return {"loss": total / self.n_samples}

    def loss(self, theta: Tensor) -> Tensor:
        total = sum(self._batch_loss(theta, x.to(theta.device), y.to(theta.device)) for x, y in self.batches)
        return total / self.n_samples

    def evaluate(self, theta: Tensor) -> dict[str, float]:
        with torch.no_grad():
            metrics = {"loss": float(self.loss(theta))}
            if self.sample_loss is LOSSES["cross_entropy"]:
                params = self.spec.unflatten(theta)
                correct = sum(
                    int((functional_call(self.module, (params, self.buffers), (x,)).argmax(1) == y).sum())
                    for x, y in self.batches
                )
                metrics["accuracy"] = correct / self.n_samples
        return metrics
