"""One result type for every trainer, saved by one function: the run folder's model, trajectory, metrics.

A trainer (`losstopo.training.trainers`) returns a `Trained`; `save_trained` writes each file that the
training rule names among its outputs (`model`, `metrics`, and where the experiment has them
`trajectory`, `prediction`, `state`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from torch import Tensor

from losstopo import artifacts
from losstopo.training.epochs import TrainState, save_state


@dataclass(frozen=True)
class Trained:
    """A trained run: its final vector, problem spec, metrics, provenance and what else its rule saves."""

    theta: Tensor
    problem: dict[str, Any]
    metrics: dict[str, Any]
    meta: dict[str, Any]
    summary: str
    buffers: dict[str, Tensor] | None = None
    trajectory: tuple[Tensor, list[int], list[float]] | None = None
    prediction: dict[str, np.ndarray] | None = None
    state: TrainState | None = None


def save_trained(result: Trained, outputs: Mapping[str, str]) -> None:
    """Write the files named in `outputs` (a training rule's named outputs) from `result`."""
    missing = {"trajectory", "prediction", "state"} & set(outputs)
    missing = sorted(name for name in missing if getattr(result, name) is None)
    if missing:
        raise ValueError(f"the training rule asks for {missing}, which this trainer does not produce")
    if "state" in outputs:
        save_state(outputs["state"], result.state)
    artifacts.save_model(outputs["model"], result.theta, result.problem, result.meta, buffers=result.buffers)
    if "trajectory" in outputs:
        artifacts.save_trajectory(outputs["trajectory"], *result.trajectory)
    artifacts.save_json(outputs["metrics"], {**result.metrics, "provenance": result.meta})
    if "prediction" in outputs:
        np.savez_compressed(outputs["prediction"], **result.prediction)
