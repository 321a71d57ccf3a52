"""A toy experiment for tests/test_toy_experiment.py: a small MLP on two moons, over widths x seeds.

It is copied into `losstopo/experiments/` of a scratch copy of the library: one module is all an
experiment needs in the library.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn

from losstopo.experiments.base import Config, Experiment
from losstopo.provenance import provenance
from losstopo.training.trained import Trained

HERE = "losstopo.experiments.moons"


def make_model(width: int) -> nn.Module:
    """A 2 -> width -> 2 tanh classifier."""
    return nn.Sequential(nn.Linear(2, width), nn.Tanh(), nn.Linear(width, 2))


def batches(n: int = 128, noise: float = 0.1, seed: int = 0) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """Two interleaved half circles with Gaussian noise, as one batch."""
    g = torch.Generator().manual_seed(seed)
    t = torch.rand(n, generator=g) * math.pi
    y = torch.arange(n) % 2
    x = torch.stack([torch.cos(t) + y, torch.sin(t) * (1 - 2 * y) + 0.5 * y], dim=1)
    return [(x + noise * torch.randn(n, 2, generator=g), y)]


@dataclass(frozen=True)
class Moons(Experiment):
    """MLPs over `moons.widths` x `moons.seeds`, trained by Adam."""

    def run_values(self, config: Config) -> list[dict[str, str]]:
        return [{"width": str(w), "seed": str(s)} for w in config["moons"]["widths"] for s in config["moons"]["seeds"]]

    def problem(self, config: Config, values: dict[str, str]) -> dict[str, Any]:
        return {"name": "module", "entry": "moons", "module": f"{HERE}:make_model",
                "module_args": {"width": int(values["width"])}, "batches": f"{HERE}:batches",
                "loss": "cross_entropy"}

    def train_settings(self, config: Config, values: dict[str, str]) -> dict[str, Any]:
        return {"optimizer": "adam", "lr": 0.05, "iterations": config["moons"]["steps"], "checkpoint_every": 10}

    def train(self, problem: dict, settings: dict, values: dict[str, str], inputs: dict) -> Trained:
        from losstopo.problems.registry import make_problem
        from losstopo.training.optimize import TrainConfig, train

        model = make_problem(problem)
        result = train(model, model.init(int(values["seed"])), TrainConfig(**settings), progress=False)
        metrics = {**model.evaluate(result.theta), "width": int(values["width"]), "diverged": result.diverged}
        meta = provenance(problem=problem, train=settings, seed=int(values["seed"]))
        return Trained(result.theta, problem, metrics, meta, f"moons {values}: {metrics}",
                       trajectory=(result.trajectory, result.steps, result.losses))


MOONS = Moons(name="moons", pattern="width{width}/seed{seed}", targets=("table_tda_correlations",),
              ml_metrics=("top_eigenvalue", "trace", "loss", "accuracy"), sweep=("width",))
