"""One call for a model of your own, and the per-model stages that the workflow scripts and the CLI share.

    result = losstopo.analyze(model, batches, loss="cross_entropy")   # batches: (inputs, targets) pairs
    result.landscapes["random"].loss, result.topologies["random"].metrics, result.hessian.summary
    result.save("out/")                                                # the workflow's files

Stages (pure, then a `save_*` writing the workflow's files): `compute_hessian`, `compute_landscape`,
`compute_topology`. Settings are the config's `hessian`, `landscape` and `topology` sections (`DEFAULTS`
mirrors the schema's defaults).
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import torch
from torch import Tensor, nn

from losstopo import artifacts
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
from losstopo.topology import LandscapeTopology, landscape_topology, save_topology

KINDS = ("random", "hessian", "pca")
COSINE_WARNING = 0.05  # directions more oblique than this no longer span the plane their kind names
DEFAULTS: dict[str, dict[str, Any]] = {
    "hessian": {
        "top_k": 4,
        "tol": 1.0e-4,
        "max_iter": 100,
        "trace_rtol": 0.02,
        "trace_max_samples": 200,
        "esd_runs": 2,
        "esd_steps": 60,
        "seed": 0,
        "dtype": "float64",
    },
    "landscape": {
        "kinds": ["random", "hessian"],
        "steps": 41,
        "steps_3d": 17,
        "steps_4d": 9,
        "chunk_memory_mb": 256,
        "seed": 0,
        "dtype": "float32",
        "random": {"normalization": "filter", "distance": 1.0, "ignore_bias": True},
        "hessian": {"normalization": "none", "distance": 0.5, "ignore_bias": False},
        "pca": {"normalization": "none", "distance": 1.0, "ignore_bias": False},
    },
    "topology": {"connectivity": "ttk", "k": 8, "persistence_threshold": 0.0},
}
Loader = Callable[[str], "tuple[Problem, Tensor]"]


def merged(base: dict[str, Any], override: dict[str, Any] | None) -> dict[str, Any]:
    """`base` with `override`'s keys replaced, recursively into dicts (config sections and overrides)."""
    out = copy.deepcopy(base)
    for key, value in (override or {}).items():
        out[key] = (
            merged(out[key], value)
            if isinstance(value, dict) and isinstance(out.get(key), dict)
            else copy.deepcopy(value)
        )
    return out


def landscape_job(s: dict[str, Any], kind: str, dim: int) -> dict[str, Any]:
    """One landscape job's settings: shared keys, its kind's keys, the points per axis of its dim."""
    if kind not in KINDS:
        raise ValueError(f"unknown landscape kind {kind!r}; expected one of {list(KINDS)}")
    if dim not in (2, 3, 4):
        raise ValueError(f"landscape dim must be 2, 3 or 4, got {dim}")
    steps = {2: s["steps"], 3: s["steps_3d"], 4: s["steps_4d"]}[dim]
    shared = {k: v for k, v in s.items() if k not in KINDS}
    return {**shared, **s[kind], "steps": steps}


@dataclass(frozen=True)
class HessianReport:
    """Top-k eigenpairs, trace and spectral density of one model: hessian.json, eigvecs.npy, esd.npz."""

    summary: dict[str, Any]
    eigvecs: np.ndarray
    esd: dict[str, Any]

    def save(self, json_path: str | Path, eigvecs_path: str | Path, esd_path: str | Path) -> None:
        artifacts.save_json(json_path, self.summary)
        np.save(eigvecs_path, self.eigvecs)
        np.savez_compressed(esd_path, **self.esd)


def compute_hessian(
    problem: Problem,
    theta: Tensor,
    s: dict[str, Any],
    problem_spec: dict[str, Any],
    progress: TextIO | None = None,
) -> HessianReport:
    """Lanczos top-k, deflated Hutchinson trace and SLQ density with settings `s` (config `hessian`)."""
    from tqdm import tqdm

    from losstopo.hessian import HessianOperator, hutchinson_trace, spectral_density, top_eigen

    start = time.perf_counter()
    budget = s["max_iter"] + s["trace_max_samples"] + s["esd_runs"] * s["esd_steps"]
    bar = tqdm(
        total=budget, unit="hvp", desc="hessian", mininterval=1, file=progress, disable=progress is None
    )
    op = HessianOperator(problem, theta, on_product=bar.update)
    setup = time.perf_counter() - start
    eig = top_eigen(op, s["top_k"], tol=s["tol"], max_iter=s["max_iter"], seed=s["seed"])
    trace = hutchinson_trace(
        op,
        rtol=s["trace_rtol"],
        max_samples=s["trace_max_samples"],
        min_samples=min(10, s["trace_max_samples"]),
        seed=s["seed"],
        deflate=eig,
    )
    esd = spectral_density(op, runs=s["esd_runs"], steps=s["esd_steps"], seed=s["seed"])
    bar.close()
    n_hvp = {"eigen": eig.n_hvp, "trace": trace.n_hvp, "esd": esd.n_hvp}
    seconds = {"setup": setup, "eigen": eig.seconds, "trace": trace.seconds, "esd": esd.seconds}
    summary = {
        "eigenvalues": eig.eigenvalues.tolist(),
        "top_eigenvalue": float(eig.eigenvalues[0]),
        "ritz_residuals": eig.residuals.tolist(),
        "eigen_converged": eig.converged,
        "trace": trace.mean,
        "trace_stderr": trace.stderr,
        "trace_samples": trace.n_samples,
        "trace_deflated_part": trace.deflated,
        "esd_width": esd.width,
        "n_params": op.size,
        "loss": float(problem.loss(theta)),
        "n_hvp": {**n_hvp, "total": sum(n_hvp.values())},
        "seconds": {**seconds, "total": time.perf_counter() - start},
        "settings": s,
        "provenance": provenance(problem=problem_spec, hessian=s),
    }
    eigvecs = eig.eigenvectors.detach().cpu().numpy().astype(np.float32)
    density = {
        "grid": esd.grid,
        "density": esd.density,
        "nodes": esd.nodes,
        "weights": esd.weights,
        "width": esd.width,
    }
    return HessianReport(summary, eigvecs, density)


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
    """A landscape with its directions and the metadata saved beside it (landscape_<kind>_<dim>d.*)."""

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
        if png is not None:
            draw_landscape(png, self.axes, self.loss, self.directions, title)


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
) -> LandscapeReport:
    """The `dim`-D landscape along `kind` directions with one job's settings `s` (see `landscape_job`)."""
    start = time.perf_counter()
    directions = make_directions(kind, dim, theta, problem, s, eigvecs, trajectory)
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
        "evaluated_points": landscape.evaluated_points,
        "points_per_second": landscape.points_per_second,
        "direction_cosines": directions.cosines.tolist(),
        "direction_norms": norms.tolist(),
        "max_abs_cosine": worst,
        "seconds": time.perf_counter() - start,
        "problem": problem_spec,
        "provenance": provenance(landscape=s),
    }
    return LandscapeReport(landscape, directions, meta)


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
    else:
        n_pairs = dim * (dim - 1) // 2
        cols = 3
        n_rows = (n_pairs + cols - 1) // cols
        fig, axs = plt.subplots(n_rows, cols, figsize=(4.2 * cols, 3.8 * n_rows))
        plot_center_slices(list(np.ravel(axs))[:n_pairs], axes, loss)
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=150)
    plt.close(fig)


def compute_topology(
    loss: np.ndarray, axes: np.ndarray | list[np.ndarray], cfg: dict[str, Any]
) -> LandscapeTopology:
    """Merge tree, persistence, metrics and profile of one landscape; `cfg` is config `topology`."""
    return landscape_topology(
        loss, axes, cfg["connectivity"], int(cfg["k"]), float(cfg["persistence_threshold"])
    )


def save_topology_files(
    topology: LandscapeTopology,
    json_path: str | Path,
    npz_path: str | Path,
    png_path: str | Path | None = None,
) -> None:
    """topology_<kind>_<dim>d.json (metrics, pairs) and .npz (tree, pairs, profile); optionally a figure."""
    artifacts.save_json(json_path, topology.summary())
    save_topology(topology, npz_path)
    if png_path is not None:
        draw_topology(png_path, topology)


def draw_topology(path: str | Path, topology: LandscapeTopology) -> None:
    """Merge tree, persistence diagram and landscape profile side by side."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from losstopo.plots.topology import plot_merge_tree, plot_persistence_diagram, plot_profile

    fig, axs = plt.subplots(1, 3, figsize=(13, 3.8), layout="constrained")
    plot_merge_tree(axs[0], topology)
    plot_persistence_diagram(axs[1], topology)
    plot_profile(axs[2], topology)
    fig.savefig(path, dpi=150)
    plt.close(fig)


@dataclass
class Analysis:
    """Everything `analyze` computed; `save(folder)` writes it in the workflow's formats."""

    theta: Tensor
    problem_spec: dict[str, Any]
    settings: dict[str, dict[str, Any]]
    dim: int
    hessian: HessianReport | None = None
    landscapes: dict[str, LandscapeReport] = field(default_factory=dict)
    topologies: dict[str, LandscapeTopology] = field(default_factory=dict)

    @property
    def metrics(self) -> dict[str, dict[str, Any]]:
        """Merge-tree metrics per landscape kind (n_minima, n_saddles, avg_persistence, ...)."""
        from dataclasses import asdict

        return {kind: asdict(t.metrics) for kind, t in self.topologies.items()}

    def save(self, folder: str | Path, plots: bool = True) -> list[Path]:
        """hessian.json, eigvecs.npy, esd.npz, landscape_<kind>_<dim>d.{npz,vti,png},
        topology_<kind>_<dim>d.{json,npz,png} under `folder`; returns the paths written."""
        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        written = []
        if self.hessian is not None:
            paths = [out / "hessian.json", out / "eigvecs.npy", out / "esd.npz"]
            self.hessian.save(*paths)
            written += paths
        for kind, report in self.landscapes.items():
            stem = f"{kind}_{self.dim}d"
            paths = [out / f"landscape_{stem}.{ext}" for ext in ("npz", "vti", "png")]
            report.save(*paths[:2], paths[2] if plots else None, title=f"{kind} directions, {self.dim}-D")
            written += paths if plots else paths[:2]
            topo = [out / f"topology_{stem}.{ext}" for ext in ("json", "npz", "png")]
            save_topology_files(self.topologies[kind], *topo[:2], topo[2] if plots else None)
            written += topo if plots else topo[:2]
        return written


def analyze_problem(
    load: Loader,
    problem_spec: dict[str, Any],
    settings: dict[str, dict[str, Any]],
    *,
    kinds: Iterable[str] | None = None,
    dim: int = 2,
    hessian: bool = True,
    device: str | None = None,
    progress: TextIO | None = None,
    log: Callable[[str], object] = lambda _: None,
) -> Analysis:
    """Hessian, then a landscape and its topology per kind; `load(dtype)` -> (problem, theta) in a dtype."""
    s = {stage: merged(DEFAULTS[stage], settings.get(stage)) for stage in DEFAULTS}
    kinds = list(kinds if kinds is not None else s["landscape"]["kinds"])
    if "pca" in kinds:
        raise ValueError(
            "a single checkpoint has no trajectory: choose landscape kinds random and/or hessian"
        )
    result = Analysis(torch.empty(0), problem_spec, s, dim)
    if hessian or "hessian" in kinds:
        problem, theta = load(s["hessian"]["dtype"])
        result.hessian = compute_hessian(
            problem, theta.to(device or theta.device), s["hessian"], problem_spec, progress
        )
        log(
            f"top eigenvalues {result.hessian.summary['eigenvalues']}, "
            f"trace {result.hessian.summary['trace']:.6g}"
        )
    for kind in kinds:
        job = landscape_job(s["landscape"], kind, dim)
        problem, theta = load(job["dtype"])
        result.theta = theta
        eigvecs = result.hessian.eigvecs if result.hessian is not None else None
        report = compute_landscape(
            problem,
            theta,
            problem_spec,
            kind,
            dim,
            job,
            eigvecs=eigvecs,
            device=device,
            progress=progress,
            log=log,
        )
        result.landscapes[kind] = report
        result.topologies[kind] = compute_topology(report.loss, report.axes, s["topology"])
        log(f"{kind}: {result.topologies[kind].metrics}")
    return result


def analyze(
    model: nn.Module,
    batches: Iterable[tuple[Tensor, Tensor]],
    loss: str | Callable[[Tensor, Tensor], Tensor] = "mse",
    *,
    kinds: Iterable[str] = ("random",),
    dim: int = 2,
    steps: int | None = None,
    distance: float | None = None,
    hessian: bool = True,
    settings: dict[str, dict[str, Any]] | None = None,
    device: str | None = None,
    progress: TextIO | None = None,
) -> Analysis:
    """Hessian metrics, landscapes centred on `model` (odd steps: the model is a grid point), merge trees
    and persistence of any module on `(inputs, targets)` batches. `loss`: "mse", "cross_entropy" or a
    per-sample `fn(outputs, targets) -> [N]`; `steps`/`distance` override every kind's grid;
    `settings` overrides config sections (`hessian`, `landscape`, `topology`)."""
    from losstopo.problems.module import LOSSES, ModuleProblem
    from losstopo.problems.registry import DTYPES

    frozen = copy.deepcopy(model).cpu()
    data = [(torch.as_tensor(x), torch.as_tensor(y)) for x, y in batches]
    params = {n: p.detach() for n, p in frozen.named_parameters()}
    buffers = {n: b.detach() for n, b in frozen.named_buffers()}
    per_sample = LOSSES.get(loss) if isinstance(loss, str) else loss
    if per_sample is None:
        raise ValueError(
            f"loss = {loss!r}; choose {sorted(LOSSES)} or pass a per-sample fn(outputs, targets)"
        )

    def load(dtype: str) -> tuple[Problem, Tensor]:
        problem = ModuleProblem(
            lambda: copy.deepcopy(frozen), data, loss="mse", dtype=DTYPES[dtype], buffers=buffers
        )
        problem.sample_loss = per_sample
        return problem, problem.spec.flatten(params).to(DTYPES[dtype])

    overrides = merged({}, settings)
    grid = {k: v for k, v in (("steps", steps), ("distance", distance)) if v is not None}
    if grid:
        landscape = overrides.setdefault("landscape", {})
        landscape.update(
            {key: grid["steps"] for key in ("steps", "steps_3d", "steps_4d")} if "steps" in grid else {}
        )
        for kind in KINDS:
            landscape[kind] = {
                **landscape.get(kind, {}),
                **({"distance": grid["distance"]} if "distance" in grid else {}),
            }
    spec = {
        "name": "module",
        "entry": type(model).__name__,
        "loss": loss if isinstance(loss, str) else getattr(loss, "__name__", "custom"),
    }
    return analyze_problem(
        load, spec, overrides, kinds=kinds, dim=dim, hessian=hessian, device=device, progress=progress
    )


def save_imported(imported: Any, model_path: str | Path, metrics_path: str | Path) -> dict[str, float]:
    """model.pt and metrics.json of a user checkpoint (`losstopo.problems.user.ImportedModel`)."""
    metrics = imported.problem.evaluate(imported.theta)
    meta = {"checkpoint": str(imported.checkpoint), "provenance": provenance(problem=imported.problem_spec)}
    artifacts.save_model(model_path, imported.theta, imported.problem_spec, meta, imported.buffers)
    artifacts.save_json(metrics_path, {**metrics, "checkpoint": str(imported.checkpoint)})
    return metrics
