"""Glue: the loss landscape of one trained model along random, Hessian or PCA directions (2-D to 4-D).

Inputs: `model` (model.pt), `eigvecs` ([k, P] .npy, kind hessian: the first `dim` rows), `trajectory`
(trajectory.npz, kind pca). Wildcards `kind` (random | hessian | pca) and `dim` (2 | 3 | 4). Params
`landscape`: distance, steps, normalization, ignore_bias (this kind's settings), chunk_memory_mb, seed,
dtype (checked and defaulted by workflow/schemas/config.schema.yaml before any job). Outputs `npz`
(loss, loss_<term>, axes, directions, meta; for pca trajectory_coords and explained_variance), `vti`
and `png`. Finished chunks are kept in `<npz>.partial/` so a killed job resumes; it is removed on success.
"""

import json
import shutil
import sys
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import torch  # noqa: E402

from losstopo import artifacts  # noqa: E402
from losstopo.landscape import (  # noqa: E402
    Directions,
    given_directions,
    grid_losses,
    pca_directions,
    random_directions,
    uniform_axes,
    write_vti,
)
from losstopo.plots.landscape import (  # noqa: E402
    plot_center_slices,
    plot_contour,
    plot_surface,
    plot_trajectory,
)
from losstopo.provenance import provenance  # noqa: E402

KINDS = ("random", "hessian", "pca")
COSINE_WARNING = 0.05  # directions more oblique than this no longer span the plane their kind names


def make_directions(kind: str, dim: int, theta: torch.Tensor, problem, s: dict, inputs) -> Directions:
    """The directions of this kind, from the rule's inputs."""
    if kind == "random":
        return random_directions(theta, problem.spec, dim, s["normalization"], s["ignore_bias"], s["seed"])
    if kind == "hessian":
        vectors = np.load(inputs.eigvecs)
        if vectors.ndim != 2 or vectors.shape[0] < dim or vectors.shape[1] != problem.spec.size:
            raise ValueError(f"{inputs.eigvecs}: expected [k >= {dim}, {problem.spec.size}] eigenvectors, "
                             f"got {vectors.shape}; raise hessian.top_k or rerun the hessian rule")
        return given_directions(torch.as_tensor(vectors[:dim]), theta, problem.spec, s["normalization"],
                                s["ignore_bias"], kind="hessian")
    if kind == "pca":
        thetas = artifacts.load_trajectory(inputs.trajectory)["thetas"]
        if thetas.ndim != 2 or thetas.shape[1] != problem.spec.size:
            raise ValueError(f"{inputs.trajectory}: expected checkpoints [K, {problem.spec.size}], got "
                             f"{thetas.shape}; was it saved by the training rule of this model?")
        return pca_directions(torch.as_tensor(thetas, dtype=theta.dtype), dim, center=theta)
    raise ValueError(f"unknown landscape kind {kind!r}; expected one of {list(KINDS)}")


def draw(path: str, axes, loss: np.ndarray, directions: Directions, title: str) -> None:
    """Contour and surface of a 2-D landscape (with the trajectory for PCA), centre slices otherwise."""
    dim = loss.ndim
    if dim == 2:
        fig = plt.figure(figsize=(10, 4.2))
        ax = fig.add_subplot(1, 2, 1)
        plot_contour(ax, axes, loss)
        if directions.trajectory_coords is not None:
            plot_trajectory(ax, directions.trajectory_coords,
                            explained_variance=directions.explained_variance)
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


def main(smk) -> None:
    start = time.perf_counter()
    torch.set_num_threads(max(1, int(smk.threads)))
    s = smk.params.landscape  # validated and completed by the config schema
    kind, dim = smk.wildcards.kind, int(smk.wildcards.dim)
    problem, theta, problem_spec = artifacts.load_problem(smk.input.model, s["dtype"])
    directions = make_directions(kind, dim, theta, problem, s, smk.input)
    distance = float(s["distance"])
    if directions.trajectory_coords is not None:  # PCA: keep the whole trajectory in view
        distance = max(distance, 1.1 * float(np.abs(directions.trajectory_coords).max()))
    axes = uniform_axes(dim, distance, int(s["steps"]))
    worst = float(np.abs(np.triu(directions.cosines, 1)).max())
    norms = directions.vectors.detach().double().norm(dim=1).cpu().numpy()
    print(f"{smk.input.model}: {kind} directions ({directions.normalization} normalisation), {dim}-D grid of "
          f"{s['steps']}^{dim} points, distance {distance:g}, direction norms {np.round(norms, 4).tolist()}, "
          f"max |cos| {worst:.2e}")
    if worst > COSINE_WARNING:
        print(f"WARNING: the {kind} directions are not orthogonal (max |cos| = {worst:.2f} > {COSINE_WARNING}): "
              "the landscape is drawn on a sheared plane; normalization 'none' keeps eigenvectors orthonormal")

    store = Path(str(smk.output.npz) + ".partial")
    landscape = grid_losses(problem, theta, directions, axes, memory_mb=float(s["chunk_memory_mb"]),
                            store=store, key=json.dumps(problem_spec, sort_keys=True), progress=sys.stderr)
    print(f"chunk {landscape.chunk}, {landscape.evaluated_points} points evaluated in "
          f"{landscape.seconds:.1f} s ({landscape.points_per_second:.1f} points/s), "
          f"non-finite: {landscape.n_nonfinite}")

    fields = {"loss" if name == "loss" else f"loss_{name}": v for name, v in landscape.terms.items()}
    meta = {
        "kind": kind, "dim": dim, "distance": distance, "distance_requested": float(s["distance"]),
        "steps": int(s["steps"]), "normalization": directions.normalization, "ignore_bias": s["ignore_bias"],
        "seed": s["seed"], "dtype": s["dtype"], "n_nonfinite": landscape.n_nonfinite["loss"],
        "n_nonfinite_terms": landscape.n_nonfinite, "chunk": landscape.chunk,
        "evaluated_points": landscape.evaluated_points, "points_per_second": landscape.points_per_second,
        "direction_cosines": directions.cosines.tolist(), "direction_norms": norms.tolist(),
        "max_abs_cosine": worst, "seconds": time.perf_counter() - start,
        "problem": problem_spec, "provenance": provenance(landscape=s),
    }
    extra = {}
    if directions.trajectory_coords is not None:
        extra = {"trajectory_coords": directions.trajectory_coords,
                 "explained_variance": directions.explained_variance}
    np.savez_compressed(smk.output.npz, **fields, axes=np.stack(axes),
                        directions=directions.vectors.detach().cpu().numpy().astype(np.float32),
                        meta=json.dumps(meta, default=float), **extra)
    write_vti(smk.output.vti, axes, fields)
    draw(smk.output.png, axes, landscape.loss, directions, f"{kind} directions, {dim}-D ({smk.input.model})")
    shutil.rmtree(store, ignore_errors=True)
    print(f"done in {time.perf_counter() - start:.1f} s")


if "snakemake" in globals():  # run by Snakemake; importing the module (tests) runs nothing
    with artifacts.job_log(snakemake.log[0]):  # noqa: F821
        main(snakemake)  # noqa: F821
