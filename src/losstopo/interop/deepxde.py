"""Import convection PINNs trained with DeepXDE (PyTorch backend) as our flat parameter vectors.

Researchers train PINNs with DeepXDE; its `FNN` stores `linears.{i}.weight/bias` in the layout of
our `MLP`'s `layers.{i}.weight/bias`, so a model maps over as long as it is a plain tanh FNN with no
input/output transforms.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from losstopo.problems.base import ParamSpec


def deepxde_widths(net: nn.Module) -> list[int]:
    """Layer widths [in, hidden..., out] of a DeepXDE FNN."""
    linears = getattr(net, "linears", None)
    if linears is None:
        raise TypeError(f"expected a deepxde.nn.FNN (PyTorch backend), got {type(net).__name__}")
    return [linears[0].in_features, *(layer.out_features for layer in linears)]


def flat_from_deepxde(net: nn.Module, spec: ParamSpec) -> Tensor:
    """The flat vector of a DeepXDE FNN laid out as `spec` (our MLP of the same widths)."""
    if getattr(net, "_input_transform", None) is not None or getattr(net, "_output_transform", None) is not None:
        raise ValueError("DeepXDE networks with input/output transforms have no flat-MLP equivalent")
    activation = getattr(net, "activation", None)
    if activation is not torch.tanh and getattr(activation, "__name__", "") != "tanh":
        raise ValueError(f"only tanh FNNs map onto the convection MLP, this one uses {activation!r}")
    tensors = {name.replace("linears.", "layers.", 1): param for name, param in net.named_parameters()}
    shapes = {name: tuple(t.shape) for name, t in tensors.items()}
    expected = {b.name: b.shape for b in spec.blocks}
    if shapes != expected:
        raise ValueError(f"DeepXDE layer shapes {shapes} do not match the problem's network {expected}")
    return spec.flatten(tensors)
