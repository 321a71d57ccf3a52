"""The hessian stage of one model: top-k eigenpairs, trace and spectral density, and their files.

The trace is estimated twice: by Hutchinson with the top eigenpairs deflated, stopping on its standard
error (`trace`), and by Hutch++ with a fixed budget of `hutchpp_hvps` products (`trace_hutchpp`), so the
two estimators can be compared on every model.

The workflow's `hessian` rule, the CLI and `losstopo.analyze` all call `compute_hessian`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import numpy as np
import torch
from torch import Tensor

from losstopo import artifacts
from losstopo.problems.base import Problem
from losstopo.provenance import provenance


@dataclass(frozen=True)
class HessianReport:
    """Top-k eigenpairs, trace and spectral density of one model: hessian.json, eigvecs.npy, esd.npz.
    `seconds` (per part) is for logs only: saved files hold no timings, so reruns are byte-identical."""

    summary: dict[str, Any]
    eigvecs: np.ndarray
    esd: dict[str, Any]
    seconds: dict[str, float]

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
    """Lanczos top-k, deflated Hutchinson and Hutch++ traces and SLQ density with settings `s` (config
    `hessian`)."""
    if not bool(torch.isfinite(theta).all()):
        return diverged_hessian(theta, s, problem_spec)
    from tqdm import tqdm

    from losstopo.hessian import HessianOperator, hutchinson_trace, spectral_density, top_eigen
    from losstopo.hessian.hutchpp import hutchpp_trace

    start = time.perf_counter()
    budget = s["max_iter"] + s["trace_max_samples"] + s["hutchpp_hvps"] + s["esd_runs"] * s["esd_steps"]
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
    hutchpp = hutchpp_trace(op, s["hutchpp_hvps"], seed=s["seed"])
    esd = spectral_density(op, runs=s["esd_runs"], steps=s["esd_steps"], seed=s["seed"])
    bar.close()
    n_hvp = {"eigen": eig.n_hvp, "trace": trace.n_hvp, "hutchpp": hutchpp.n_hvp, "esd": esd.n_hvp}
    seconds = {"setup": setup, "eigen": eig.seconds, "trace": trace.seconds, "hutchpp": hutchpp.seconds,
               "esd": esd.seconds}
    summary = {
        "eigenvalues": eig.eigenvalues.tolist(),
        "top_eigenvalue": float(eig.eigenvalues[0]),
        "ritz_residuals": eig.residuals.tolist(),
        "eigen_converged": eig.converged,
        "trace": trace.mean,
        "trace_stderr": trace.stderr,
        "trace_samples": trace.n_samples,
        "trace_deflated_part": trace.deflated,
        "trace_hutchpp": hutchpp.mean,
        "trace_hutchpp_stderr": hutchpp.stderr,
        "trace_hutchpp_rank": hutchpp.rank,
        "status": "ok",
        "esd_width": esd.width,
        "n_params": op.size,
        "loss": float(problem.loss(theta)),
        "n_hvp": {**n_hvp, "total": sum(n_hvp.values())},
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
    return HessianReport(summary, eigvecs, density, {**seconds, "total": time.perf_counter() - start})


def diverged_hessian(theta: Tensor, s: dict[str, Any], problem_spec: dict[str, Any]) -> HessianReport:
    """The record of a model whose weights are not finite (training diverged): no curvature, NaN values
    and status "diverged", so the stages after it go on and its row is marked, instead of a crash."""
    k, nan = s["top_k"], float("nan")
    summary = {
        "status": "diverged",
        "eigenvalues": [nan] * k,
        "top_eigenvalue": nan,
        "trace": nan,
        "trace_stderr": nan,
        "trace_hutchpp": nan,
        "trace_hutchpp_stderr": nan,
        "n_params": int(theta.numel()),
        "settings": s,
        "provenance": provenance(problem=problem_spec, hessian=s),
    }
    empty = np.zeros(0)
    esd = {"grid": empty, "density": empty, "nodes": empty, "weights": empty, "width": nan}
    return HessianReport(summary, np.full((k, theta.numel()), np.nan, np.float32), esd, {})
