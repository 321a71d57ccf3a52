"""Glue: paper P Fig. A.5, landscape profiles of 3-D and 4-D Hessian-direction landscapes, same seeds."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from losstopo.artifacts import job_log
from losstopo.plots.topology import plot_profile
from losstopo.topology import load_topology


def main(smk) -> None:
    runs, dims = smk.params.runs["profiles"], smk.params.dims
    fig, axes = plt.subplots(len(dims), len(runs), figsize=(2.9 * len(runs), 2.6 * len(dims)),
                             layout="constrained", squeeze=False)
    for row, dim in zip(axes, dims):
        for ax, run in zip(row, runs):
            topology = load_topology(run["files"][f"{dim}d"])
            plot_profile(ax, topology, log_scale=True)
            m = topology.metrics
            ax.set_title(rf"{dim}-D, $\beta$={run['beta']}, lr={run['lr']}, seed {run['seed']}"
                         f"\n{m.n_minima} minima, {m.n_saddles} saddles", fontsize=8)
    fig.suptitle("Topological landscape profiles of 3-D and 4-D landscapes along the top Hessian eigenvectors")
    fig.savefig(smk.output.png, dpi=200)
    fig.savefig(smk.output.pdf)


with job_log(snakemake.log[0]):  # noqa: F821
    main(snakemake)  # noqa: F821
