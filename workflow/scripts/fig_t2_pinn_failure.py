"""Glue: paper T Fig. 2, PINN failure modes over beta: landscapes, merge tree, diagram, ESD, u(x, t)."""

import matplotlib

matplotlib.use("Agg")
import json

import matplotlib.pyplot as plt
import numpy as np

from losstopo.artifacts import job_log
from losstopo.plots.hessian import plot_esd
from losstopo.plots.landscape import plot_contour
from losstopo.plots.pinn import plot_solution
from losstopo.plots.topology import plot_merge_tree, plot_persistence_diagram
from losstopo.topology import load_topology

ROWS = ("random directions", "Hessian directions", "merge tree (Hessian)", "persistence diagram (Hessian)",
        "Hessian eigenvalue density", "predicted u(x, t)")


def main(smk) -> None:
    runs = smk.params.runs["runs"]
    fig, axes = plt.subplots(len(ROWS), len(runs), figsize=(3.3 * len(runs), 2.9 * len(ROWS)),
                             layout="constrained", squeeze=False)
    settings = {}
    for j, run in enumerate(runs):
        files, beta = run["files"], float(run["beta"])
        for i, kind in enumerate(("random", "hessian")):
            with np.load(files[kind]) as data:
                plot_contour(axes[i, j], data["axes"], data["loss"], colorbar=True)
                meta = json.loads(str(data["meta"]))
            settings[kind] = f"{kind}: {meta['normalization']} normalisation, distance {meta['distance']:g}"
        topology = load_topology(files["topology"])
        plot_merge_tree(axes[2, j], topology, log_scale=True)
        plot_persistence_diagram(axes[3, j], topology, log_scale=True)
        with np.load(files["esd"]) as esd:
            plot_esd(axes[4, j], esd["grid"], esd["density"], width=float(esd["width"]))
        with np.load(files["prediction"]) as pred:
            image = plot_solution(axes[5, j], pred["x"], pred["t"], pred["u_pred"])
        for i, name in enumerate(ROWS):
            axes[i, j].set_title(rf"$\beta$ = {beta:g}: {name}", fontsize=9)
    fig.colorbar(image, ax=axes[5, :], label="u", shrink=0.8)
    fig.suptitle(f"PINN failure modes over beta\nlandscapes: {settings['random']};\n{settings['hessian']}; "
                 f"merge trees: {topology.connectivity} connectivity", fontsize=10)
    fig.savefig(smk.output.png, dpi=200)
    fig.savefig(smk.output.pdf)


with job_log(snakemake.log[0]):  # noqa: F821
    main(snakemake)  # noqa: F821
