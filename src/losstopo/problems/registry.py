"""Build a `Problem` from a plain dict (a config slice), so rules and scripts name problems in YAML."""

from __future__ import annotations

from typing import Any

import torch

from losstopo.problems.base import Problem
from losstopo.problems.convection import ConvectionConfig, ConvectionPINN

DTYPES = {"float32": torch.float32, "float64": torch.float64}


def make_problem(spec: dict[str, Any]) -> Problem:
    """`spec["name"]` picks the problem; the other keys are its settings (see config/README.md)."""
    settings = dict(spec)
    name = settings.pop("name", None)
    if name == "convection":
        dtype = DTYPES[settings.pop("dtype", "float32")]
        hidden = tuple(settings.pop("hidden", (50, 50, 50, 50)))
        return ConvectionPINN(ConvectionConfig(hidden=hidden, dtype=dtype, **settings))
    raise ValueError(f"unknown problem name {name!r}; known: ['convection']")
