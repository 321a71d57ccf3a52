"""Glue: Spearman correlations of merge-tree metrics with curvature, error and the sweep, per experiment."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

from losstopo.artifacts import job_log
from losstopo.plots.tables import plot_correlations
from losstopo.tables import tda_correlations


def main(smk) -> None:
    parts, panels = [], []
    for exp in smk.params.experiments:
        table = pd.read_csv(exp["table"])
        metrics = [m for m in exp["ml_metrics"] + exp["sweep"] if m in table]
        part = tda_correlations(table, exp["kinds"], exp["name"], metrics)
        parts.append(part)
        panels += [(exp["name"], kind, part[part["kind"] == kind], len(table)) for kind in exp["kinds"]]
    correlations = pd.concat(parts, ignore_index=True)
    correlations.to_csv(smk.output.csv, index=False)
    fig, axes = plt.subplots(1, len(panels), figsize=(5.0 * len(panels), 3.8), layout="constrained",
                             squeeze=False)
    for ax, (name, kind, part, n) in zip(axes[0], panels):
        plot_correlations(ax, part)
        ax.set_title(f"{name}, {kind}-direction landscapes (n={n} models)", fontsize=9)
    fig.savefig(smk.output.png, dpi=200)
    fig.savefig(smk.output.pdf)
    print(correlations.to_string())


with job_log(snakemake.log[0]):  # noqa: F821
    main(snakemake)  # noqa: F821
