"""The landscape stage of one model: directions of a kind, the batched grid, and its files.

The workflow's `landscape` rule, the CLI and `losstopo.analyze` all call `compute_landscape`.
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

KINDS = ("random", "hessian", "pca")
COSINE_WARNING = 0.05  # directions more oblique than this no longer span the plane their kind names


def landscape_job(s: dict[str, Any], kind: str, dim: int) -> dict[str, Any]:
    """One landscape job's settings: shared keys, its kind's keys, the points per axis of its dim."""
    if kind not in KINDS:
        raise ValueError(f"unknown landscape kind {kind!r}; expected one of {list(KINDS)}")
    if dim not in (2, 3, 4):
        raise ValueError(f"landscape dim must be 2, 3 or 4, got {dim}")
    steps = {2: s["steps"], 3: s["steps_3d"], 4: s["steps_4d"]}[dim]
    shared = {k: v for k, v in s.items() if k not in KINDS}
    return {**shared, **s[kind], "steps": steps}


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

    def save(self, npz: str | Path, vti: str | Path, png: str | Path | None, title: str) -> None:
        """The landscape's .npz and .vti, and its figure unless `png` is None."""
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
        if png is not None and np.isfinite(self.loss).any():
            draw_landscape(png, self.axes, self.loss, self.directions, title)
        elif png is not None:
            draw_message(png, f"{title}: no finite loss ({self.meta.get('status', 'not finite')})")


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
    """The `dim`-D landscape along `kind` directions with one job's settings `s` (see `landscape_job`);
    `source` names the file the eigenvectors or trajectory came from, for error messages."""
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


def draw_message(path: str | Path, message: str) -> None:
    """A figure that only says why there is nothing to draw."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 2))
    ax.text(0.5, 0.5, message, ha="center", va="center", wrap=True)
    ax.set_axis_off()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def draw_landscape(
    path: str | Path, axes: tuple[np.ndarray, ...], loss: np.ndarray, directions: Directions, title: str
) -> None:
    """Contour and surface of a 2-D landscape (with the trajectory for PCA), centre slices otherwise."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from losstopo.plots.landscape import plot_center_slices, plot_contour, plot_surface, plot_trajectory

    dim = loss.ndim
    if dim == 2:
        fig = plt.figure(figsize=(10, 4.2))
        ax = fig.add_subplot(1, 2, 1)
        plot_contour(ax, axes, loss)
        if directions.trajectory_coords is not None:
            plot_trajectory(
                ax, directions.trajectory_coords, explained_variance=directions.explained_variance
            )
        labels = ("PC1", "PC2") if directions.kind == "pca" else (r"$\alpha_1$", r"$\alpha_2$")
        plot_surface(fig.add_subplot(1, 2, 2, projection="3d"), axes, loss, labels=labels)
        fig.subplots_adjust(left=0.07, right=0.97, bottom=0.12, top=0.88, wspace=0.12)  # tight_layout: 2 draws
    else:
        n_pairs = dim * (dim - 1) // 2
        cols = 3
        n_rows = (n_pairs + cols - 1) // cols
        fig, axs = plt.subplots(n_rows, cols, figsize=(4.2 * cols, 3.8 * n_rows))
        plot_center_slices(list(np.ravel(axs))[:n_pairs], axes, loss)
        fig.tight_layout(rect=(0, 0, 1, 0.95))
    fig.suptitle(title)
    fig.savefig(path, dpi=150)
    plt.close(fig)
