"""The stability stage of one model: its 2-D topology metrics over direction draws, grid resolutions,
distances and evaluation batches (`losstopo.topology.stability` says what varies and why), and their file.

Every landscape is made by the landscape stage's own `compute_landscape`, with the run's landscape settings
changed in one key (seed, steps or distance), so the base grid of draw 0 is the run's own landscape.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from torch import Tensor

from losstopo.problems.base import Problem
from losstopo.settings import landscape_job
from losstopo.topology.stability import (
    FACTORS,
    Grid,
    format_variation,
    stability_design,
    stability_table,
    variation,
)


@dataclass(frozen=True)
class StabilityReport:
    """The tidy table (kind, factor, level, draw, metric, value), its coefficients of variation, and the
    number of landscapes evaluated and seconds spent (for the log)."""

    table: pd.DataFrame
    variation: pd.DataFrame
    n_landscapes: int
    seconds: float

    def save(self, csv: str | Path) -> None:
        Path(csv).parent.mkdir(parents=True, exist_ok=True)
        self.table.to_csv(csv, index=False, float_format="%.10g")

    def describe(self) -> str:
        """The coefficients of variation, a row per (kind, metric) and a column per factor."""
        return format_variation(self.variation, FACTORS)


def base_grids(landscape: dict[str, Any]) -> dict[str, tuple[int, float]]:
    """Each direction kind's base (steps, distance) of a 2-D landscape: config `landscape` of the run."""
    return {kind: (landscape_job(landscape, kind, 2)["steps"], landscape[kind]["distance"])
            for kind in landscape["kinds"]}


def compute_stability(
    problem: Problem,
    theta: Tensor,
    problem_spec: dict[str, Any],
    landscape: dict[str, Any],
    topology: dict[str, Any],
    stability: dict[str, Any],
    *,
    eigvecs: np.ndarray | None = None,
    trajectory: np.ndarray | None = None,
    batch_problems: Sequence[Problem] | None = None,
    device: str | None = None,
    log: Callable[[str], object] = lambda _: None,
) -> StabilityReport:
    """The metrics of one model's landscapes over the design of config `stability` (draws,
    resolution_scales, distance_scales, batches) around its config `landscape` (every kind of it) and
    `topology`. `batch_problems`: the problem on each evaluation batch (the first is `problem`'s own data);
    without them there is no batch factor."""
    from losstopo.stages.landscape import compute_landscape

    start = time.perf_counter()
    problems = list(batch_problems) if batch_problems else [problem]
    design = stability_design(base_grids(landscape), int(stability["draws"]), stability["resolution_scales"],
                              stability["distance_scales"], len(problems))
    evaluated = []

    def grid_landscape(grid: Grid) -> tuple[np.ndarray, Sequence[np.ndarray]]:
        job = landscape_job(landscape, grid.kind, 2)
        job.update(steps=grid.steps, distance=grid.distance, seed=int(job["seed"]) + grid.draw)
        report = compute_landscape(problems[grid.batch], theta, problem_spec, grid.kind, 2, job,
                                   eigvecs=eigvecs, trajectory=trajectory, device=device)
        evaluated.append(grid)
        log(f"{grid.kind} draw {grid.draw}, {grid.steps}^2 points, distance {grid.distance:g}, batch "
            f"{grid.batch}: {report.landscape.seconds:.2f} s")
        return report.loss, report.axes

    table = stability_table(grid_landscape, design, topology)
    return StabilityReport(table, variation(table), len(evaluated), time.perf_counter() - start)
