"""Glue: paper P Fig. 3, the error heat map over beta x lr, predictions, and landscape profiles."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from losstopo import artifacts
from losstopo.plots.pinn import plot_error_heatmap, plot_solution
from losstopo.plots.topology import plot_profile
from losstopo.topology import load_topology


def main(smk) -> None:
    records = smk.params.runs
    runs = pd.DataFrame([artifacts.load_json(r["files"]["metrics"]) for r in records["runs"]])
    pred_runs, profile_runs = records["predictions"], records["profiles"]
    cells = sorted({(r["beta"], r["lr"]) for r in profile_runs}, key=lambda c: (float(c[1]), float(c[0])))
    seeds = sorted({r["seed"] for r in profile_runs}, key=int)
    n_cols = max(len(pred_runs), len(cells))
    fig = plt.figure(figsize=(3.0 * n_cols + 1, 4.2 + 2.3 * (2 + len(seeds))), layout="constrained")
    rows = fig.subfigures(3, 1, height_ratios=[1.8, 1.1, 1.0 * len(seeds)])

    plot_error_heatmap(rows[0].subplots(), runs)
    rows[0].suptitle("(a) mean relative L2 error of the PINN over wave speed and learning rate")

    axes = np.atleast_1d(rows[1].subplots(1, n_cols, sharey=True))
    for ax, run in zip(axes, pred_runs):
        pred = np.load(run["files"]["prediction"])
        image = plot_solution(ax, pred["x"], pred["t"], pred["u_pred"], rf"$\beta$={run['beta']}, lr={run['lr']}")
    for ax in axes[len(pred_runs):]:
        ax.set_visible(False)
    rows[1].colorbar(image, ax=axes[: len(pred_runs)], label="predicted u(x, t)")
    rows[1].suptitle(f"(b) predicted u(x, t), seed {pred_runs[0]['seed']}")

    paths = {(r["beta"], r["lr"], r["seed"]): r["files"]["profile"] for r in profile_runs}
    grid = np.atleast_2d(rows[2].subplots(len(seeds), n_cols, squeeze=False))
    for j, (beta, lr) in enumerate(cells):
        for i, seed in enumerate(seeds):
            plot_profile(grid[i, j], load_topology(paths[(beta, lr, seed)]), log_scale=True)
            grid[i, j].set_title(rf"$\beta$={beta}, lr={lr}, seed {seed}", fontsize=8)
    for ax in grid[:, len(cells):].ravel():
        ax.set_visible(False)
    rows[2].suptitle("(c) topological landscape profiles (top-2 Hessian directions), every seed")
    fig.savefig(smk.output.png, dpi=200)
    fig.savefig(smk.output.pdf)


with artifacts.job_log(snakemake.log[0]):  # noqa: F821
    main(snakemake)  # noqa: F821
