"""Glue: one method's 2-D view (nv | pca | kpca | umap) of one or several training trajectories, its
decoded-grid loss landscape and its fidelity (paper N Table 1: e_relative, e_proj).

Params: `trajectories` (one {label, model, trajectory} per member of the group: its model.pt and
trajectory.npz; the first model's problem evaluates every landscape), `method` and `neurovis` (AE
settings: hidden, epochs, lr, batch_size, patience, restart_epochs, weights, anchor, l_max, grid_points,
seed; and resolution, dtype, density; checked and defaulted by the config schema). Outputs `npz` (every array
needed to redraw, `losstopo.neurovis.ProjectionResult.to_arrays`) and `json` (scores, settings, provenance).
"""

import time

import numpy as np
import torch

from losstopo import artifacts
from losstopo.neurovis import (
    METHODS,
    AESettings,
    Projection,
    TrajectorySet,
    evaluate_projection,
    fit_autoencoder,
    kpca_projection,
    nv_projection,
    pca_projection,
    trajectory_set,
    umap_projection,
)
from losstopo.problems.registry import DTYPES
from losstopo.provenance import provenance


def load_trajectories(paths: list[str], labels: list[str], size: int, dtype: str) -> TrajectorySet:
    """The checkpoints of every trajectory file, checked against the evaluating problem's size."""
    if len(labels) != len(paths):
        raise ValueError(f"{len(labels)} labels for {len(paths)} trajectories: {paths}")
    stacks = []
    for path in paths:
        thetas = artifacts.load_trajectory(path)["thetas"]
        if thetas.ndim != 2 or thetas.shape[1] != size:
            raise ValueError(f"{path}: expected checkpoints [K, {size}] (the first model's problem size), "
                             f"got {thetas.shape}; all trajectories of a view need one architecture")
        stacks.append(thetas)
    return trajectory_set(stacks, labels, dtype=DTYPES[dtype])


def project(method: str, data: TrajectorySet, s: dict) -> Projection:
    """Fit the chosen method on the normalised models."""
    resolution = int(s["resolution"])
    if method == "nv":
        return nv_projection(fit_autoencoder(data, AESettings.from_dict(s)), data, resolution)
    if method == "pca":
        return pca_projection(data, resolution)
    if method == "kpca":
        return kpca_projection(data, resolution, seed=int(s["seed"]))
    if method == "umap":
        return umap_projection(data, resolution, seed=int(s["seed"]))
    raise ValueError(f"params.method must be one of {METHODS}, got {method!r}")


def main(smk) -> None:
    start = time.perf_counter()
    torch.set_num_threads(max(1, int(smk.threads)))
    s, method = smk.params.neurovis, smk.params.method
    members = list(smk.params.trajectories)
    models, trajectories = [m["model"] for m in members], [m["trajectory"] for m in members]
    problem, _, problem_spec = artifacts.load_problem(models[0], s["dtype"])
    data = load_trajectories(trajectories, [m["label"] for m in members], problem.spec.size, s["dtype"])
    print(f"{method}: {data.n_models} models of {problem.spec.size} parameters from {len(trajectories)} "
          f"trajectories; landscape evaluated with {models[0]}")
    projection = project(method, data, s)
    result = evaluate_projection(projection, data, problem, density=bool(s["density"]))
    print(f"e_relative {result.e_relative:.4g}, e_proj {result.e_proj:.4g} (raw {result.e_proj_raw:.4g}), "
          f"{result.seconds:.1f} s (fit {projection.seconds:.1f} s)")
    np.savez_compressed(smk.output.npz, **result.to_arrays())
    artifacts.save_json(smk.output.json, {
        "method": method, "e_relative": result.e_relative, "e_proj": result.e_proj,
        "e_proj_raw": result.e_proj_raw,
        "labels": list(data.labels),
        "trajectories": trajectories, "models": models, "n_models": data.n_models, "info": result.info,
        "problem": problem_spec, "provenance": provenance(neurovis=dict(s), method=method),
    })
    print(f"done in {time.perf_counter() - start:.1f} s")


if "snakemake" in globals():  # run by Snakemake; importing the module (tests) runs nothing
    with artifacts.job_log(snakemake.log[0]):  # noqa: F821
        main(snakemake)  # noqa: F821
