"""Glue: paper P Fig. 4 / B.6, UNet-CRF test accuracy over epochs x learning rates, landscapes over training.

Params `runs`: run records (lr, seed, epoch and their `files`): "runs", every checkpoint with its
metrics.json, and "profiles", the checkpoints drawn with their 2-D Hessian landscape and topology npz;
`synthetic` (titles say which data set). Outputs `png`, `pdf`.
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402

from losstopo import artifacts  # noqa: E402
from losstopo.plots.landscape import plot_contour  # noqa: E402
from losstopo.plots.topology import plot_profile  # noqa: E402
from losstopo.topology import load_topology  # noqa: E402

HEATMAPS = (("test_pixel_accuracy", "test pixel accuracy"), ("test_iou", "test IoU (mean over classes)"))


def run_table(runs: list[dict]) -> pd.DataFrame:
    """One row per checkpoint: its lr, seed and epoch with its test metrics."""
    rows = []
    for run in runs:
        metrics = artifacts.load_json(run["files"]["metrics"])
        rows.append({"lr": float(run["lr"]), "seed": int(run["seed"]), "epoch": int(run["epoch"]),
                     **{key: metrics[key] for key, _ in HEATMAPS}})
    return pd.DataFrame(rows)


def plot_epoch_heatmap(ax, table: pd.DataFrame, metric: str, label: str) -> None:
    """Seed-mean `metric` over epochs (columns) x learning rates (rows, largest on top)."""
    grid = table.groupby(["lr", "epoch"])[metric].mean().unstack("epoch").sort_index(ascending=False)
    sns.heatmap(grid, ax=ax, annot=grid.shape[1] <= 12, fmt=".2f", cmap="viridis",
                cbar_kws={"label": f"{label}, mean over seeds"})
    ax.set_xlabel("epoch")
    ax.set_ylabel("learning rate")
    ax.set_yticklabels([f"{lr:g}" for lr in grid.index], rotation=0)


def main(smk) -> None:
    data_name = "synthetic Oxford-IIIT Pet" if smk.params.synthetic else "Oxford-IIIT Pet"
    table = run_table(smk.params.runs["runs"])
    profile_runs = smk.params.runs["profiles"]
    epochs = sorted({int(r["epoch"]) for r in profile_runs})
    lines = sorted({(float(r["lr"]), int(r["seed"])) for r in profile_runs}, key=lambda c: (-c[0], c[1]))
    fig = plt.figure(figsize=(max(10.0, 6.0 * len(epochs)), 3.6 + 2.6 * len(lines)), layout="constrained")
    top, bottom = fig.subfigures(2, 1, height_ratios=[3.6, 2.6 * len(lines)])

    for ax, (metric, label) in zip(top.subplots(1, len(HEATMAPS)), HEATMAPS):
        plot_epoch_heatmap(ax, table, metric, label)
    top.suptitle(f"(a) UNet + CRF-RNN on {data_name}: test metrics over epochs and learning rates")

    grid = bottom.subplots(len(lines), 2 * len(epochs), squeeze=False)
    cells = {(float(r["lr"]), int(r["seed"]), int(r["epoch"])): (r["files"]["landscape"], r["files"]["profile"])
             for r in profile_runs}
    for i, (lr, seed) in enumerate(lines):
        for j, epoch in enumerate(epochs):
            contour_ax, profile_ax = grid[i, 2 * j], grid[i, 2 * j + 1]
            if (lr, seed, epoch) not in cells:
                contour_ax.set_visible(False)
                profile_ax.set_visible(False)
                continue
            landscape_path, profile_path = cells[(lr, seed, epoch)]
            with np.load(landscape_path) as landscape:
                plot_contour(contour_ax, landscape["axes"], landscape["loss"], colorbar=False, lines=False)
            contour_ax.xaxis.set_major_locator(MaxNLocator(3))
            contour_ax.yaxis.set_major_locator(MaxNLocator(3))
            topology = load_topology(profile_path)
            plot_profile(profile_ax, topology, log_scale=True)
            contour_ax.set_title(f"lr={lr:g}, seed {seed}, epoch {epoch}", fontsize=8)
            counts = topology.metrics
            profile_ax.set_title(f"minima: {counts.n_minima}, saddles: {counts.n_saddles}", fontsize=8)
    bottom.suptitle("(b) loss landscapes along the top-2 Hessian eigenvectors and their topological profiles")
    fig.savefig(smk.output.png, dpi=200)
    fig.savefig(smk.output.pdf)


if "snakemake" in globals():  # run by Snakemake; importing the module (tests) runs nothing
    with artifacts.job_log(snakemake.log[0]):  # noqa: F821
        main(snakemake)  # noqa: F821
