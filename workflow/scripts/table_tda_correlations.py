"""Glue: Spearman correlations of merge-tree metrics with curvature, error and the sweep, per experiment, with
bootstrap intervals, partial correlations of curvature, aliases reported once and Benjamini-Hochberg p over
the whole table (`losstopo.tables`). Params `experiments`: name, table, kinds, ml_metrics, sweep, control.
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pandas as pd

from losstopo.artifacts import job_log
from losstopo.plots.tables import plot_correlations
from losstopo.tables import COLUMNS, tda_correlations, with_fdr


def main(smk) -> None:
    parts, sizes = [], {}
    for exp in smk.params.experiments:
        table = pd.read_csv(exp["table"])
        metrics = [m for m in exp["ml_metrics"] + exp["sweep"] if m in table]
        parts.append(tda_correlations(table, exp["kinds"], exp["name"], metrics, control=exp["control"]))
        sizes[exp["name"]] = len(table)
    correlations = with_fdr(pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=COLUMNS))
    correlations.to_csv(smk.output.csv, index=False)
    groups = correlations.groupby(["experiment", "kind"], sort=False)
    panels = [(name, kind, part) for (name, kind), part in groups]
    rows = max([len(part) for *_, part in panels] + [1])
    columns = min(3, max(1, len(panels)))
    grid_rows = -(-max(1, len(panels)) // columns)
    fig, axes = plt.subplots(grid_rows, columns, figsize=(5.2 * columns, (0.9 + 0.16 * rows) * grid_rows),
                             layout="constrained", squeeze=False)
    for ax, (name, kind, part) in zip(axes.flat, panels):
        plot_correlations(ax, part)
        ax.set_title(f"{name}, {kind}-direction landscapes (n={sizes[name]} models)", fontsize=8)
    for ax in axes.flat[len(panels):]:
        ax.axis("off")
    fig.suptitle("Spearman rho, 95% bootstrap interval; filled: BH-adjusted p < 0.05 over the whole table; "
                 "x: partial rho of curvature given the final loss", fontsize=8)
    fig.savefig(smk.output.png, dpi=200)
    fig.savefig(smk.output.pdf)
    print(correlations.to_string())


with job_log(snakemake.log[0]):  # noqa: F821
    main(snakemake)  # noqa: F821
