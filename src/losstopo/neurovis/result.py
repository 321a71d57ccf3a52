"""One result type for every method (Neuro-Visualizer, PCA, kernel PCA, UMAP) and the step that fills it:
the decoded-grid landscape, the models' true and reconstructed losses, e_relative and e_proj."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from losstopo.neurovis.data import TrajectorySet
from losstopo.neurovis.density import cka_density
from losstopo.neurovis.landscape import decode_grid, decoded_landscape, evaluate_models
from losstopo.neurovis.metrics import e_proj, e_relative, projection_errors
from losstopo.neurovis.projection import Projection
from losstopo.problems.base import Problem


@dataclass
class ProjectionResult:
    """A method's view of one or several trajectories (stacked in order, `lengths` models each).

    `terms` are loss terms on the grid [nx, ny]; `true_terms` / `rec_terms` the terms of the models and of
    their reconstructions [K]; `proj_errors` ||m - rec(m)|| per model (normalised space) and `e_proj` their
    mean; `e_proj_raw` the same mean in raw parameter space (as the authors' released code measures it);
    `density` the CKA density on the grid or None; `seconds` fitting plus evaluation (for logs: not saved,
    so reruns write identical files; NaN when loaded).
    """

    method: str
    labels: tuple[str, ...]
    lengths: tuple[int, ...]
    coords: np.ndarray
    axes: tuple[np.ndarray, np.ndarray]
    terms: dict[str, np.ndarray]
    true_terms: dict[str, np.ndarray]
    rec_terms: dict[str, np.ndarray]
    proj_errors: np.ndarray
    e_relative: float
    e_proj: float
    e_proj_raw: float
    seconds: float
    density: np.ndarray | None = None
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def loss_errors(self) -> np.ndarray:
        """|L(m) - L(rec(m))| per model (absolute loss error, paper N Fig. 10)."""
        return np.abs(self.true_terms["loss"] - self.rec_terms["loss"])

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Plain arrays for `np.savez` (loaded back by `from_arrays`)."""
        arrays = {"coords": self.coords, "axis_x": self.axes[0], "axis_y": self.axes[1],
                  "proj_errors": self.proj_errors, "lengths": np.asarray(self.lengths),
                  "labels": np.asarray(self.labels, dtype=str)}
        for prefix, terms in (("grid", self.terms), ("true", self.true_terms), ("rec", self.rec_terms)):
            arrays.update({f"{prefix}_{name}": values for name, values in terms.items()})
        if self.density is not None:
            arrays["density"] = self.density
        meta = {"method": self.method, "e_relative": self.e_relative, "e_proj": self.e_proj,
                "e_proj_raw": self.e_proj_raw, "info": self.info}
        arrays["meta"] = np.asarray(json.dumps(meta, default=float))
        return arrays

    @classmethod
    def from_arrays(cls, arrays: Any) -> ProjectionResult:
        """The result saved by `to_arrays` (a dict or an open `np.load` archive)."""
        if "meta" not in arrays:
            raise ValueError("not a Neuro-Visualizer result archive (no 'meta'); rerun the neurovis rule")
        meta = json.loads(str(arrays["meta"]))
        terms = {p: {k[len(p) + 1:]: np.asarray(arrays[k]) for k in arrays if k.startswith(p + "_")}
                 for p in ("grid", "true", "rec")}
        return cls(method=meta["method"], labels=tuple(str(s) for s in arrays["labels"]),
                   lengths=tuple(int(n) for n in arrays["lengths"]), coords=np.asarray(arrays["coords"]),
                   axes=(np.asarray(arrays["axis_x"]), np.asarray(arrays["axis_y"])), terms=terms["grid"],
                   true_terms=terms["true"], rec_terms=terms["rec"],
                   proj_errors=np.asarray(arrays["proj_errors"]),
                   e_relative=meta["e_relative"], e_proj=meta["e_proj"], e_proj_raw=meta["e_proj_raw"],
                   seconds=float("nan"),
                   density=np.asarray(arrays["density"]) if "density" in arrays else None, info=meta["info"])


def evaluate_projection(projection: Projection, data: TrajectorySet, problem: Problem, chunk: int = 256,
                        density: bool = False) -> ProjectionResult:
    """Decode and evaluate the projection's grid, the models and their reconstructions; score the fit."""
    start = time.perf_counter()
    normaliser = data.normaliser
    grid = decoded_landscape(problem, projection.decode, normaliser, projection.axes, chunk)
    true = evaluate_models(problem, data.thetas, chunk)
    rec_thetas = normaliser.denormalise(projection.reconstruction)
    rec = evaluate_models(problem, rec_thetas, chunk)
    grid_density = None
    if density:
        shape = tuple(len(a) for a in projection.axes)
        decoded = decode_grid(projection.decode, projection.axes, 0, int(np.prod(shape)))
        grid_density = cka_density(decoded.double().numpy()).reshape(shape)
    return ProjectionResult(
        method=projection.method, labels=data.labels, lengths=data.lengths, coords=projection.coords,
        axes=projection.axes, terms=grid, true_terms=true, rec_terms=rec,
        proj_errors=projection_errors(data.x, projection.reconstruction),
        e_relative=e_relative(true["loss"], rec["loss"]), e_proj=e_proj(data.x, projection.reconstruction),
        e_proj_raw=e_proj(data.thetas, rec_thetas),
        seconds=projection.seconds + time.perf_counter() - start, density=grid_density, info=projection.info)
