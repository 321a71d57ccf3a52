"""One call for a model of your own: the per-model stages (`losstopo.stages`) on any module and its data.

    result = losstopo.analyze(model, batches, loss="cross_entropy")   # batches: (inputs, targets) pairs
    result.landscapes["random"].loss, result.topologies["random"].metrics, result.hessian.summary
    result.save("out/")                                                # the workflow's files

The stages are those of the workflow's scripts and the CLI: `compute_hessian`, `compute_landscape`,
`compute_topology` (each with a `save` writing the workflow's files). Settings are the config's `hessian`, `landscape` and `topology` sections (`DEFAULTS`
mirrors the schema's defaults).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

import torch
from torch import Tensor, nn

from losstopo import artifacts
from losstopo.config import merged
from losstopo.problems.base import Problem
from losstopo.provenance import provenance
from losstopo.stages.hessian import HessianReport, compute_hessian
from losstopo.stages.landscape import KINDS, LandscapeReport, compute_landscape, landscape_job
from losstopo.stages.topology import compute_topology, save_topology_files
from losstopo.topology import LandscapeTopology
DEFAULTS: dict[str, dict[str, Any]] = {
    "hessian": {
        "top_k": 4,
        "tol": 1.0e-4,
        "max_iter": 100,
        "trace_rtol": 0.02,
        "trace_max_samples": 200,
        "esd_runs": 8,
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
        "save_every_s": 30.0,
        "seed": 0,
        "dtype": "float32",
        "random": {"normalization": "filter", "distance": 1.0, "ignore_bias": True},
        "hessian": {"normalization": "none", "distance": 0.5, "ignore_bias": False},
        "pca": {"normalization": "none", "distance": 1.0, "ignore_bias": False},
    },
    "topology": {"connectivity": "ttk", "k": 8, "persistence_threshold": 0.0},
}
Loader = Callable[[str], "tuple[Problem, Tensor]"]


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
