"""Build a `Problem` from a plain dict (a config slice), so rules, scripts and the CLI name problems in YAML.

A registry keyed by problem name: each entry is the import path of a builder
`build(settings: dict, buffers: dict[str, Tensor] | None) -> Problem`, imported only when used, so a
job loads only the model code it needs. A new experiment is one module plus one line here.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import Any

import torch
from torch import Tensor

from losstopo.problems.base import Problem

DTYPES = {"float32": torch.float32, "float64": torch.float64}

BUILDERS: dict[str, str] = {
    "convection": "losstopo.problems.convection:build",
    "resnet20": "losstopo.problems.resnet:build",
    "unet_crf": "losstopo.problems.unet_crf:build",
    "ising": "losstopo.problems.ising:build",
    "cifar_small": "losstopo.problems.cifar_small:build",
    "module": "losstopo.problems.user:build",
}

Builder = Callable[[dict[str, Any], "dict[str, Tensor] | None"], Problem]


def builder(name: str) -> Builder:
    """The builder function registered under `name`."""
    if name not in BUILDERS:
        raise ValueError(f"unknown problem name {name!r}; known: {sorted(BUILDERS)}")
    module, function = BUILDERS[name].split(":")
    return getattr(import_module(module), function)


def make_problem(spec: dict[str, Any], buffers: dict[str, Tensor] | None = None) -> Problem:
    """`spec["name"]` picks the problem; the other keys are its settings (see config/README.md).

    `buffers` are a checkpoint's non-parameter tensors (e.g. BatchNorm running statistics).
    """
    settings = dict(spec)
    return builder(settings.pop("name", None))(settings, buffers)
