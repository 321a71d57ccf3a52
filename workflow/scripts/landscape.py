"""Glue: the loss landscape of one trained model along random, Hessian or PCA directions (2-D to 4-D).

Inputs: `model` (model.pt), `eigvecs` ([k, P] .npy, kind hessian: the first `dim` rows), `trajectory`
(trajectory.npz, kind pca). Wildcards `kind` (random | hessian | pca) and `dim` (2 | 3 | 4). Params
`landscape`: distance, steps, normalization, ignore_bias (this kind's settings), chunk_memory_mb,
save_every_s, seed, dtype (the dict of `losstopo.settings.landscape_job`, checked and defaulted by the
config schema). Outputs `npz` (loss, loss_<term>, axes, directions, meta; for pca trajectory_coords and
explained_variance), `vti` and `png` (drawn by `losstopo.plots.landscape.draw_landscape_report`).
Finished chunks are kept in `<npz>.partial/` so a killed job resumes; it is removed on success.
"""

import shutil
import sys
import time
from pathlib import Path

import numpy as np
import torch

from losstopo import artifacts
from losstopo.plots.landscape import draw_landscape_report
from losstopo.stages.landscape import compute_landscape


def main(smk) -> None:
    start = time.perf_counter()
    torch.set_num_threads(max(1, int(smk.threads)))
    s = smk.params.landscape  # validated and completed by the config schema
    kind, dim = smk.wildcards.kind, int(smk.wildcards.dim)
    problem, theta, problem_spec = artifacts.load_problem(smk.input.model, s["dtype"])
    eigvecs = np.load(smk.input.eigvecs) if kind == "hessian" else None
    trajectory = artifacts.load_trajectory(smk.input.trajectory)["thetas"] if kind == "pca" else None
    source = {"hessian": "eigvecs", "pca": "trajectory"}.get(kind)
    store = Path(str(smk.output.npz) + ".partial")
    report = compute_landscape(problem, theta, problem_spec, kind, dim, s, eigvecs=eigvecs,
                               trajectory=trajectory, store=store, progress=sys.stderr,
                               log=lambda line: print(f"{smk.input.model}: {line}"),
                               source=str(getattr(smk.input, source)) if source else "")
    title = f"{kind} directions, {dim}-D ({smk.input.model})"
    report.save(smk.output.npz, smk.output.vti)
    draw_landscape_report(smk.output.png, report, title)
    shutil.rmtree(store, ignore_errors=True)
    print(f"done in {time.perf_counter() - start:.1f} s")


if "snakemake" in globals():  # run by Snakemake; importing the module (tests) runs nothing
    with artifacts.job_log(snakemake.log[0]):  # noqa: F821
        main(snakemake)  # noqa: F821
