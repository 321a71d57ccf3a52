"""Metric stability: how far each topology metric of one model moves with the landscape's free choices.

A landscape's merge-tree numbers depend on choices that are not the model: the random direction draw, the
grid's resolution and half-width, and (image models) the batch the loss is evaluated on. For one model,
`stability_table` recomputes the 2-D topology metrics around the model's own landscape (its kind's steps,
distance, seed and evaluation set: the *base*), one factor at a time, each level crossed with every draw:

- `draw`: random directions from seeds `landscape.seed + d`, d = 0..k-1 (draw 0 is the run's own landscape);
- `resolution`: points per axis, the base steps times each resolution scale, rounded to an odd number;
- `distance`: the grid's half-width, the kind's distance times each distance scale;
- `batch`: evaluation sets of the run's size, 0 being the run's own (only where the problem has more).

Hessian (and PCA) directions are no draw: they are the top eigenvectors (principal axes), fixed up to
sign, and the Hessian stage fixes the sign (largest entry positive), so a rerun gives the same directions
unless two entries nearly tie and another machine's rounding picks the other sign. A flipped sign mirrors
the grid along that axis: the same losses, in mirrored order. On a mirror-symmetric graph (`axis`, `full`,
`knn`), and for a flip of every sign (a point reflection) on any graph, the merge tree is the same and so is
every metric. The Freudenthal triangulation (`ttk`, the default) is not mirror-symmetric: a single flip turns
its diagonals the other way, and on a rugged landscape the counts can move (by about 10% of #minima on
smoothed noise). So for a deterministic kind, draw 1 is draw 0 with the first axis mirrored (no new
evaluation): 2-D has exactly these two orientations up to point reflection, and their spread is what the
sign can do; with a symmetric connectivity it is zero.

The result is tidy: one row per (kind, factor, level, draw, metric) with its value. `variation` turns it
into coefficients of variation (std / |mean|): over the draws at the base, and over each factor's levels at
every draw, averaged over the draws. Imports no torch: the landscapes come from a function.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from losstopo.topology.analysis import landscape_topology

METRICS = ("n_minima", "n_saddles", "avg_persistence", "total_persistence", "max_persistence", "smad",
           "smad_normalised", "smad_weighted", "max_basin_depth")
"""The metrics measured (n_basins equals n_minima and mean_basin_size is 1 / n_basins: theirs follow)."""
FACTORS = ("draw", "resolution", "distance", "batch")
RANDOM_KINDS = ("random",)
COLUMNS = ["kind", "factor", "level", "draw", "metric", "value"]


@dataclass(frozen=True)
class Grid:
    """One landscape of the design: direction kind, draw, points per axis, half-width, evaluation batch."""

    kind: str
    draw: int
    steps: int
    distance: float
    batch: int = 0


def odd_steps(steps: int, scale: float) -> int:
    """`steps` x `scale` points per axis, rounded to the nearest odd number >= 3 (the model stays a point)."""
    return max(3, 2 * round((steps - 1) * scale / 2) + 1)


def stability_design(kinds: dict[str, tuple[int, float]], draws: int, resolution_scales: Sequence[float],
                     distance_scales: Sequence[float], batches: int = 1) -> list[tuple[str, float, Grid]]:
    """(factor, level, grid) of every landscape: `kinds` maps each direction kind to its base (steps,
    distance). Random kinds get `draws` draws, the others two orientations (see the module's docstring)."""
    if draws < 1 or batches < 1:
        raise ValueError(f"need draws >= 1 and batches >= 1, got {draws} and {batches}")
    design = []
    for kind, (steps, distance) in kinds.items():
        n_draws = draws if kind in RANDOM_KINDS else 2
        for draw in range(n_draws):
            base = Grid(kind, draw, int(steps), float(distance))
            if n_draws > 1:
                design.append(("draw", float(draw), base))
            for scale in resolution_scales:
                grid = replace(base, steps=odd_steps(steps, scale))
                design.append(("resolution", float(grid.steps), grid))
            for scale in distance_scales:
                design.append(("distance", distance * scale, replace(base, distance=distance * scale)))
            if batches > 1:
                design.extend(("batch", float(b), replace(base, batch=b)) for b in range(batches))
    return design


def landscape_metrics(loss: np.ndarray, axes: Sequence[np.ndarray], topology: dict[str, Any]) -> dict[str, float]:
    """The `METRICS` of one landscape (`topology`: config `topology`); NaN when no loss is finite."""
    if not np.isfinite(loss).any():
        return dict.fromkeys(METRICS, float("nan"))
    result = landscape_topology(loss, list(axes), topology["connectivity"], int(topology["k"]),
                                float(topology["persistence_threshold"]))
    summary = result.summary()
    return {name: float(summary[name]) for name in METRICS}


Landscape = Callable[[Grid], tuple[np.ndarray, Sequence[np.ndarray]]]


def stability_table(landscape: Landscape, design: list[tuple[str, float, Grid]],
                    topology: dict[str, Any]) -> pd.DataFrame:
    """The metrics of every landscape of `design` as tidy rows (`COLUMNS`). `landscape(grid)` gives the
    loss and axes of a grid; a deterministic kind is asked for draw 0 only (draw 1 mirrors it), and each
    distinct grid once."""
    metrics: dict[Grid, dict[str, float]] = {}
    losses: dict[Grid, tuple[np.ndarray, Sequence[np.ndarray]]] = {}
    rows = []
    for factor, level, grid in design:
        if grid not in metrics:
            source = grid if grid.kind in RANDOM_KINDS else replace(grid, draw=0)
            if source not in losses:
                losses[source] = landscape(source)
            loss, axes = losses[source]
            if source != grid:
                loss = np.flip(loss, axis=0)  # the first direction's sign flipped: the grid mirrored
            metrics[grid] = landscape_metrics(loss, axes, topology)
        rows.extend((grid.kind, factor, level, grid.draw, name, value) for name, value in metrics[grid].items())
    return pd.DataFrame(rows, columns=COLUMNS)


def coefficient_of_variation(values: np.ndarray) -> float:
    """std (ddof 1) / |mean|; 0 when the values agree, NaN when they are fewer than 2 or any is NaN."""
    values = np.asarray(values, dtype=np.float64)
    if values.size < 2 or not np.isfinite(values).all():
        return float("nan")
    std, mean = float(values.std(ddof=1)), float(values.mean())
    if std == 0:
        return 0.0
    return std / abs(mean) if mean != 0 else float("nan")


def variation(table: pd.DataFrame) -> pd.DataFrame:
    """Per kind, metric and factor: n_levels, n_draws, the mean value, and `cv`, the coefficient of
    variation over the draws at the base (factor draw) or over the factor's levels at each draw, averaged
    over the draws (the other factors)."""
    rows = []
    for (kind, metric, factor), group in table.groupby(["kind", "metric", "factor"], sort=False):
        by_draw = [g["value"].to_numpy() for _, g in group.groupby("draw", sort=True)]
        if factor == "draw":
            cvs = [coefficient_of_variation(group["value"].to_numpy())]
        else:
            cvs = [coefficient_of_variation(values) for values in by_draw]
        rows.append({"kind": kind, "metric": metric, "factor": factor,
                     "n_levels": int(group["level"].nunique()), "n_draws": len(by_draw),
                     "mean": float(group["value"].mean()),
                     "cv": float(np.mean(cvs)) if not np.isnan(cvs).any() else float("nan")})
    return pd.DataFrame(rows, columns=["kind", "metric", "factor", "n_levels", "n_draws", "mean", "cv"])


def format_variation(cv: pd.DataFrame, factors: Sequence[str] = ("draw", "resolution")) -> str:
    """A table of the coefficients of variation, a row per (kind, metric) and a column per factor."""
    wide = cv[cv["factor"].isin(factors)].pivot_table(index=["kind", "metric"], columns="factor", values="cv",
                                                      sort=False, dropna=False)
    return wide.reindex(columns=[f for f in factors if f in wide.columns]).to_string(float_format="{:.3f}".format)


def runs_variation(tables: dict[tuple[str, str], pd.DataFrame]) -> pd.DataFrame:
    """`variation` of each run's table, keyed (experiment, run id), in one table with those two columns
    first (results/tables/stability.csv)."""
    frames = [variation(table).assign(experiment=experiment, run=run) for (experiment, run), table in tables.items()]
    columns = ["experiment", "run", "kind", "metric", "factor", "n_levels", "n_draws", "mean", "cv"]
    return pd.concat(frames, ignore_index=True)[columns] if frames else pd.DataFrame(columns=columns)
