"""One call for a model of your own: the per-model stages (`losstopo.stages`) on any module and its data.

    result = losstopo.analyze(model, batches, loss="cross_entropy")   # batches: (inputs, targets) pairs
    result.landscapes["random"].loss, result.topologies["random"].metrics, result.hessian.summary
    result.save("out/")                                                # the workflow's files

The stages are those of the workflow's scripts and the CLI: `compute_hessian`, `compute_landscape`,
`compute_topology` (each with a `save` writing the workflow's data files; `losstopo.plots` draws the
figures). Settings are `losstopo.settings.Settings`, made from the config's `hessian`, `landscape` and
`topology` sections over the schema's defaults.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TextIO

import torch
from torch import Tensor, nn

from losstopo import artifacts, paths
from losstopo.problems.base import Problem
from losstopo.provenance import provenance
from losstopo.settings import Settings, landscape_job
from losstopo.stages.hessian import HessianReport, compute_hessian
from losstopo.stages.landscape import LandscapeReport, compute_landscape
from losstopo.stages.topology import compute_topology, save_topology_files
from losstopo.topology import LandscapeTopology

Loader = Callable[[str], "tuple[Problem, Tensor]"]


@dataclass
class Analysis:
    """Everything `analyze` computed; `save(folder)` writes it in the workflow's formats."""

    theta: Tensor
    problem_spec: dict[str, Any]
    settings: Settings
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
        from losstopo.plots.landscape import draw_landscape_report
        from losstopo.plots.topology import draw_topology

        out = Path(folder)
        out.mkdir(parents=True, exist_ok=True)
        written = []
        if self.hessian is not None:
            files = [out / paths.HESSIAN, out / paths.EIGVECS, out / paths.ESD]
            self.hessian.save(*files)
            written += files
        for kind, report in self.landscapes.items():
            files = [out / paths.landscape(kind, self.dim, ext) for ext in ("npz", "vti", "png")]
            report.save(*files[:2])
            if plots:
                draw_landscape_report(files[2], report, title=f"{kind} directions, {self.dim}-D")
            written += files if plots else files[:2]
            topo = [out / paths.topology(kind, self.dim, ext) for ext in ("json", "npz", "png")]
            save_topology_files(self.topologies[kind], *topo[:2])
            if plots:
                draw_topology(topo[2], self.topologies[kind])
            written += topo if plots else topo[:2]
        return written


def analyze_problem(
    load: Loader,
    problem_spec: dict[str, Any],
    settings: Settings,
    *,
    kinds: Iterable[str] | None = None,
    dim: int = 2,
    hessian: bool = True,
    device: str | None = None,
    progress: TextIO | None = None,
    log: Callable[[str], object] = lambda _: None,
) -> Analysis:
    """Hessian, then a landscape and its topology per kind; `load(dtype)` -> (problem, theta) in a dtype."""
    kinds = list(kinds if kinds is not None else settings.landscape.kinds)
    if "pca" in kinds:
        raise ValueError(
            "a single checkpoint has no trajectory: choose landscape kinds random and/or hessian"
        )
    result = Analysis(torch.empty(0), problem_spec, settings, dim)
    if hessian or "hessian" in kinds:
        problem, theta = load(settings.hessian.dtype)
        result.hessian = compute_hessian(
            problem, theta.to(device or theta.device), settings.hessian.to_dict(), problem_spec, progress
        )
        log(
            f"top eigenvalues {result.hessian.summary['eigenvalues']}, "
            f"trace {result.hessian.summary['trace']:.6g}"
        )
    for kind in kinds:
        job = landscape_job(settings.landscape.to_dict(), kind, dim)
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
        result.topologies[kind] = compute_topology(report.loss, report.axes, settings.topology.to_dict())
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
    `settings` overrides config sections (`hessian`, `landscape`, `topology`) over the schema's defaults."""
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

    s = Settings.from_sections(settings)
    if steps is not None:
        s = replace(s, landscape=s.landscape.with_steps(steps))
    if distance is not None:
        s = replace(s, landscape=s.landscape.for_every_kind(distance=distance))
    spec = {
        "name": "module",
        "entry": type(model).__name__,
        "loss": loss if isinstance(loss, str) else getattr(loss, "__name__", "custom"),
    }
    return analyze_problem(
        load, spec, s, kinds=kinds, dim=dim, hessian=hessian, device=device, progress=progress
    )


def save_imported(imported: Any, model_path: str | Path, metrics_path: str | Path) -> dict[str, float]:
    """model.pt and metrics.json of a user checkpoint (`losstopo.problems.user.ImportedModel`)."""
    metrics = imported.problem.evaluate(imported.theta)
    meta = {"checkpoint": str(imported.checkpoint), "provenance": provenance(problem=imported.problem_spec)}
    artifacts.save_model(model_path, imported.theta, imported.problem_spec, meta, imported.buffers)
    artifacts.save_json(metrics_path, {**metrics, "checkpoint": str(imported.checkpoint)})
    return metrics
