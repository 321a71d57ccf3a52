"""Glue: Spearman correlations of merge-tree metrics with eigenvalue, trace and error (CSV + figure)."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

from losstopo.artifacts import job_log
from losstopo.plots.tables import plot_correlations
from losstopo.tables import tda_correlations


def main(smk) -> None:
    table = pd.read_csv(smk.input.table)
    correlations = tda_correlations(table, smk.params.kinds, experiment="pinn")
    correlations.to_csv(smk.output.csv, index=False)
    fig, axes = plt.subplots(1, len(smk.params.kinds), figsize=(4.6 * len(smk.params.kinds), 3.6),
                             layout="constrained", squeeze=False)
    for ax, kind in zip(axes[0], smk.params.kinds):
        plot_correlations(ax, correlations[correlations["kind"] == kind])
        ax.set_title(f"PINN, {kind}-direction landscapes (n={len(table)} models)", fontsize=9)
    fig.savefig(smk.output.png, dpi=200)
    fig.savefig(smk.output.pdf)
    print(correlations.to_string())


with job_log(snakemake.log[0]):  # noqa: F821
    main(snakemake)  # noqa: F821
