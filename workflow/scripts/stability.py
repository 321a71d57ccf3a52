"""Glue: one model's 2-D topology metrics over direction draws, resolutions, distances and evaluation batches.

Inputs: `model` (model.pt), `eigvecs` (kind hessian), `trajectory` (kind pca). Params `settings`: the run's
`landscape` and `topology` sections, config `stability` (draws, resolution_scales, distance_scales,
batches) and `batches` ({"spec": a problem spec holding that many evaluation sets, "batches": n}, or None:
the problem has one). Output `csv`: the tidy table (kind, factor, level, draw, metric, value) of
`losstopo.topology.stability`; the log prints each metric's coefficient of variation per factor.
"""

import sys
import time

import numpy as np
import torch

from losstopo import artifacts
from losstopo.problems.registry import make_problem
from losstopo.stages.stability import compute_stability


def main(smk) -> None:
    start = time.perf_counter()
    torch.set_num_threads(max(1, int(smk.threads)))
    s = smk.params.settings
    landscape = s["landscape"]
    problem, theta, problem_spec = artifacts.load_problem(smk.input.model, landscape["dtype"])
    eigvecs, trajectory = getattr(smk.input, "eigvecs", None), getattr(smk.input, "trajectory", None)
    eigvecs = np.load(eigvecs) if eigvecs else None
    trajectory = artifacts.load_trajectory(trajectory)["thetas"] if trajectory else None
    batch_problems = None
    if s["batches"] is not None:
        _, _, buffers = artifacts.load_model(smk.input.model)
        spec = {**s["batches"]["spec"], "dtype": landscape["dtype"]}
        batch_problems = make_problem(spec, buffers or None).split(s["batches"]["batches"])
    print(f"{smk.input.model}: kinds {landscape['kinds']}, {s['stability']}, "
          f"{len(batch_problems) if batch_problems else 1} evaluation set(s)")
    report = compute_stability(problem, theta, problem_spec, landscape, s["topology"], s["stability"],
                               eigvecs=eigvecs, trajectory=trajectory, batch_problems=batch_problems,
                               log=lambda line: print(line, file=sys.stderr))
    report.save(smk.output.csv)
    print(f"{report.n_landscapes} landscapes in {report.seconds:.1f} s; coefficient of variation (std / |mean|) "
          "of each metric over the direction draws, and over each factor's levels (mean over draws):")
    print(report.describe())
    print(f"done in {time.perf_counter() - start:.1f} s")


if "snakemake" in globals():  # run by Snakemake; importing the module (tests) runs nothing
    with artifacts.job_log(snakemake.log[0]):  # noqa: F821
        main(snakemake)  # noqa: F821
