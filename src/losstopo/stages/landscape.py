"""The landscape stage of one model: directions of a kind, the batched grid, and its data files.

The workflow's `landscape` rule, the CLI and `losstopo.analyze` all call `compute_landscape`; its figure is
drawn by `losstopo.plots.landscape.draw_landscape_report`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import torch
from torch import Tensor

from losstopo.landscape import (
    Directions,
    Landscape,
    given_directions,
    grid_losses,
    pca_directions,
    random_directions,
    uniform_axes,
    write_vti,
)
from losstopo.problems.base import Problem
from losstopo.provenance import provenance
from losstopo.settings import KINDS

COSINE_WARNING = 0.05  # directions more oblique than this no longer span the plane their kind names


def make_directions(
    kind: str,
    dim: int,
    theta: Tensor,
    problem: Problem,
    s: dict[str, Any],
    eigvecs: np.ndarray | None = None,
    trajectory: np.ndarray | None = None,
    source: str = "",
) -> Directions:
    """The directions of `kind`: random, the first `dim` Hessian eigenvectors, or a trajectory's PCA."""
    if kind == "random":
        return random_directions(theta, problem.spec, dim, s["normalization"], s["ignore_bias"], s["seed"])
    if kind == "hessian":
        if (
            eigvecs is None
            or eigvecs.ndim != 2
            or eigvecs.shape[0] < dim
            or eigvecs.shape[1] != problem.spec.size
        ):
            got = None if eigvecs is None else eigvecs.shape
            raise ValueError(
                f"{source or 'eigvecs'}: expected [k >= {dim}, {problem.spec.size}] eigenvectors, "
                f"got {got}; raise hessian.top_k or rerun the hessian stage"
            )
        return given_directions(
            torch.as_tensor(eigvecs[:dim]),
            theta,
            problem.spec,
            s["normalization"],
            s["ignore_bias"],
            kind="hessian",
        )
    if kind == "pca":
        if trajectory is None or trajectory.ndim != 2 or trajectory.shape[1] != problem.spec.size:
            got = None if trajectory is None else trajectory.shape
            raise ValueError(
                f"{source or 'trajectory'}: expected checkpoints [K, {problem.spec.size}], got "
                f"{got}; was it saved by the training rule of this model?"
            )
        return pca_directions(torch.as_tensor(trajectory, dtype=theta.dtype), dim, center=theta)
    raise ValueError(f"unknown landscape kind {kind!r}; expected one of {list(KINDS)}")


@dataclass(frozen=True)
class LandscapeReport:
    """A landscape with its directions and the metadata saved beside it (landscape_<kind>_<dim>d.*).
    Its timings and the points this job evaluated (fewer after a resume) go to the log, not the files, so
    a resumed or repeated run writes the same bytes."""

    landscape: Landscape
    directions: Directions
    meta: dict[str, Any]

    @property
    def loss(self) -> np.ndarray:
        return self.landscape.loss

    @property
    def axes(self) -> tuple[np.ndarray, ...]:
        return self.landscape.axes

    def fields(self) -> dict[str, np.ndarray]:
        return {"loss" if name == "loss" else f"loss_{name}": v for name, v in self.landscape.terms.items()}

    def save(self, npz: str | Path, vti: str | Path) -> None:
        """The landscape's .npz and .vti (its figure: `losstopo.plots.landscape.draw_landscape_report`)."""
        extra = {}
        if self.directions.trajectory_coords is not None:
            extra = {
                "trajectory_coords": self.directions.trajectory_coords,
                "explained_variance": self.directions.explained_variance,
            }
        Path(npz).parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            npz,
            **self.fields(),
            axes=np.stack(self.axes),
            directions=self.directions.vectors.detach().cpu().numpy().astype(np.float32),
            meta=json.dumps(self.meta, default=float),
            **extra,
        )
        write_vti(vti, self.axes, self.fields())


def compute_landscape(
    problem: Problem,
    theta: Tensor,
    problem_spec: dict[str, Any],
    kind: str,
    dim: int,
    s: dict[str, Any],
    *,
    eigvecs: np.ndarray | None = None,
    trajectory: np.ndarray | None = None,
    store: str | Path | None = None,
    device: str | None = None,
    progress: TextIO | None = None,
    log: Callable[[str], object] = lambda _: None,
    source: str = "",
) -> LandscapeReport:
    """The `dim`-D landscape along `kind` directions with one job's settings `s` (a dict from
    `losstopo.settings.landscape_job`, recorded as given in the metadata's provenance); `source` names the
    file the eigenvectors or trajectory came from, for error messages."""
    finite_eigvecs = eigvecs is None or bool(np.isfinite(eigvecs[:dim]).all())
    if not bool(torch.isfinite(theta).all()) or not finite_eigvecs:
        log("the model's weights (or eigenvectors) are not finite: training diverged; NaN landscape written")
        return diverged_landscape(theta, problem_spec, kind, dim, s)
    directions = make_directions(kind, dim, theta, problem, s, eigvecs, trajectory, source)
    distance = float(s["distance"])
    if directions.trajectory_coords is not None:  # PCA: keep the whole trajectory in view
        distance = max(distance, 1.1 * float(np.abs(directions.trajectory_coords).max()))
    axes = uniform_axes(dim, distance, int(s["steps"]))
    worst = float(np.abs(np.triu(directions.cosines, 1)).max())
    norms = directions.vectors.detach().double().norm(dim=1).cpu().numpy()
    log(
        f"{kind} directions ({directions.normalization} normalisation), {dim}-D grid of {s['steps']}^{dim} "
        f"points, distance {distance:g}, direction norms {np.round(norms, 4).tolist()}, max |cos| {worst:.2e}"
    )
    if worst > COSINE_WARNING:
        log(
            f"WARNING: the {kind} directions are not orthogonal "
            f"(max |cos| = {worst:.2f} > {COSINE_WARNING}): "
            "the landscape is drawn on a sheared plane; normalization 'none' keeps eigenvectors orthonormal"
        )
    landscape = grid_losses(
        problem,
        theta,
        directions,
        axes,
        memory_mb=float(s["chunk_memory_mb"]),
        save_every=float(s["save_every_s"]),
        device=device,
        store=store,
        key=json.dumps(problem_spec, sort_keys=True),
        progress=progress,
    )
    log(
        f"chunk {landscape.chunk}, {landscape.evaluated_points} points evaluated "
        f"in {landscape.seconds:.1f} s "
        f"({landscape.points_per_second:.1f} points/s), non-finite: {landscape.n_nonfinite}"
    )
    meta = {
        "kind": kind,
        "dim": dim,
        "distance": distance,
        "distance_requested": float(s["distance"]),
        "steps": int(s["steps"]),
        "normalization": directions.normalization,
        "ignore_bias": s["ignore_bias"],
        "seed": s["seed"],
        "dtype": s["dtype"],
        "n_nonfinite": landscape.n_nonfinite["loss"],
        "n_nonfinite_terms": landscape.n_nonfinite,
        "chunk": landscape.chunk,
        "direction_cosines": directions.cosines.tolist(),
        "status": "ok",
        "direction_norms": norms.tolist(),
        "max_abs_cosine": worst,
        "problem": problem_spec,
        "provenance": provenance(landscape=s),
    }
    return LandscapeReport(landscape, directions, meta)


def diverged_landscape(
    theta: Tensor, problem_spec: dict[str, Any], kind: str, dim: int, s: dict[str, Any]
) -> LandscapeReport:
    """The record of a diverged model's landscape: NaN on the grid, status "diverged" in its metadata."""
    axes = uniform_axes(dim, float(s["distance"]), int(s["steps"]))
    shape = tuple(len(a) for a in axes)
    landscape = Landscape(axes, {"loss": np.full(shape, np.nan)}, {"loss": int(np.prod(shape))}, 0, 0, 0.0)
    vectors = torch.full((dim, theta.numel()), float("nan"))
    directions = Directions(vectors, kind, s["normalization"], np.full((dim, dim), np.nan))
    meta = {"status": "diverged", "kind": kind, "dim": dim, "distance": float(s["distance"]),
            "steps": int(s["steps"]), "n_nonfinite": int(np.prod(shape)), "problem": problem_spec,
            "provenance": provenance(landscape=s)}
    return LandscapeReport(landscape, directions, meta)
