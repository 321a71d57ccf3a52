"""The one model interface every engine shares: a loss as a function of a flat parameter vector.

Training, Hessians, landscapes and decoded auto-encoder grids all call a `Problem`, so a new model
plugs into every figure by implementing it once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import torch
from torch import Tensor, nn


@dataclass(frozen=True)
class ParamBlock:
    """One named tensor inside the flat vector: where it sits and what shape it has."""

    name: str
    shape: tuple[int, ...]
    offset: int

    @property
    def numel(self) -> int:
        n = 1
        for s in self.shape:
            n *= s
        return n

    @property
    def stop(self) -> int:
        return self.offset + self.numel

    @property
    def is_vector(self) -> bool:
        """Biases and other 1-D (or scalar) parameters, which Li et al. leave unperturbed by default."""
        return len(self.shape) <= 1


@dataclass(frozen=True)
class ParamSpec:
    """Names, shapes and layer groups of a flat parameter vector."""

    blocks: tuple[ParamBlock, ...]

    @classmethod
    def from_shapes(cls, named_shapes: list[tuple[str, tuple[int, ...]]]) -> ParamSpec:
        blocks, offset = [], 0
        for name, shape in named_shapes:
            block = ParamBlock(name, tuple(int(s) for s in shape), offset)
            blocks.append(block)
            offset = block.stop
        return cls(tuple(blocks))

    @classmethod
    def from_module(cls, module: nn.Module) -> ParamSpec:
        return cls.from_shapes([(n, tuple(p.shape)) for n, p in module.named_parameters()])

    @property
    def size(self) -> int:
        return self.blocks[-1].stop if self.blocks else 0

    @property
    def names(self) -> list[str]:
        return [b.name for b in self.blocks]

    def unflatten(self, theta: Tensor) -> dict[str, Tensor]:
        """Views of `theta` (shape [..., P]) as named tensors of shape [..., *block.shape]."""
        lead = theta.shape[:-1]
        return {b.name: theta[..., b.offset : b.stop].reshape(tuple(lead) + b.shape) for b in self.blocks}

    def flatten(self, tensors: dict[str, Tensor]) -> Tensor:
        """The flat vector of named tensors (e.g. a `state_dict`), in this spec's order."""
        missing = [b.name for b in self.blocks if b.name not in tensors]
        if missing:
            raise KeyError(f"parameters missing from the given tensors: {missing}")
        return torch.cat([tensors[b.name].detach().reshape(-1) for b in self.blocks])


@runtime_checkable
class Problem(Protocol):
    """A trainable model with its data, seen as functions of flat parameter vectors.

    `loss_terms` takes a batch [B, P] and returns every loss term as a tensor [B] (always including
    "loss", the total), evaluated without a Python loop over B. `loss` is the scalar total of one
    vector, differentiable twice (training, Hessian-vector products).
    """

    spec: ParamSpec

    def init(self, seed: int) -> Tensor: ...

    def loss_terms(self, thetas: Tensor) -> dict[str, Tensor]: ...

    def loss(self, theta: Tensor) -> Tensor: ...

    def evaluate(self, theta: Tensor) -> dict[str, float]: ...
