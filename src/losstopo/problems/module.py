"""Any `torch.nn.Module` with a data set, seen as a `Problem` over flat parameter vectors.

The batched loss runs `torch.func.functional_call` under `vmap`, so B perturbed copies of the model
are evaluated in one call. Data come as a list of (input, target) batches: the loss is the mean over
all samples (a fixed evaluation batch is a list of one; a loader mean is a list of many).

The module runs in eval mode: BatchNorm layers use their running statistics, passed to
`functional_call` as buffers (a checkpoint's, when given) on the parameters' device, never updated.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch.func import functional_call

from losstopo.problems.base import ParamSpec

LOSSES: dict[str, Callable[[Tensor, Tensor], Tensor]] = {
    "mse": lambda out, y: ((out - y) ** 2).reshape(out.shape[0], -1).mean(dim=1),
    "cross_entropy": lambda out, y: F.cross_entropy(out, y, reduction="none")
    .reshape(out.shape[0], -1)
    .mean(dim=1),
}


def merge_buffers(
    fresh: dict[str, Tensor], given: dict[str, Tensor] | None, dtype: torch.dtype
) -> dict[str, Tensor]:
    """The module's buffers, `given` ones (a checkpoint's) in their place; floating ones cast to `dtype`."""
    given = given or {}
    unknown = sorted(set(given) - set(fresh))
    if unknown:
        raise KeyError(f"buffers {unknown} are not in the model (its buffers: {sorted(fresh)}); "
                       f"was the checkpoint saved from a model with the same problem spec?")
    merged = {}
    for name, tensor in fresh.items():
        value = given.get(name, tensor).detach()
        if value.shape != tensor.shape:
            raise ValueError(f"buffer {name!r}: checkpoint shape {tuple(value.shape)} != model shape "
                             f"{tuple(tensor.shape)}; was the checkpoint saved from the same architecture?")
        merged[name] = value.to(dtype) if value.is_floating_point() else value.clone()
    return merged


class ModuleProblem:
    """A module factory, a per-sample loss and data batches, as a `Problem`.

    `buffers` override the fresh module's buffers (e.g. BatchNorm running statistics of a checkpoint).
    """

    def __init__(
        self,
        make_module: Callable[[], nn.Module],
        batches: Sequence[tuple[Tensor, Tensor]],
        loss: str = "mse",
        dtype: torch.dtype = torch.float32,
        buffers: dict[str, Tensor] | None = None,
    ) -> None:
        if loss not in LOSSES:
            raise ValueError(f"unknown loss {loss!r}; choose one of {sorted(LOSSES)}")
        if not batches:
            raise ValueError("a ModuleProblem needs at least one (input, target) batch")
        self.make_module = make_module
        self.dtype = dtype
        self.module = make_module().to(dtype).eval()
        self.spec: ParamSpec = ParamSpec.from_module(self.module)
        self.buffers = merge_buffers(dict(self.module.named_buffers()), buffers, dtype)
        self._buffers_by_device: dict[torch.device, dict[str, Tensor]] = {}
        self.batches = [(x.to(dtype) if x.is_floating_point() else x, y) for x, y in batches]
        self.sample_loss = LOSSES[loss]
        self.n_samples = sum(x.shape[0] for x, _ in self.batches)

    def split(self, n: int) -> list[ModuleProblem]:
        """The samples cut into `n` equal consecutive parts, each a problem of its own with the same module,
        buffers and loss, batched as this one (the evaluation batches of the stability stage)."""
        x, y = torch.cat([x for x, _ in self.batches]), torch.cat([y for _, y in self.batches])
        size, batch_size = len(x) // n, len(self.batches[0][0])
        if n < 1 or size < 1:
            raise ValueError(f"cannot split {len(x)} samples into {n} evaluation sets")
        parts = []
        for i in range(n):
            part = copy.copy(self)
            xi, yi = x[i * size:(i + 1) * size], y[i * size:(i + 1) * size]
            part.batches = list(zip(xi.split(batch_size), yi.split(batch_size)))
            part.n_samples = size
            parts.append(part)
        return parts

    def init(self, seed: int) -> Tensor:
        torch.manual_seed(seed)
        return self.spec.flatten(dict(self.make_module().to(self.dtype).named_parameters()))

    def buffers_on(self, device: torch.device) -> dict[str, Tensor]:
        """The buffers on `device`, copied there once and cached."""
        device = torch.device(device)
        if device not in self._buffers_by_device:
            self._buffers_by_device[device] = {k: v.to(device) for k, v in self.buffers.items()}
        return self._buffers_by_device[device]

    def forward(self, theta: Tensor, x: Tensor) -> Tensor:
        """The model's output on `x` with parameters `theta` [P] (eval mode, buffers on theta's device)."""
        return functional_call(self.module, (self.spec.unflatten(theta), self.buffers_on(theta.device)), (x,))

    def _batch_loss(self, theta: Tensor, x: Tensor, y: Tensor) -> Tensor:
        return self.sample_loss(self.forward(theta, x), y).sum()

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
                correct = sum(
                    int((self.forward(theta, x.to(theta.device)).argmax(1) == y.to(theta.device)).sum())
                    for x, y in self.batches
                )
                metrics["accuracy"] = correct / sum(y.numel() for _, y in self.batches)  # pixels for dense targets
        return metrics
